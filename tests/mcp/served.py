"""`engram serve` driven over HTTP as agents and browsers reach it: the official `mcp` client
over Streamable HTTP runs the reference session, tokens are required and a read-only token
cannot write, a foreign Origin or Host is refused, a stateless server answers, and SIGTERM
stops it with every acknowledged write kept."""

import json
import re
import signal
import subprocess
import urllib.error
import urllib.request

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from harness import ENGRAM, call, engram_cli, ok, reference, run, tempdir
from reference_session import the_session_matches

WRITE = "w" * 8 + "0123456789abcdef"
READ = "r" * 8 + "0123456789abcdef"


class Served:
    """`engram serve` on a free loopback port, with a tokens file (or `--no-auth`)."""

    def __init__(self, *args, auth=True):
        self.dir = tempdir()
        self.db = f"{self.dir}/served.db"
        tokens = f"{self.dir}/tokens"
        with open(tokens, "w") as f:
            f.write(f"# the test's tokens\nwrite {WRITE}  agent\nread {READ}  dashboard\n")
        who = ["--token-file", tokens] if auth else ["--no-auth"]
        self.proc = subprocess.Popen(
            [ENGRAM, "--db", self.db, "serve", "--listen", "127.0.0.1:0", *who, *args],
            stderr=subprocess.PIPE, text=True,
        )
        for line in self.proc.stderr:
            found = re.search(r"at (http://127\.0\.0\.1:\d+)/mcp", line)
            if found:
                self.base = found.group(1)
                break
        else:
            raise AssertionError(f"engram serve did not start: {self.proc.wait()}")
        self.url = f"{self.base}/mcp"

    def client(self, token=WRITE):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        http = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0, read=300.0))
        return Client(streamable_http_client(self.url, http_client=http))

    def get(self, path, headers=None):
        """A plain GET: (status, JSON body or text)."""
        request = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                status, body = r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read().decode()
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body

    def stop(self):
        """SIGTERM; the exit status, and what it wrote to stderr after starting."""
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=60)
        return code, self.proc.stderr.read()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


async def the_reference_session_runs_over_streamable_http():
    d = tempdir()
    with Served() as served:
        async with Client(reference(f"{d}/memory.jsonl")) as ref, served.client() as eng:
            await the_session_matches(ref, eng)


async def a_stateless_server_answers_the_same():
    d = tempdir()
    with Served("--stateless") as served:
        async with Client(reference(f"{d}/memory.jsonl")) as ref, served.client() as eng:
            await the_session_matches(ref, eng)


async def a_token_is_required_and_a_read_token_cannot_write():
    with Served() as served:
        for token in (None, "x" * 24):
            status, body = served.get("/mcp", {"Authorization": f"Bearer {token}"} if token else {})
            assert status == 401, (status, body)
            assert body["error"] == "unauthorized", body
        assert served.get("/healthz") == (200, "ok\n")
        async with served.client() as agent:
            await ok(agent, "remember", {"title": "Tokens are checked", "tags": ["auth"]})
        async with served.client(READ) as dashboard:
            found = await ok(dashboard, "recall", {"query": "tokens checked"})
            assert found["hits"][0]["title"] == "Tokens are checked", found
            refused = await call(dashboard, "remember", {"title": "not allowed"})
            assert refused.error and "may only read" in refused.text, refused
            refused = await call(dashboard, "add_rule", {"name": "mine", "text": ""})
            assert refused.error and "may only read" in refused.text, refused
        titles = engram_cli(served.db, "query", '?- memory(m, t, title).')
        assert "Tokens are checked" in titles and "not allowed" not in titles, titles


async def a_foreign_origin_or_host_is_refused():
    with Served() as served:
        auth = {"Authorization": f"Bearer {WRITE}"}
        status, body = served.get("/mcp", dict(auth, Origin="http://evil.example"))
        assert status == 403 and body["error"] == "forbidden", (status, body)
        status, body = served.get("/healthz", {"Host": "evil.example"})
        assert status == 403 and "evil.example" in body["detail"], (status, body)
        # The server's own origin passes the guard (a GET of /mcp then needs a session).
        status, _ = served.get("/mcp", dict(auth, Origin=served.base))
        assert status != 403, status


async def sigterm_stops_it_with_every_acknowledged_write_kept():
    with Served() as served:
        async with served.client() as agent:
            for i in range(20):
                await ok(agent, "remember", {"title": f"Acknowledged write {i}"})
        code, err = served.stop()
        assert code == 0, (code, err)
        assert "stopped" in err, err
        titles = engram_cli(served.db, "query", '?- memory(m, t, title).')
        for i in range(20):
            assert f"Acknowledged write {i}" in titles, titles


async def no_auth_is_for_loopback_only():
    d = tempdir()
    p = subprocess.run(
        [ENGRAM, "--db", f"{d}/x.db", "serve", "--listen", "0.0.0.0:0", "--no-auth"],
        capture_output=True, text=True, timeout=60,
    )
    assert p.returncode == 2 and "loopback" in p.stderr, (p.returncode, p.stderr)
    with Served(auth=False) as served:
        async with served.client(token=None) as agent:
            await ok(agent, "remember", {"title": "No tokens on loopback"})


if __name__ == "__main__":
    run([
        the_reference_session_runs_over_streamable_http,
        a_stateless_server_answers_the_same,
        a_token_is_required_and_a_read_token_cannot_write,
        a_foreign_origin_or_host_is_refused,
        sigterm_stops_it_with_every_acknowledged_write_kept,
        no_auth_is_for_loopback_only,
    ])
