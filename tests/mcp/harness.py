"""What the MCP client tests share: starting engram and the reference memory server as a
client does (the official `mcp` package over stdio), calling tools, and a tiny runner.

Environment: ENGRAM_BIN (the engram binary), MCP_REFERENCE (the reference server's
dist/index.js), ENGRAM_EXAMPLE (examples/memories.jsonl)."""

import asyncio
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

from mcp import Client, StdioServerParameters

ENGRAM = os.environ["ENGRAM_BIN"]
REFERENCE = os.environ.get("MCP_REFERENCE", "")
EXAMPLE = os.environ.get("ENGRAM_EXAMPLE", "")


def engram(db, *args):
    """Parameters that start `engram mcp` on the store `db`."""
    return StdioServerParameters(command=ENGRAM, args=["mcp", "--db", db, *args])


def reference(path):
    """Parameters that start the reference memory server on the file `path`."""
    return StdioServerParameters(
        command="node", args=[REFERENCE], env={"MEMORY_FILE_PATH": path}
    )


class Result:
    """A tool result: whether it is an error, its structured content and its text."""

    def __init__(self, r):
        self.error = bool(r.is_error)
        self.data = r.structured_content
        self.text = "".join(getattr(c, "text", "") for c in r.content)

    def __repr__(self):
        return f"Result(error={self.error}, data={self.data!r}, text={self.text[:300]!r})"


async def call(client, tool, args=None):
    return Result(await client.call_tool(tool, args or {}))


# The tools whose text is the JSON of one list of their result, as in the reference server.
LISTS = {"create_entities": "entities", "create_relations": "relations", "add_observations": "results"}


async def ok(client, tool, args=None):
    """Calls a tool that must succeed; its structured content, checked against its text."""
    r = await call(client, tool, args)
    assert not r.error, f"{tool} {args}: {r}"
    assert r.data is not None, f"{tool}: no structured content: {r}"
    if tool.startswith("delete_"):
        # As the reference server's: the message as text.
        assert r.text == r.data["message"], f"{tool}: {r}"
    elif tool in LISTS:
        # As the reference server's: the list made, as JSON.
        assert json.loads(r.text) == r.data[LISTS[tool]], f"{tool}: {r}"
    else:
        assert json.loads(r.text) == r.data, f"{tool}: text and structured content differ: {r}"
    return r.data


def engram_cli(db, *args, stdin=None):
    """Runs the engram binary (not as MCP); its stdout."""
    p = subprocess.run(
        [ENGRAM, "--db", db, *args], input=stdin, capture_output=True, text=True
    )
    assert p.returncode == 0, f"engram {args}: {p.returncode}\n{p.stdout}\n{p.stderr}"
    return p.stdout


def tempdir():
    """A new directory, removed when the script ends."""
    d = tempfile.mkdtemp(prefix="engram-mcp-")
    atexit.register(shutil.rmtree, d, True)
    return d


def run(checks):
    """Runs each async check, prints what passed and failed; exit status 1 on a failure."""
    failed = 0
    for check in checks:
        try:
            asyncio.run(asyncio.wait_for(check(), timeout=300))
            print(f"ok    {check.__name__}", flush=True)
        except BaseException:  # a check's failure of any kind is reported, then the next runs
            failed += 1
            print(f"FAIL  {check.__name__}", flush=True)
            traceback.print_exc()
    print(f"{len(checks) - failed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)
