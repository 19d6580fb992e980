"""`engram serve` driven over HTTP as agents and browsers reach it: the official `mcp` client
over Streamable HTTP runs the reference session, tokens are required and a read-only token
cannot write, a foreign Origin or Host is refused, a stateless server answers, SIGTERM stops
it with every acknowledged write kept, and the REST API (through `httpx2`, a real HTTP
client) does what the tools do, with its errors, pages and OpenAPI description; 8 clients at
once lose nothing."""

import json
import re
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from harness import ENGRAM, EXAMPLE, call, engram_cli, ok, reference, run, tempdir
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


async def a_stdio_client_reaches_it_through_engram_mcp_remote():
    # `engram mcp --remote URL` relays stdio to the server: the reference session runs through
    # it (with sessions, and stateless), the token from ENGRAM_TOKEN; a refused token is an
    # error the client sees, not a hang.
    for args in [(), ("--stateless",)]:
        d = tempdir()
        with Served(*args) as served:
            relay = StdioServerParameters(command=ENGRAM, args=["mcp", "--remote", served.url],
                                          env={"ENGRAM_TOKEN": WRITE})
            async with Client(reference(f"{d}/memory.jsonl")) as ref, Client(relay) as eng:
                await the_session_matches(ref, eng)
    with Served() as served:
        relay = StdioServerParameters(command=ENGRAM, args=["mcp", "--remote", served.url],
                                      env={"ENGRAM_TOKEN": "x" * 24})
        try:
            async with Client(relay) as eng:
                await eng.list_tools()
            raise AssertionError("an unknown token was let through")
        except Exception as e:
            assert "answered 401" in repr(e) and "not one this server accepts" in repr(e), repr(e)


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
        async with served.client() as agent:
            # The REST API's own calls are not MCP tools.
            try:
                r = await call(agent, "assert_facts", {"facts": ['x("y")']})
                assert r.error and "no tool" in r.text, r
            except Exception as e:  # an invalid-params error, as for any unknown tool
                assert "no tool" in str(e), e
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


def rest(served, token=WRITE):
    """A synchronous HTTP client of the REST API, bearing `token`."""
    return httpx2.Client(base_url=served.base, headers={"Authorization": f"Bearer {token}"},
                         timeout=60)


async def the_rest_api_does_what_the_tools_do():
    with Served() as served, rest(served) as w, rest(served, READ) as r:
        made = w.post("/v1/entities", json={"entities": [
            {"name": f"service-{i}", "entityType": "service", "observations": [f"runs job {i}"]}
            for i in range(30)]})
        assert made.status_code == 200 and len(made.json()["entities"]) == 30, made.text
        rel = w.post("/v1/relate", json={"from": "service-1", "type": "depends_on", "to": "service-2"})
        assert rel.status_code == 200 and rel.json()["relation"]["type"] == "DEPENDS_ON", rel.text
        mem = w.post("/v1/memories", json={"title": "Payments retry webhooks with backoff",
                                           "tags": ["webhooks"]})
        assert mem.status_code == 200, mem.text
        memory_id = mem.json()["id"]
        # The graph, a page at a time by cursor: every entity exactly once.
        names, cursor = [], None
        for _ in range(100):
            params = {"limit": 7, "asserted_only": "true"}
            if cursor:
                params["cursor"] = cursor
            page = r.get("/v1/graph", params=params).json()
            names += [e["name"] for e in page["entities"]]
            cursor = page.get("next_cursor")
            if not cursor:
                break
        assert sorted(n for n in names if n.startswith("service-")) == sorted(
            f"service-{i}" for i in range(30)), names
        assert len(names) == len(set(names)), names
        hits = r.get("/v1/recall", params={"q": "webhook retries", "limit": 3}).json()["hits"]
        assert hits[0]["id"] == memory_id and "snippet" in hits[0], hits
        found = r.get("/v1/search", params={"q": "job 7"}).json()
        assert [e["name"] for e in found["entities"]] == ["service-7"], found
        opened = r.get("/v1/entities", params=[("name", "service-1"), ("name", "service-2")]).json()
        assert {e["name"] for e in opened["entities"]} == {"service-1", "service-2"}, opened
        answers = r.post("/v1/query", json={"query": '?- edge("service-1", t, x).'}).json()
        assert [r["values"] for r in answers["rows"]] == [["DEPENDS_ON", "service-2"]], answers
        proof = r.get("/v1/explain", params={"fact": 'edge("service-1", "DEPENDS_ON", "service-2")'}).json()
        assert proof["holds"] and proof["proof"]["rule"], proof
        why_not = r.get("/v1/explain", params={"fact": 'edge("service-2", "DEPENDS_ON", "service-1")',
                                              "why_not": "true"}).json()
        assert not why_not["holds"], why_not
        stats = r.get("/v1/stats").json()
        assert stats["facts"] >= 1 and stats["bytes_per_fact"] == round(stats["bytes_per_fact"], 1), stats
        assert r.get("/v1/violations").status_code == 200
        # Rule files: a body of text; a standard one is protected.
        put = w.put("/v1/rules/mine", content='.decl mine(x: symbol)\nmine("a").')
        assert put.status_code == 200, put.text
        refused = w.put("/v1/rules/schema", content="")
        assert refused.status_code == 422 and "standard" in refused.json()["detail"], refused.text
        # Facts as Datalog, as data; the rule files listed, read and removed.
        added = w.post("/v1/facts", json={"facts": ['mine("b") @ 0.5', 'mine("c").']})
        assert added.status_code == 200 and added.json()["asserted"] == 2, added.text
        rows = r.post("/v1/query", json={"query": "?- mine(x)."}).json()["rows"]
        assert sorted((x["values"][0], x["confidence"]) for x in rows) == [
            ("a", 1.0), ("b", 0.5), ("c", 1.0)], rows
        assert w.post("/v1/facts", json={"facts": ["mine(x) :- mine(x)"]}).status_code == 400
        files = {f["name"]: f for f in r.get("/v1/rules").json()}
        assert files["mine"]["standard"] is False and files["schema"]["standard"] is True, files
        assert files["schema"]["rules"] > 0, files["schema"]
        assert 'mine("a")' in r.get("/v1/rules/mine").json()["text"]
        assert r.get("/v1/rules/nothing").status_code == 404
        assert w.delete("/v1/rules/schema").status_code == 422
        assert w.delete("/v1/rules/mine").status_code == 200
        assert r.get("/v1/rules/mine").status_code == 404
        # Forgetting: by id, and by policy (a dry run counts, forgets nothing).
        dry = w.post("/v1/inference/cleanup", params={"min_confidence": 0.3, "max_age_days": 0,
                                                      "dry_run": "true"})
        assert dry.status_code == 200, dry.text
        # An id holds "#": written in a path, it is percent-encoded.
        gone = w.delete(f"/v1/memories/{urllib.parse.quote(memory_id, safe='')}")
        assert gone.status_code == 200, gone.text
        assert r.get("/v1/recall", params={"q": "webhook retries"}).json()["hits"] == []
        deleted = w.delete("/v1/entities/service-29")
        assert deleted.status_code == 200, deleted.text
        # Errors: {error, detail} with the right status.
        for response, status in [
            (r.post("/v1/memories", json={"title": "read token"}), 403),
            (w.post("/v1/memories", json={"content": "no title"}), 400),
            (w.post("/v1/memories", content=b"not json"), 400),
            (r.get("/v1/graph", params={"limit": "many"}), 400),
            (r.get("/v1/graph", params={"bogus": 1}), 400),
            (r.get("/v1/recall"), 400),
            (r.post("/v1/query", json={"query": "?- nonsense(("}), 422),
            (httpx2.get(served.base + "/v1/stats"), 401),
        ]:
            assert response.status_code == status, (status, response.status_code, response.text)
            body = response.json()
            assert set(body) == {"error", "detail"} and body["detail"], body
        # The OpenAPI description names every route, each answering (not 404/405).
        spec = r.get("/v1/openapi.json").json()
        assert spec["openapi"].startswith("3.1") and len(spec["paths"]) >= 15, spec["paths"].keys()
        for path, ops in spec["paths"].items():
            for method in ops:
                url = path.replace("{name}", "nobody").replace("{id}", "nothing")
                answer = r.request(method.upper(), url)
                # A route that is not served gets 405, or 404 with no body; a call's own
                # not_found (a rule file there is not) is an answer.
                routed = answer.status_code != 405 and (
                    answer.status_code != 404 or answer.json().get("error") == "not_found")
                assert routed, (method, path, answer.status_code, answer.text)
        body = spec["paths"]["/v1/entities"]["post"]["requestBody"]["content"]["application/json"]
        assert "entities" in body["schema"]["properties"], body


async def eight_clients_at_once_lose_nothing():
    # 8 clients x 200 calls at once, a quarter of them writes: every acknowledged write is
    # there after, each client reads its own writes at once, and the graph is what the same
    # writes made one at a time on another server.
    import concurrent.futures

    def client(served, c):
        made = []
        with rest(served) as http:
            for i in range(200):
                if i % 4 == 0:
                    r = http.post("/v1/relate", json={"from": f"client-{c}", "type": "touches",
                                                      "to": f"thing-{c}-{i}"})
                    assert r.status_code == 200, r.text
                    made.append(f"thing-{c}-{i}")
                    mine = http.post("/v1/query", json={"query": f'?- edge("client-{c}", t, x).'})
                    ends = {row["values"][1] for row in mine.json()["rows"]}
                    assert set(made) <= ends, (c, i, "own writes not read back", mine.text)
                elif i % 4 == 1:
                    r = http.get("/v1/recall", params={"q": f"thing {c}", "limit": 3})
                    assert r.status_code == 200, r.text
                else:
                    r = http.get("/v1/search", params={"q": f"client-{c}", "limit": 5})
                    assert r.status_code == 200, r.text
        return made

    # Two reader handles beside the writer: a client's read goes to another handle than its
    # write, which must have moved to that commit.
    with Served("--readers", "2") as served:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            made = [f.result() for f in [pool.submit(client, served, c) for c in range(8)]]
        with rest(served, READ) as r:
            graph = r.get("/v1/graph", params={"asserted_only": "true", "limit": 100000}).json()
    assert sum(len(m) for m in made) == 8 * 50
    with Served() as serial, rest(serial) as http:
        for c in range(8):
            for thing in made[c]:
                http.post("/v1/relate", json={"from": f"client-{c}", "type": "touches", "to": thing})
        replay = http.get("/v1/graph", params={"asserted_only": "true", "limit": 100000}).json()
    key = lambda g: (sorted(e["name"] for e in g["entities"]),
                     sorted((x["from"], x["relationType"], x["to"]) for x in g["relations"]))
    assert key(graph) == key(replay), "the concurrent graph differs from the serial replay"
    assert len(graph["relations"]) == 8 * 50, len(graph["relations"])


async def past_its_bound_it_refuses_at_once_and_counts_it():
    # One request in progress at most: of 24 at once some are refused with 503 and
    # Retry-After, none waits without end; /metrics counts them by route and status.
    import concurrent.futures
    with Served("--max-requests", "1") as served:
        def ask(i):
            with rest(served, READ) as r:
                return r.get("/v1/recall", params={"q": f"anything {i}"})
        answers = []
        for _ in range(10):  # bursts until one overlaps (nearly always the first)
            with concurrent.futures.ThreadPoolExecutor(24) as pool:
                answers += list(pool.map(ask, range(24)))
            if any(a.status_code == 503 for a in answers):
                break
        statuses = sorted({a.status_code for a in answers})
        assert statuses == [200, 503], statuses
        refused = [a for a in answers if a.status_code == 503]
        assert all(a.headers["retry-after"] == "1" and a.json()["error"] == "overloaded"
                   for a in refused), refused[0].text
        with rest(served, READ) as r:
            metrics = r.get("/metrics").text
        count = lambda status: sum(
            float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
            if line.startswith("engram_http_requests_total{") and 'route="/v1/recall"' in line
            and f'status="{status}"' in line)
        assert count(503) == len(refused) and count(200) == len(answers) - len(refused), metrics
        assert f"engram_http_requests_refused_total {len(refused)}" in metrics, metrics
        assert "engram_store_facts " in metrics and "engram_http_request_duration_seconds_bucket" in metrics
        assert served.get("/metrics")[0] == 401


async def sigkill_during_writes_keeps_every_acknowledged_write():
    # Four clients write as fast as they can; the server is killed (SIGKILL) in the middle.
    # Every write that was answered 200 is in the store after, which opens cleanly.
    import concurrent.futures
    import threading
    stop = threading.Event()
    with Served() as served:
        def writer(c):
            acked = []
            with rest(served) as http:
                i = 0
                while not stop.is_set():
                    try:
                        r = http.post("/v1/relate", json={"from": f"w{c}", "type": "wrote",
                                                          "to": f"n{c}-{i}"})
                    except httpx2.HTTPError:
                        break
                    if r.status_code == 200:
                        acked.append(f"n{c}-{i}")
                    i += 1
            return acked
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(writer, c) for c in range(4)]
            time.sleep(1.5)
            served.proc.kill()
            served.proc.wait()
            stop.set()
            acked = [f.result() for f in futures]
    assert sum(map(len, acked)) > 20, acked
    out = json.loads(engram_cli(served.db, "query", "--format", "json", '?- relation(w, "WROTE", x).'))
    stored = {a["values"][1] for a in out[0]["answers"]}
    lost = [name for names in acked for name in names if name not in stored]
    assert not lost, f"acknowledged and lost: {lost[:10]} of {sum(map(len, acked))}"


async def an_export_streams_and_imports_into_another_server():
    # The example memory imported over REST, exported as a stream, imported into a second
    # server: the second's export of what was asserted is the first's.
    with Served() as one, Served() as two, rest(one) as a, rest(two) as b:
        with open(EXAMPLE, "rb") as f:
            example = f.read()
        made = a.post("/v1/import", content=example)
        assert made.status_code == 200 and made.json()["format"] == "engram", made.text
        assert made.json()["asserted"] > 1000, made.json()
        lines = []
        with a.stream("GET", "/v1/export") as r:
            assert r.status_code == 200 and r.headers["content-type"] == "application/x-ndjson"
            for line in r.iter_lines():
                lines.append(json.loads(line))
        assert any(l.get("inferred") for l in lines), "the export holds what the rules derived"
        again = b.post("/v1/import", content="\n".join(json.dumps(l) for l in lines))
        assert again.status_code == 200, again.text
        asserted = lambda http: [
            l for l in (json.loads(x) for x in http.get("/v1/export").text.splitlines())
            if not l.get("inferred") and l.get("kind") in ("memory", "entity", "relation")]
        assert asserted(a) == asserted(b)
        mcp = a.get("/v1/export", params={"format": "mcp-memory"}).text.splitlines()
        assert mcp and all(json.loads(x)["type"] in ("entity", "relation") for x in mcp)
        bad = b.post("/v1/import", content=b'{"kind": "memory", "title": 5}\n')
        assert bad.status_code == 400 and "line" in bad.json()["detail"], bad.text
        assert a.get("/v1/export", params={"format": "csv"}).status_code == 400


async def sighup_reads_the_tokens_again():
    # A token taken out of the file and SIGHUP: refused; a new one: accepted; a file made
    # unusable: the tokens there were are kept (and the error names the line, not the token).
    with Served() as served:
        tokens = f"{served.dir}/tokens"
        new = "n" * 8 + "0123456789abcdef"
        with open(tokens, "w") as f:
            f.write(f"write {new}\n")
        served.proc.send_signal(signal.SIGHUP)
        for _ in range(100):
            with rest(served, WRITE) as old:
                if old.get("/v1/stats").status_code == 401:
                    break
            time.sleep(0.05)
        with rest(served, WRITE) as old, rest(served, new) as fresh:
            assert old.get("/v1/stats").status_code == 401
            assert fresh.get("/v1/stats").status_code == 200
        with open(tokens, "w") as f:
            f.write("write tooshortsecret\n")
        served.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        with rest(served, new) as fresh:
            assert fresh.get("/v1/stats").status_code == 200
        code, err = served.stop()
        assert "tokens:1" in err and "tooshortsecret" not in err, err


if __name__ == "__main__":
    run([
        the_reference_session_runs_over_streamable_http,
        a_stateless_server_answers_the_same,
        a_stdio_client_reaches_it_through_engram_mcp_remote,
        a_token_is_required_and_a_read_token_cannot_write,
        a_foreign_origin_or_host_is_refused,
        sigterm_stops_it_with_every_acknowledged_write_kept,
        no_auth_is_for_loopback_only,
        the_rest_api_does_what_the_tools_do,
        eight_clients_at_once_lose_nothing,
        past_its_bound_it_refuses_at_once_and_counts_it,
        sigkill_during_writes_keeps_every_acknowledged_write,
        an_export_streams_and_imports_into_another_server,
        sighup_reads_the_tokens_again,
    ])
