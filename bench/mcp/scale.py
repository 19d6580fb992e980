"""`engram mcp` on a memory of real size (issue 28), as an agent uses it: the official Python
MCP SDK over stdio, each call timed as the client waits for it, p50 and p99 over CALLS calls;
the MCP reference memory server on the same graph as the peer; the server's memory; how soon
a running server sees another process's commit.

`bash bench/scale.sh [MEMORIES]` builds the memory (memgen, `engram init` + `engram load`,
`engram export --format mcp-memory` for the reference server) and runs this:

    target/mcp-env/venv/bin/python bench/mcp/scale.py DB MCP_FILE MEMORIES [CALLS]

Prints a table and writes JSON to target/bench-scale.json. `SCALE_TOOLS=open_nodes,recall`
times only those tools; `SCALE_PARTS=engram,cli` runs only those parts (of engram, reference,
visibility, cli).
"""

import asyncio
import json
import os
import random
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "mcp"))
os.environ.setdefault("ENGRAM_BIN", os.path.join(ROOT, "target", "release", "engram"))
os.environ.setdefault("MCP_REFERENCE", os.path.join(
    ROOT, "target/mcp-env/reference/node_modules/@modelcontextprotocol/server-memory/dist/index.js"))

from harness import ENGRAM, Client, call, engram, reference  # noqa: E402

# Words memgen writes into titles (a sample: recall and search ask for them).
WORDS = ["cache", "retry", "timeout", "webhook", "schema", "index", "queue", "deploy",
         "token", "billing", "latency", "migration"]


def quantile(xs, p):
    xs = sorted(xs)
    return xs[round((len(xs) - 1) * p)]


def engram_calls(memories, entities):
    """The calls an agent makes, each as a function of the call's number."""
    rnd = random.Random(7)

    def m():
        return f"m{rnd.randrange(memories)}"

    def e():
        return f"entity-{rnd.randrange(entities)}"

    return {
        "search_nodes": lambda i: {"query": e()},
        "open_nodes": lambda i: {"names": [m(), e()]},
        "read_graph": lambda i: {},
        "recall": lambda i: {"query": f"{rnd.choice(WORDS)} {rnd.choice(WORDS)}"},
        "query": lambda i: {"query": f'?- relation("{m()}", t, x).'},
        "remember": lambda i: {"title": f"scale note {i}", "content": f"{rnd.choice(WORDS)} notes",
                               "tags": ["scale"], "type": "learning"},
        "create_relations": lambda i: {"relations": [
            {"from": m(), "to": e(), "relationType": "USES"}]},
    }


# The reference server's tools among them (it has no recall, query or remember).
# `read_graph` last: the whole graph in one reply may end the session.
REFERENCE_TOOLS = ["search_nodes", "open_nodes", "create_relations", "read_graph"]


def server_pid(marker):
    """The pid of the running server whose command line holds `marker`."""
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmd and "python" not in cmd:
            return int(p)
    return None


def memory_of(pid):
    """The process's peak resident and current anonymous memory, in MB."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmHWM", "RssAnon"):
                    out[k] = int(v.split()[0]) / 1024
    except OSError:
        pass
    return out


async def timed(c, tool, args):
    t = time.perf_counter()
    r = await call(c, tool, args)
    return time.perf_counter() - t, r


async def latencies(params, marker, tools, calls, n, timeout):
    """Each tool `n` times (`read_graph` within `timeout` seconds, else given up): seconds of
    every call; and the server's memory after them all."""
    out = {}
    async with Client(params) as c:
        for tool in tools:
            times, failed = [], None
            for i in range(n):
                try:
                    secs, r = await asyncio.wait_for(timed(c, tool, calls[tool](i)), timeout)
                except Exception as err:  # a crash or a hang of the server is a figure too
                    failed = f"{type(err).__name__} after {len(times)} calls"
                    break
                if r.error:
                    failed = f"error: {r.text[:200]}"
                    break
                times.append(secs)
            out[tool] = {"times": times, "failed": failed}
            print(f"  {tool}: {summary(out[tool])}", flush=True)
        pid = server_pid(marker)
        out["memory"] = memory_of(pid) if pid else {}
    return out


async def visibility(db, memories, rounds):
    """A running `engram mcp` and `engram add` from another process: the time of the server's
    first call after each commit, and whether that call saw it."""
    times, seen = [], 0
    async with Client(engram(db)) as c:
        await call(c, "stats")
        for k in range(rounds):
            name = f"seen-{os.getpid()}-{k}"
            subprocess.run([ENGRAM, "--db", db, "add", f'entity("{name}", "note").'],
                           check=True, capture_output=True)
            secs, r = await timed(c, "open_nodes", {"names": [name]})
            times.append(secs)
            seen += any(e["name"] == name for e in (r.data or {}).get("entities", []))
    return {"times": times, "seen": seen, "rounds": rounds}


def cli_run(args):
    """Runs `engram ARGS` as a whole process: its seconds (nothing else running: the client
    only waits), then again with its largest anonymous and resident memory in MB sampled
    from /proc while it runs (a sample every 0.2 ms, which takes a core of this machine's two,
    so that run is not timed)."""
    t = time.perf_counter()
    done = subprocess.run([ENGRAM, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    secs = time.perf_counter() - t
    assert done.returncode == 0, f"engram {args}: {done.stderr.decode()[:500]}"
    p = subprocess.Popen([ENGRAM, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    anon = hwm = 0.0
    while p.poll() is None:
        m = memory_of(p.pid)
        anon, hwm = max(anon, m.get("RssAnon", 0)), max(hwm, m.get("VmHWM", 0))
        time.sleep(0.0002)
    assert p.returncode == 0, f"engram {args}: {p.stderr.read().decode()[:500]}"
    return secs, anon, hwm


def cli(db, memories, n):
    """The CLI's whole processes on the store, `n` of each (each run twice: timed, then
    sampled for memory; an add adds twice)."""
    rnd = random.Random(11)
    entities = memories // 10
    ops = {
        "point query": lambda i: ["query", f'?- relation("m{rnd.randrange(memories)}", t, x).'],
        "recall": lambda i: ["recall", f"{rnd.choice(WORDS)} {rnd.choice(WORDS)}"],
        "add (one relation)": lambda i: [
            "add", f'relation("m{rnd.randrange(memories)}", "USES", '
                   f'"entity-{rnd.randrange(entities)}").'],
        "stats": lambda i: ["stats"],
    }
    out = {}
    for name, args in ops.items():
        runs = [cli_run(["--db", db, *args(i)]) for i in range(n)]
        out[name] = {"times": [r[0] for r in runs], "anon": max(r[1] for r in runs),
                     "hwm": max(r[2] for r in runs)}
        print(f"  {name}: {summary(out[name])}, anonymous {out[name]['anon']:.0f} MB, "
              f"peak resident {out[name]['hwm']:.0f} MB", flush=True)
    return out


def summary(x):
    ts = x["times"]
    s = f"p50 {quantile(ts, 0.5) * 1000:8.1f} ms  p99 {quantile(ts, 0.99) * 1000:8.1f} ms" \
        f"  ({len(ts)} calls)" if ts else "no call completed"
    return s + (f"  [{x['failed']}]" if x.get("failed") else "")


async def main(db, mcp_file, memories, n):
    entities = memories // 10
    calls = engram_calls(memories, entities)
    only = os.environ.get("SCALE_TOOLS")
    tools = [t for t in calls if not only or t in only.split(",")]
    parts = os.environ.get("SCALE_PARTS", "engram,reference,visibility,cli").split(",")
    eng, ref, vis, cli_figures = {"memory": {}}, {"memory": {}}, None, None
    if "engram" in parts:
        print(f"engram mcp on {db}, {n} calls of each tool", flush=True)
        eng = await latencies(engram(db), f"mcp --db {db}", tools, calls, n, 120)
    if "reference" in parts:
        print(f"reference memory server on {mcp_file}", flush=True)
        ref = await latencies(reference(mcp_file), "server-memory/dist/index.js",
                              [t for t in REFERENCE_TOOLS if t in tools],
                              engram_calls(memories, entities), n, 120)
    if "visibility" in parts:
        print("another process's commit, seen by a running engram mcp", flush=True)
        vis = await visibility(db, memories, max(5, n // 5))
    if "cli" in parts:
        print("the CLI as whole processes", flush=True)
        cli_figures = cli(db, memories, n)
    print()
    print(f"{'call':18s} {'engram':>44s}   {'reference':>44s}")
    for tool in tools:
        e = summary(eng[tool]) if tool in eng else "-"
        r = summary(ref[tool]) if tool in ref else "-"
        print(f"{tool:18s} {e:>44s}   {r:>44s}")
    print(f"{'server memory':18s} {json.dumps(eng['memory']):>44s}   {json.dumps(ref['memory']):>44s}")
    if vis:
        print(f"first call after another process's commit: {summary(vis)}, "
              f"saw it {vis['seen']} of {vis['rounds']}")
    with open(os.path.join(ROOT, "target", "bench-scale.json"), "w") as f:
        json.dump({"memories": memories, "calls": n, "engram": eng, "reference": ref,
                   "visibility": vis, "cli": cli_figures}, f)


if __name__ == "__main__":
    db, mcp_file, memories = sys.argv[1], sys.argv[2], int(sys.argv[3])
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    asyncio.run(main(db, mcp_file, memories, n))
