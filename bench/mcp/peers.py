"""`engram mcp` beside the MCP reference memory server, as agents use them (the official
Python MCP SDK over stdio), on the same calls in the same run:

1. latency: the median time of each reference tool on a graph of N entities (N/2 relations,
   3 observations each), both servers loaded through their own tools;
2. writes kept: two processes on one memory each make 50 concurrent `create_entities` calls
   (TRIALS times); how many of the 100 entities each server kept, though both answered that
   all were created.

Run after `bash tests/mcp/setup.sh` and `cargo build --release`:

    target/mcp-env/venv/bin/python bench/mcp/peers.py [N] [TRIALS]
"""

import asyncio
import os
import statistics
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "mcp"))
os.environ.setdefault("ENGRAM_BIN", os.path.join(ROOT, "target", "release", "engram"))
os.environ.setdefault("MCP_REFERENCE", os.path.join(
    ROOT, "target/mcp-env/reference/node_modules/@modelcontextprotocol/server-memory/dist/index.js"))

from harness import Client, call, engram, reference, tempdir  # noqa: E402


def servers(d):
    return {"engram": engram(f"{d}/e.db"), "reference": reference(f"{d}/m.jsonl")}


async def load(c, n):
    for start in range(0, n, 500):
        batch = range(start, min(n, start + 500))
        r = await call(c, "create_entities", {"entities": [
            {"name": f"entity-{i}", "entityType": f"type{i % 7}",
             "observations": [f"observation {j} of entity {i}" for j in range(3)]}
            for i in batch]})
        assert not r.error, r
        r = await call(c, "create_relations", {"relations": [
            {"from": f"entity-{i}", "to": f"entity-{(i * 7 + 1) % n}", "relationType": "relates_to"}
            for i in batch if i % 2 == 0]})
        assert not r.error, r


CALLS = [
    ("create_entities", lambda i: {"entities": [{"name": f"new-{i}", "entityType": "t", "observations": ["x"]}]}),
    ("add_observations", lambda i: {"observations": [{"entityName": f"entity-{i}", "contents": [f"more {i}"]}]}),
    ("create_relations", lambda i: {"relations": [{"from": f"new-{i}", "to": f"entity-{i}", "relationType": "knows"}]}),
    ("search_nodes", lambda i: {"query": f"entity-{i}1"}),
    ("open_nodes", lambda i: {"names": [f"entity-{i}", f"entity-{i + 1}"]}),
    ("read_graph", lambda i: {}),
    ("delete_relations", lambda i: {"relations": [{"from": f"new-{i}", "to": f"entity-{i}", "relationType": "knows"}]}),
]


async def latency(n, runs=7):
    d = tempdir()
    out = {}
    for name, params in servers(d).items():
        async with Client(params) as c:
            t = time.perf_counter()
            await load(c, n)
            out[(name, "load")] = time.perf_counter() - t
            for tool, args in CALLS:
                times = []
                for i in range(runs):
                    t = time.perf_counter()
                    r = await call(c, tool, args(i))
                    times.append(time.perf_counter() - t)
                    assert not r.error, (name, tool, r)
                out[(name, tool)] = statistics.median(times)
                if tool == "read_graph":
                    out[(name, "read_graph chars")] = len(r.text)
    print(f"latency, {n} entities, {n // 2} relations (median of {runs}; load: all of it)")
    print(f"{'call':22s} {'engram':>12s} {'reference':>12s}")
    for what in ["load"] + [t for t, _ in CALLS] + ["read_graph chars"]:
        e, r = out[("engram", what)], out[("reference", what)]
        unit = (lambda x: f"{x:12.0f}") if "chars" in what else (lambda x: f"{x * 1000:10.1f}ms")
        print(f"{what:22s} {unit(e)} {unit(r)}")


async def writer(params, who):
    async with Client(params) as c:
        rs = await asyncio.gather(*[call(c, "create_entities", {"entities": [
            {"name": f"{who}-{i}", "entityType": "note", "observations": []}]}) for i in range(50)])
        return sum(1 for r in rs if not r.error and len(r.data["entities"]) == 1)


async def kept(trials):
    print(f"writes kept: two processes x 50 concurrent create_entities, {trials} trials")
    for name in ["engram", "reference"]:
        counts, told = [], []
        for _ in range(trials):
            d = tempdir()
            params = servers(d)[name]
            told.append(sum(await asyncio.gather(writer(params, "a"), writer(params, "b"))))
            async with Client(servers(d)[name]) as c:
                g = (await call(c, "read_graph", {"limit": 1000} if name == "engram" else {})).data
                counts.append(len([e for e in g["entities"] if e["entityType"] == "note"]))
        print(f"{name:10s} kept {counts} (median {statistics.median(counts)}); "
              f"told created: {statistics.median(told)}")


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    trials = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    asyncio.run(latency(n))
    asyncio.run(kept(trials))
