"""The Python side of the per-call query benchmark (bench/python.sh): what
`target/release/query_calls` does from Rust, through `engram.Store.query`: each query of a file
CALLS times, printing the mean microseconds a call and the answers.

    python query_calls.py STORE QUERIES_FILE CALLS
"""

import sys
import time

import engram

db, queries, calls = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = engram.Store(db)
for query in open(queries).read().splitlines():
    n = len(store.query(query))
    started = time.perf_counter()
    for _ in range(calls):
        store.query(query)
    micros = (time.perf_counter() - started) * 1e6 / calls
    print(f"{micros:.1f}\t{n}\t{query}")
