"""engram's MCP tools, and the reference tools' engram additions (inferred knowledge, pages
sized for a context window), on the shipped example memory."""

import asyncio
import json
import shutil

from harness import EXAMPLE, Client, call, engram, engram_cli, ok, run, tempdir

OWN = ["remember", "relate", "recall", "query", "explain", "forget", "add_rule", "violations", "stats"]


def example_store():
    """A store with the standard rules and the example memory loaded by the CLI."""
    db = f"{tempdir()}/example.db"
    engram_cli(db, "init")
    engram_cli(db, "load", EXAMPLE)
    return db


DB = example_store()


def fresh():
    """A copy of the example store, for a check that changes it."""
    db = f"{tempdir()}/copy.db"
    shutil.copytree(DB, db)
    return db


async def every_tool_is_listed_with_schemas():
    async with Client(engram(DB)) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
        for name in OWN:
            assert name in tools, name
        for t in tools.values():
            assert t.description and t.input_schema["type"] == "object", t
            assert t.output_schema and t.output_schema["type"] == "object", t.name
            assert t.annotations is not None, t.name
        # Regression (issue 29): recall's schema promised pages of about 8,000 tokens; it
        # gives 10 hits unless asked.
        limit = tools["recall"].input_schema["properties"]["limit"]["description"]
        assert "default 10" in limit and "8,000" not in limit, limit


async def read_graph_comes_in_pages_that_fit_a_context_window():
    async with Client(engram(DB)) as c:
        first = await call(c, "read_graph")
        assert not first.error, first
        # About 8,000 tokens at most: the text and the structured copy are the same JSON.
        assert len(first.text) <= 20_000, len(first.text)
        page = first.data["page"]
        assert page["next_offset"] == page["returned"] and page["omitted"] > 0, page
        seen, offset, pages = [], 0, 0
        while offset is not None:
            data = await ok(c, "read_graph", {"offset": offset})
            assert len(json.dumps(data)) <= 20_000
            seen += [("e", e["name"]) for e in data["entities"]]
            seen += [("r", r["from"], r["relationType"], r["to"]) for r in data["relations"]]
            offset = data.get("page", {}).get("next_offset")
            pages += 1
        assert len(seen) == page["total"] and len(set(seen)) == len(seen), (len(seen), page)
        assert pages > 2
        everything = await ok(c, "read_graph", {"limit": 100000})
        assert "page" not in everything
        assert len(everything["entities"]) + len(everything["relations"]) == page["total"]
        inferred = [r for r in everything["relations"] if r.get("inferred")]
        assert inferred and all(0 < r["confidence"] <= 1 and r["rule"] for r in inferred)
        asserted = await ok(c, "read_graph", {"limit": 100000, "asserted_only": True})
        assert not any(r.get("inferred") for r in asserted["relations"])
        assert len(asserted["relations"]) == len(everything["relations"]) - len(inferred)
        names = await ok(c, "read_graph", {"names_only": True, "limit": 50})
        assert names["entities"] and all("observations" not in e for e in names["entities"])
        bad = await call(c, "read_graph", {"limit": 0})
        assert bad.error and "limit" in bad.text, bad


async def search_and_open_show_what_was_inferred():
    async with Client(engram(DB)) as c:
        found = await ok(c, "search_nodes", {"query": "WEBHOOK"})
        assert found["entities"], found
        for e in found["entities"]:
            text = " ".join([e["name"], e["entityType"], *e.get("observations", [])]).lower()
            assert "webhook" in text, e
        opened = await ok(c, "open_nodes", {"names": ["m024"]})
        assert [e["name"] for e in opened["entities"]] == ["m024"], opened
        rels = opened["relations"]
        assert all("m024" in (r["from"], r["to"]) for r in rels), rels
        assert any(r.get("inferred") for r in rels), rels


async def recall_query_and_explain_answer_with_why():
    async with Client(engram(DB)) as c:
        hits = (await ok(c, "recall", {"query": "webhook retries"}))["hits"]
        assert 0 < len(hits) <= 10 and hits[0]["matched"], hits[:1]
        two = await ok(c, "recall", {"query": "webhook retries", "limit": 2})
        assert [h["id"] for h in two["hits"]] == [h["id"] for h in hits[:2]]
        assert two["page"]["next_offset"] == 2
        after = await ok(c, "recall", {"query": "webhook retries", "limit": 2, "offset": 2})
        assert [h["id"] for h in after["hits"]] == [h["id"] for h in hits[2:4]]

        q = await ok(c, "query", {"query": '?- edge("m024", t, x).'})
        assert q["columns"] == ["t", "x"] and q["rows"], q
        row = q["rows"][0]
        assert set(row) >= {"values", "confidence", "depth", "rule"}, row
        short = await ok(c, "query", {"query": 'edge("m024", t, x)', "limit": 1})
        assert len(short["rows"]) == 1 and short["page"]["total"] == len(q["rows"])
        bad = await call(c, "query", {"query": "?- edge(x, y"})
        assert bad.error and ":1:" in bad.text, bad

        graph = await ok(c, "read_graph", {"limit": 100000})
        r = next(r for r in graph["relations"] if r.get("inferred") and r["rule"] != "asserted_relation")
        fact = f'edge("{r["from"]}", "{r["relationType"]}", "{r["to"]}")'
        text = await ok(c, "explain", {"fact": fact})
        assert text["holds"] and r["rule"] in text["proof"], text
        tree = await ok(c, "explain", {"fact": fact, "format": "json"})
        assert tree["proof"]["rule"] == r["rule"] and tree["proof"]["premises"], tree
        nope = await ok(c, "explain", {"fact": 'edge("nobody", "KNOWS", "nothing")'})
        assert nope["holds"] is False


async def remember_and_relate_infer_at_once():
    db = fresh()
    async with Client(engram(db)) as c:
        m = await ok(c, "remember", {
            "title": "Retry webhooks with exponential backoff",
            "content": "Stripe webhooks failed under load; retries with backoff fixed it",
            "type": "solution", "tags": ["webhooks", "stripe"], "project": "billing",
            "importance": 0.8,
        })
        assert m["id"].startswith("memory#") and m["report"]["asserted"] > 0, m
        again = await ok(c, "remember", {
            "title": "Retry webhooks with exponential backoff",
            "content": "Stripe webhooks failed under load; retries with backoff fixed it",
        })
        assert again["id"] == m["id"]
        hits = (await ok(c, "recall", {"query": "exponential backoff"}))["hits"]
        assert hits and hits[0]["id"] == m["id"], hits[:2]
        # Each hit matched by its text shows the text that matched (issue 29).
        assert "backoff" in hits[0]["snippet"].lower(), hits[0]
        # Regression (issue 29): scores came with seventeen digits.
        assert all(round(h["score"], 4) == h["score"] and round(h["relevance"], 4) == h["relevance"]
                   for h in hits), hits[:2]
        rel = await ok(c, "relate", {"from": m["id"], "type": "solves", "to": "m001", "confidence": 0.9})
        assert rel["report"]["added"] > 0, rel
        # Regression (issue 29): the relation came back as written, not as the rules read it.
        assert rel["relation"]["type"] == "SOLVES" and rel["relation"]["written"] == "solves", rel
        around = await ok(c, "open_nodes", {"names": [m["id"]]})
        solved_by = [r for r in around["relations"] if r["relationType"] == "SOLVED_BY"]
        assert solved_by and solved_by[0]["inferred"] and solved_by[0]["from"] == "m001", around
        # Remembered again, it says what the rules inferred around it: the inverse of the
        # relation just asserted, never the asserted relation itself.
        again = await ok(c, "remember", {
            "title": "Retry webhooks with exponential backoff",
            "content": "Stripe webhooks failed under load; retries with backoff fixed it",
        })
        inferred = again["inferred"]
        assert all(r["inferred"] and m["id"] in (r["from"], r["to"]) for r in inferred), inferred
        assert any(r["relationType"] == "SOLVED_BY" and r["from"] == "m001" for r in inferred), inferred
        assert not any(r["relationType"] == "SOLVES" and r["from"] == m["id"] for r in inferred), inferred
        bad = await call(c, "remember", {"title": "x", "importance": 7})
        assert bad.error and "importance" in bad.text, bad
        dashes = await ok(c, "relate", {"from": "a", "type": "---", "to": "b"})
        assert dashes["relation"]["type"] == "U2D_U2D_U2D", dashes
        bad = await call(c, "relate", {"from": "a", "type": "", "to": "b"})
        assert bad.error, bad


async def violations_stats_and_rules():
    db = fresh()
    async with Client(engram(db)) as c:
        v = (await ok(c, "violations"))["violations"]
        assert v and all(x["constraint"] for x in v), v[:1]
        only = (await ok(c, "violations", {"constraint": v[0]["constraint"]}))["violations"]
        assert only and all(x["constraint"] == v[0]["constraint"] for x in only)
        stats = await ok(c, "stats")
        assert stats["facts"] > 20000 and "affinity" in stats["rule_files"], stats
        generation = stats["generation"]

        bad = await call(c, "add_rule", {"name": "mine", "text": "p(x) :- edge(x, _, _)\nq(y) :- p(y)."})
        assert bad.error and "mine:1:22: error" in bad.text and "^" in bad.text, bad
        files = await call(c, "add_rule", {"name": "leak", "text":
            '.decl secret(x: symbol)\n.input secret(IO=file, filename="/etc/passwd")\n'})
        assert files.error and "leak:2:1:" in files.text and "no files" in files.text, files
        bad_name = await call(c, "add_rule", {"name": "../x", "text": ""})
        assert bad_name.error, bad_name
        assert (await ok(c, "stats"))["generation"] == generation, "nothing changed"

        good = await ok(c, "add_rule", {"name": "hubs", "text": (
            '.include "schema.dl"\n.decl busy(x: symbol)\n'
            '@name("busy") busy(x) :- edge(x, "DEPENDS_ON", _), edge(x, "RELATED_TO", _).\n')})
        assert good["report"]["rederived"], good
        q = await ok(c, "query", {"query": "?- busy(x)."})
        assert q["rows"] and q["rows"][0]["rule"] == "busy", q
        assert "hubs" in (await ok(c, "stats"))["rule_files"]


async def forget_by_id_fact_and_policy():
    db = fresh()
    async with Client(engram(db)) as c:
        gone = await ok(c, "forget", {"ids": ["m024"]})
        assert gone["ids"] == ["m024"]
        assert (await ok(c, "open_nodes", {"names": ["m024"]}))["entities"] == []
        tags = await ok(c, "query", {"query": '?- tag("m025", t).'})
        assert tags["rows"], tags
        t = tags["rows"][0]["values"][-1]
        facts = await ok(c, "forget", {"facts": [f'tag("m025", "{t}")']})
        assert facts["facts"]["retracted"] == 1, facts
        dry = await ok(c, "forget", {"min_confidence": 0.5, "max_age_days": 0, "dry_run": True})
        assert dry["cleanup"]["dry_run"] and dry["cleanup"]["forgotten"] > 0, dry
        assert dry["cleanup"]["report"] is None
        nothing = await call(c, "forget", {})
        assert nothing.error, nothing
        # Regression (issue 29): forgetting what is not there, or what only a rule derives,
        # reported success.
        absent = await call(c, "forget", {"ids": ["no-such-id"]})
        assert absent.error and "no-such-id" in absent.text, absent
        absent = await call(c, "forget", {"facts": ['tag("m025", "no-such-tag")']})
        assert absent.error and "no such fact" in absent.text, absent
        derived = await ok(c, "query", {"query": '?- edge(a, t, b), !relation(a, t, b).', "limit": 1})
        a, t, b = derived["rows"][0]["values"]
        derived = await call(c, "forget", {"facts": [f'edge("{a}", "{t}", "{b}")']})
        assert derived.error and "derived by the rule" in derived.text, derived
        some = await ok(c, "forget", {"ids": ["m026", "no-such-id"]})
        assert some["ids"] == ["m026"] and some["not_forgotten"][0]["what"] == "no-such-id", some


async def a_disjunctive_query_is_one_query():
    """Regression (issue 29): a query whose body holds a disjunction was refused over MCP
    ("write one query") though the CLI answers it."""
    async with Client(engram(f"{tempdir()}/q.db")) as c:
        for a, b in [("Alice", "Bob"), ("Carol", "Alice"), ("Dan", "Eve"), ("Alice", "Alice")]:
            await ok(c, "relate", {"from": a, "type": "KNOWS", "to": b})
        q = await ok(c, "query", {"query": '?- relation(a, t, b), (a = "Alice" ; b = "Alice").'})
        got = sorted((r["values"][0], r["values"][2]) for r in q["rows"])
        assert got == [("Alice", "Alice"), ("Alice", "Bob"), ("Carol", "Alice")], q
        two = await call(c, "query", {"query": '?- relation(a, t, b). ?- entity(x, y).'})
        assert two.error and "one query" in two.text, two


async def forgetting_a_relation_forgets_how_it_was_written():
    """Regression (issue 29): `forget` of a relation left its written form behind, so the
    same relation written another way later showed both forms, and deleting one left the
    other alive."""
    async with Client(engram(f"{tempdir()}/w.db")) as c:
        await ok(c, "create_entities", {"entities": [
            {"name": "payments-service", "entityType": "service", "observations": []},
            {"name": "stripe", "entityType": "service", "observations": []}]})
        await ok(c, "create_relations", {"relations": [
            {"from": "payments-service", "to": "stripe", "relationType": "uses"}]})
        await ok(c, "forget", {"facts": ['relation("payments-service", "USES", "stripe")']})
        gone = await ok(c, "open_nodes", {"names": ["payments-service"], "asserted_only": True})
        assert gone["relations"] == [], gone
        made = {"from": "payments-service", "to": "stripe", "relationType": "Uses"}
        await ok(c, "create_relations", {"relations": [made]})
        opened = await ok(c, "open_nodes", {"names": ["payments-service"], "asserted_only": True})
        assert opened["relations"] == [made], opened
        await ok(c, "delete_relations", {"relations": [made]})
        opened = await ok(c, "open_nodes", {"names": ["payments-service"], "asserted_only": True})
        assert opened["relations"] == [], opened


WHY_RULES = """
.decl link(x: symbol, y: symbol)
.decl reach(x: symbol, y: symbol)
.decl closed(x: symbol)
.decl open_route(x: symbol, y: symbol)
.decl works_at(person: symbol, org: symbol) functional(person)
reach(x, y) :- link(x, y).
@name("transitive") @max_depth(3)
reach(x, z) :- link(x, y), reach(y, z).
open_route(x, y) :- reach(x, y), !closed(y).
"""


async def explain_says_why_not():
    """Issue 29: `explain` with `why_not` names, per rule, what stopped it: a missing
    premise, a blocking negation, a depth bound, a forgetting policy, a newer fact."""
    db = f"{tempdir()}/why.db"
    engram_cli(db, "init", "--no-default-rules")
    engram_cli(db, "add", 'link("a", "b").', 'link("b", "c").', 'link("c", "d").',
               'link("d", "e").', 'link("x", "y") @ 0.2.', 'closed("c").',
               'works_at("ann", "acme") ~ "2026-01-05T09:00:00Z".',
               'works_at("ann", "globex") ~ "2026-06-01T09:00:00Z".')
    async with Client(engram(db)) as c:
        await ok(c, "add_rule", {"name": "why", "text": WHY_RULES.lstrip()})

        async def why(fact):
            got = await ok(c, "explain", {"fact": fact, "why_not": True, "format": "json"})
            assert got["holds"] is False and "proof" not in got, got
            return got["why_not"]

        def reasons(w):
            return {r["rule"]: r["reason"] for r in w["rules"]}

        missing = await why('reach("a", "y")')
        assert reasons(missing) == {"why:6": "missing_premise", "transitive": "missing_premise"}, missing
        first = missing["rules"][0]
        assert first["missing"] == ['link("a", "y")'] and 'link("a", "b")' in first["near"], first
        blocked = await why('open_route("a", "c")')
        rule = blocked["rules"][0]
        assert rule["reason"] == "blocked_by_negation", blocked
        assert [b["fact"] for b in rule["blocking"]] == ['closed("c")'], rule
        deep = await why('reach("a", "e")')
        cut = next(r for r in deep["rules"] if r["rule"] == "transitive")
        assert cut["reason"] == "depth_bound" and (cut["max_depth"], cut["depth"]) == (3, 4), cut
        await ok(c, "forget", {"min_confidence": 0.5, "max_age_days": 0})
        gone = await why('reach("x", "y")')
        forgot = gone["rules"][0]
        assert forgot["reason"] == "forgotten" and forgot["min_confidence"] == 0.5, forgot
        assert forgot["premises"][0]["fact"] == 'link("x", "y")', forgot
        old = await why('works_at("ann", "acme")')
        assert old["superseded_by"]["fact"] == 'works_at("ann", "globex")', old
        text = await ok(c, "explain", {"fact": 'reach("a", "y")', "why_not": True})
        assert "missing premise link(x, y)" in text["why_not"], text
        holds = await ok(c, "explain", {"fact": 'reach("a", "c")', "why_not": True})
        assert holds["holds"] and "why_not" not in holds and "transitive" in holds["proof"], holds


async def a_rule_file_of_ones_own_may_declare_edge():
    """Regression (issue 29, defect 12): a rule file declaring its own `edge(x, y)` in a store
    with the standard rules failed with `relation edge is declared twice`. Now it is the
    file's own (`graph.edge` from outside), and `memory.edge` reads the library's."""
    db = fresh()
    async with Client(engram(db)) as c:
        added = await call(c, "add_rule", {"name": "graph", "text": (
            ".decl edge(x: symbol, y: symbol)\n.decl path(x: symbol, y: symbol)\n"
            ".decl depends(x: symbol, y: symbol)\n"
            "edge(\"a\", \"b\"). edge(\"b\", \"c\").\n"
            "path(x, y) :- edge(x, y).\npath(x, z) :- path(x, y), edge(y, z).\n"
            "depends(x, y) :- memory.edge(x, \"DEPENDS_ON\", y).\n")})
        assert not added.error, added
        paths = await ok(c, "query", {"query": '?- path("a", x).'})
        assert [r["values"] for r in paths["rows"]] == [["b"], ["c"]], paths
        own = await ok(c, "query", {"query": "?- graph.edge(x, y)."})
        assert len(own["rows"]) == 2, own
        library = await ok(c, "query", {"query": '?- edge(x, "DEPENDS_ON", y).'})
        depends = await ok(c, "query", {"query": "?- depends(x, y)."})
        assert library["rows"] and len(depends["rows"]) == len(library["rows"]), (library, depends)


async def the_graph_resource_can_be_subscribed_to():
    """Issue 29, defect 11: the reference server's resource supports subscriptions and
    engram's did not. A subscriber is told when the graph changes, by its own write or by
    another process's commit that a later call reads: over `subscriptions/listen` (protocol
    2026-07-28) and over `resources/subscribe` (a client of an older protocol)."""
    db = fresh()
    uri = "memory://knowledge-graph"
    async with Client(engram(db)) as c:
        async with c.listen(resource_subscriptions=[uri]) as sub:
            assert list(sub.honored.resource_subscriptions) == [uri], sub.honored
            await ok(c, "create_entities", {"entities": [
                {"name": "Zed", "entityType": "person", "observations": ["new"]}]})
            event = await asyncio.wait_for(sub.__anext__(), 10)
            assert uri in repr(event), event
            engram_cli(db, "add", 'relation("Zed", "KNOWS", "Alice Chen").')
            await ok(c, "search_nodes", {"query": "Zed"})
            event = await asyncio.wait_for(sub.__anext__(), 10)
            assert uri in repr(event), event
        nothing = c.listen(resource_subscriptions=["memory://nothing"])
        async with nothing as sub:
            assert not sub.honored.resource_subscriptions, sub.honored

    updates = []

    async def handler(message):
        if getattr(message, "method", None) == "notifications/resources/updated":
            updates.append(message.params.uri)

    async with Client(engram(db), mode="legacy", message_handler=handler) as c:
        await c.subscribe_resource(uri)
        await ok(c, "stats")
        assert updates == [], updates
        await ok(c, "create_entities", {"entities": [
            {"name": "Ygg", "entityType": "person", "observations": []}]})
        await ok(c, "stats")
        assert updates == [uri], updates
        await c.unsubscribe_resource(uri)
        await ok(c, "create_entities", {"entities": [
            {"name": "Xu", "entityType": "person", "observations": []}]})
        await ok(c, "stats")
        assert updates == [uri], updates

if __name__ == "__main__":
    run([
        every_tool_is_listed_with_schemas,
        read_graph_comes_in_pages_that_fit_a_context_window,
        search_and_open_show_what_was_inferred,
        recall_query_and_explain_answer_with_why,
        remember_and_relate_infer_at_once,
        violations_stats_and_rules,
        forget_by_id_fact_and_policy,
        forgetting_a_relation_forgets_how_it_was_written,
        a_disjunctive_query_is_one_query,
        explain_says_why_not,
        a_rule_file_of_ones_own_may_declare_edge,
        the_graph_resource_can_be_subscribed_to,
    ])
