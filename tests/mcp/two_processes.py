"""Two `engram mcp` processes on one store (two agent windows), and the CLI beside them: every
write is kept, each process sees the other's, and a writer that finds the store locked waits
for it, then says so clearly."""

import asyncio
import fcntl
import os
import subprocess
import time

from harness import ENGRAM, Client, call, engram, ok, run, tempdir

CALLS = 50


async def writer(db, who):
    async with Client(engram(db)) as c:
        results = await asyncio.gather(*[
            call(c, "create_entities", {"entities": [
                {"name": f"{who}-{i}", "entityType": "note", "observations": [f"written by {who}"]},
            ]})
            for i in range(CALLS)
        ])
        for r in results:
            assert not r.error, r
            assert len(r.data["entities"]) == 1, r
        # Each sees the other's commits before it reads.
        return await ok(c, "read_graph", {"asserted_only": True, "limit": 100000})


def cli_adds(db, n):
    for i in range(n):
        p = subprocess.run([ENGRAM, "--db", db, "add", f'tag("cli-{i}", "concurrent").'],
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr


async def two_processes_and_the_cli_keep_every_write():
    db = f"{tempdir()}/shared.db"
    # Both processes start on a store that does not exist yet: one creates it.
    a, b, _ = await asyncio.gather(writer(db, "a"), writer(db, "b"), cli_beside(db))
    async with Client(engram(db)) as c:
        graph = await ok(c, "read_graph", {"asserted_only": True, "limit": 100000})
        names = {e["name"] for e in graph["entities"]}
        want = {f"{w}-{i}" for w in "ab" for i in range(CALLS)}
        assert names == want, (len(names), sorted(want - names)[:5])
        for e in graph["entities"]:
            assert e["observations"] == [f"written by {e['name'][0]}"], e
        tags = await ok(c, "query", {"query": '?- tag(x, "concurrent").', "limit": 1000})
        assert len(tags["rows"]) == 10, tags
    # Whichever finished last saw all of the other's entities.
    last = max((a, b), key=lambda g: len(g["entities"]))
    assert len(last["entities"]) == 2 * CALLS


async def cli_beside(db):
    # The CLI needs the store to exist: once a server made it, the CLI writes while they do.
    for _ in range(400):
        if os.path.exists(f"{db}/MANIFEST"):
            break
        await asyncio.sleep(0.02)
    await asyncio.to_thread(cli_adds, db, 10)


async def a_writer_waits_for_the_lock_then_says_who_holds_it():
    db = f"{tempdir()}/locked.db"
    async with Client(engram(db, "--lock-wait", "1.5")) as c:
        await ok(c, "create_entities", {"entities": [{"name": "x", "entityType": "t", "observations": []}]})
        with open(f"{db}/LOCK", "r+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            lock.seek(0)
            lock.truncate()
            lock.write("4242")
            lock.flush()
            start = time.monotonic()
            r = await call(c, "create_entities", {"entities": [{"name": "y", "entityType": "t", "observations": []}]})
            waited = time.monotonic() - start
            assert r.error and "locked by pid 4242" in r.text and "waited" in r.text, r
            assert waited >= 1.4, waited
            # Reads are never locked out.
            assert (await ok(c, "open_nodes", {"names": ["x"]}))["entities"]
            # Released within the wait: the write goes through.
            async def release():
                await asyncio.sleep(0.5)
                fcntl.flock(lock, fcntl.LOCK_UN)
            done, _ = await asyncio.gather(
                call(c, "create_entities", {"entities": [{"name": "y", "entityType": "t", "observations": []}]}),
                release(),
            )
            assert not done.error and done.data["entities"][0]["name"] == "y", done


if __name__ == "__main__":
    run([
        two_processes_and_the_cli_keep_every_write,
        a_writer_waits_for_the_lock_then_says_who_holds_it,
    ])
