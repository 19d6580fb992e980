"""Bulk adding from Python (bench/python.sh): N facts `edge(s, t)` (the rows bench/python.sh
writes for `engram load`, read here into Python tuples first) added to a new store in one
transaction with `Transaction.add_many`. Prints the seconds of the add and commit, and of the
whole run (reading the file into tuples included).

    python bulk_add.py ROWS_FILE STORE_DIR
"""

import sys
import time

import engram

started = time.perf_counter()
rows = [tuple(line.rstrip("\n").split("\t")) for line in open(sys.argv[1])]
read = time.perf_counter()
store = engram.Store.create(sys.argv[2])
with store.transaction() as tx:
    tx.add_many("edge", rows)
done = time.perf_counter()
assert store.stats()["asserted"] == len(rows)
print(f"add+commit {done - read:.2f} s; whole {done - started:.2f} s; {len(rows)} facts")
