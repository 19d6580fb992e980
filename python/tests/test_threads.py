"""Threads: readers query one store while another thread commits."""

import threading

import engram
from conftest import PATHS


def test_queries_while_another_thread_commits(tmp_path):
    store = engram.Store.create(tmp_path / "db")
    store.add_rules("paths", PATHS)
    store.add("link", ("n0", "n1"))
    errors = []
    seen = []
    stop = threading.Event()

    def reader(handle):
        last = 0
        while not stop.is_set():
            try:
                n = len(handle.query('?- reach("n0", x).'))
            except Exception as e:  # noqa: BLE001 - any error fails the test
                errors.append(e)
                return
            if n < last:
                errors.append(AssertionError(f"went back from {last} to {n}"))
            last = n
            seen.append(n)

    # Two threads on the writer's own handle, one on a read-only handle of the same store.
    readers = [threading.Thread(target=reader, args=(store,)) for _ in range(2)]
    readers.append(
        threading.Thread(target=reader, args=(engram.Store.open_read_only(tmp_path / "db"),))
    )
    for r in readers:
        r.start()
    for i in range(1, 40):
        with store.transaction() as tx:
            tx.add("link", (f"n{i}", f"n{i + 1}"))
    stop.set()
    for r in readers:
        r.join()
    assert not errors, errors
    assert len(store.query('?- reach("n0", x).')) == 40
    assert seen and max(seen) <= 40
