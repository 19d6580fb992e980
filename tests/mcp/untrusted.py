"""Everything an agent sends is data: names, types and observations that look like Datalog,
control characters, NUL and 100 KB of text are stored and read back exactly (or refused with
a clear error), and none of them changes the program. Rules added through MCP read no files
and cannot run away."""

import re

from harness import Client, call, engram, ok, run, tempdir

NASTY = [
    'quote " and \\" backslash',
    "new\nline and\ttab and \r return",
    'closing ). evil(x) :- edge(x, _, _). p("',
    ":- edge(_, _, _).",
    ".decl evil(x: symbol)\n.output evil",
    "nul \x00 inside",
    "unicode: λ → 漢字 🙂",
    "",
    " ",
    "x" * 100_000,
]


async def hostile_strings_are_stored_and_read_back_exactly():
    async with Client(engram(f"{tempdir()}/u.db")) as c:
        before = await ok(c, "stats")
        entities = [
            {"name": f"e{i}:{s}", "entityType": s, "observations": [s, f"obs {i}"]}
            for i, s in enumerate(NASTY)
        ]
        made = await call(c, "create_entities", {"entities": entities})
        assert not made.error, made
        assert made.data["entities"] == entities
        relations = [
            {"from": f"e{i}:{s}", "to": f"e{(i + 1) % len(NASTY)}:{NASTY[(i + 1) % len(NASTY)]}",
             "relationType": f"rel {s[:50]} type{i}"}
            for i, s in enumerate(NASTY)
        ]
        made = await ok(c, "create_relations", {"relations": relations})
        assert made["relations"] == relations
        graph = await ok(c, "read_graph", {"asserted_only": True, "limit": 1000})
        assert graph["entities"] == entities, "entities differ"
        assert graph["relations"] == relations, "relations differ"
        for e in entities:
            opened = await ok(c, "open_nodes", {"names": [e["name"]], "asserted_only": True})
            assert opened["entities"] == [e], e["name"][:80]
        found = await ok(c, "search_nodes", {"query": "EVIL(X)", "asserted_only": True})
        assert [e["name"] for e in found["entities"]] == ["e2:" + NASTY[2]], found
        added = await ok(c, "add_observations", {"observations": [
            {"entityName": entities[5]["name"], "contents": NASTY}]})
        assert added["results"][0]["addedObservations"] == [s for s in NASTY if s not in entities[5]["observations"]]
        await ok(c, "delete_observations", {"deletions": [
            {"entityName": entities[5]["name"], "observations": NASTY}]})
        opened = await ok(c, "open_nodes", {"names": [entities[5]["name"]], "asserted_only": True})
        assert opened["entities"][0]["observations"] == ["obs 5"], opened
        m = await ok(c, "remember", {"title": NASTY[2], "content": NASTY[1], "tags": NASTY[:3]})
        q = await ok(c, "query", {"query": "?- content(x, text)."})
        assert [r["values"] for r in q["rows"]] == [[m["id"], NASTY[1]]], q
        got = await ok(c, "open_nodes", {"names": [m["id"]], "asserted_only": True})
        assert got["entities"][0]["observations"] == [NASTY[2], NASTY[1]], got
        # The program is what it was: no rule file, relation or rule came from the data.
        after = await ok(c, "stats")
        assert after["rule_files"] == before["rule_files"]
        evil = await call(c, "query", {"query": "?- evil(x)."})
        assert evil.error and "evil" in evil.text, evil
        await ok(c, "delete_entities", {"entityNames": [e["name"] for e in entities]})
        graph = await ok(c, "read_graph", {"asserted_only": True, "limit": 1000})
        assert [e["name"] for e in graph["entities"]] == [m["id"]] and graph["relations"] == [], graph


async def malformed_arguments_are_named_by_their_path():
    """Regression (issue 29): a missing argument was named by the object it is missing from
    (`missing field entityType`); the reference server says `entities[0].entityType`."""
    async with Client(engram(f"{tempdir()}/a.db")) as c:
        r = await call(c, "create_entities", {"entities": [
            {"name": "a", "entityType": "t", "observations": []}, {"name": "b", "observations": []}]})
        assert r.error and "entities[1].entityType" in r.text, r
        r = await call(c, "create_relations", {"relations": [{"from": "a", "to": "b"}]})
        assert r.error and "relations[0].relationType" in r.text, r
        r = await call(c, "recall", {})
        assert r.error and "`query`" in r.text, r
        r = await call(c, "create_entities", {"entities": [{"name": "a", "entityType": 3, "observations": []}]})
        assert r.error and "entities[0].entityType" in r.text, r


async def a_relation_type_without_letters_is_stored_as_written():
    """Regression (issue 29): relation types with no letter or digit were refused; the
    reference server stores them, and so must a drop-in."""
    async with Client(engram(f"{tempdir()}/t.db")) as c:
        made = [{"from": "a", "to": "b", "relationType": t} for t in ["fine", ")-:", "🔗", "__", "!!!"]]
        r = await ok(c, "create_relations", {"relations": made})
        assert r["relations"] == made, r
        graph = await ok(c, "read_graph", {"asserted_only": True})
        assert sorted(x["relationType"] for x in graph["relations"]) == sorted(m["relationType"] for m in made), graph
        q = await ok(c, "query", {"query": '?- relation("a", t, "b").'})
        assert sorted(r["values"][0] for r in q["rows"]) == ["FINE", "U1F517", "U21_U21_U21", "U29_U2D_U3A", "U5F_U5F"], q
        await ok(c, "delete_relations", {"relations": [made[2]]})
        graph = await ok(c, "read_graph", {"asserted_only": True})
        assert "🔗" not in [x["relationType"] for x in graph["relations"]], graph
        empty = await call(c, "create_relations", {"relations": [{"from": "a", "to": "b", "relationType": ""}]})
        assert empty.error and "empty" in empty.text, empty


async def rules_from_an_agent_read_no_files_and_cannot_run_away():
    limits = ["--max-facts", "100000", "--timeout", "5"]
    async with Client(engram(f"{tempdir()}/r.db", *limits)) as c:
        generation = (await ok(c, "stats"))["generation"]
        for name, text in [
            ("inp", '.decl s(x: symbol)\n.input s(filename="/etc/passwd")\n'),
            ("out", '.decl s(x: symbol)\n.output s(IO=file, filename="/tmp/engram-leak.csv")\n'),
            ("inc", '.include "/etc/passwd"\n'),
            # The C preprocessor reads no file either, and a directive a macro writes is seen.
            ("cpp", '#include "/etc/passwd"\n'),
            ("macro", '#define F filename="/etc/passwd"\n.decl s(x: symbol)\n.input s(F)\n'),
            # Nor does a component's directive, once instantiated.
            ("comp", '.comp C {\n.decl s(x: symbol)\n.input s(filename="/etc/passwd")\n}\n.init c = C\n'),
        ]:
            r = await call(c, "add_rule", {"name": name, "text": text})
            assert r.error and re.search(f"{name}:[123]:1: error:", r.text), (name, r)
        runaway = await call(c, "add_rule", {"name": "count", "text":
            ".decl n(x: number)\nn(0).\nn(x + 1) :- n(x).\n"})
        assert runaway.error and "`n`" in runaway.text and "limit" in runaway.text, runaway
        explode = await call(c, "add_rule", {"name": "pairs", "text":
            ".decl n(x: number)\n.decl p(x: number, y: number)\n"
            "n(0).\nn(x + 1) :- n(x), x < 1000.\np(x, y) :- n(x), n(y).\n"})
        assert explode.error and "`p`" in explode.text and "limit" in explode.text, explode
        stats = await ok(c, "stats")
        assert stats["generation"] == generation and "count" not in stats["rule_files"], stats
        # And the memory still works.
        await ok(c, "create_entities", {"entities": [{"name": "a", "entityType": "t", "observations": []}]})
        # A rule that runs away only once facts arrive: the write that sets it off is refused
        # whole, and replacing the rule file with nothing puts things right.
        await ok(c, "add_rule", {"name": "chain", "text":
            '.include "schema.dl"\n.decl chain(t: symbol)\n'
            'chain(t) :- tag(_, t).\nchain(cat(t, "+")) :- chain(t).\n'})
        r = await call(c, "remember", {"title": "tagged", "tags": ["go"]})
        assert r.error and "`chain`" in r.text, r
        assert (await ok(c, "recall", {"query": "tagged"}))["hits"] == []
        await ok(c, "add_rule", {"name": "chain", "text": ""})
        m = await ok(c, "remember", {"title": "tagged", "tags": ["go"]})
        assert (await ok(c, "recall", {"query": "tagged"}))["hits"][0]["id"] == m["id"]


async def the_standard_rules_are_replaced_only_on_purpose():
    """Regression (issue 29): `add_rule {"name": "schema", "text": ""}` succeeded and switched
    off inference without a word."""
    async with Client(engram(f"{tempdir()}/s.db")) as c:
        before = await ok(c, "stats")
        r = await call(c, "add_rule", {"name": "schema", "text": ""})
        assert r.error and "replace_standard" in r.text, r
        r = await call(c, "add_rule", {"name": "inverse", "text": "", "replace_standard": False})
        assert r.error and "standard" in r.text, r
        assert (await ok(c, "stats"))["generation"] == before["generation"]
        await ok(c, "relate", {"from": "a", "type": "PART_OF", "to": "b"})
        q = await ok(c, "query", {"query": '?- edge("b", t, "a").'})
        assert q["rows"], ("the inverse rules still derive", q)
        await ok(c, "add_rule", {"name": "inverse", "text": "", "replace_standard": True})
        q = await ok(c, "query", {"query": '?- edge("b", t, "a").'})
        assert not q["rows"], ("switched off on purpose", q)


if __name__ == "__main__":
    run([
        the_standard_rules_are_replaced_only_on_purpose,
        hostile_strings_are_stored_and_read_back_exactly,
        a_relation_type_without_letters_is_stored_as_written,
        malformed_arguments_are_named_by_their_path,
        rules_from_an_agent_read_no_files_and_cannot_run_away,
    ])
