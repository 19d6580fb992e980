"""The memory model from Python: load, export, remember, relate, recall."""

import json

import pytest

import engram


@pytest.fixture
def memory(example):
    store = engram.Store.in_memory(default_rules=True)
    loaded = store.load(example)
    assert loaded["format"] == "engram" and loaded["facts"] > 5000
    assert loaded["commit"]["asserted"] > 5000 and loaded["skipped"] == []
    return store


def test_recall_answers_with_why(memory):
    hits = memory.recall("webhook retries", limit=5)
    assert 1 <= len(hits) <= 5
    first = hits[0]
    assert first.kind == "memory" and first.why.startswith("matches")
    assert "retries" in first.matched or "webhook" in first.matched
    assert first.score > 0 and 0 < first.relevance <= 1 and first.snippet
    deep = memory.recall("webhook retries", depth=2, limit=50)
    reached = [h for h in deep if h.path]
    assert reached, "some hits come through the graph"
    step = reached[0].path[0]
    assert {"from", "relation", "to", "confidence"} <= set(step)
    assert reached[0].why and not reached[0].why.startswith("matches")
    assert memory.recall("zzzz qqqq") == []
    shallow = memory.recall("webhook retries", depth=0, limit=50)
    assert all(not h.path for h in shallow)


def test_export_round_trips_into_a_new_store(memory, tmp_path):
    text = memory.export()
    lines = [json.loads(line) for line in text.splitlines()]
    assert any(line.get("inferred") for line in lines)
    derived = memory.export(inferred_only=True)
    kinds = {json.loads(line).get("kind") for line in derived.splitlines()}
    assert all(
        json.loads(line).get("inferred") or json.loads(line)["kind"] in ("same_as", "violation")
        for line in derived.splitlines()
    )
    assert "same_as" in kinds and "memory" not in kinds
    path = tmp_path / "export.jsonl"
    path.write_text(text)
    again = engram.Store.in_memory(default_rules=True)
    loaded = again.load(path)
    assert loaded["notes"], "derived lines are named as not loaded"
    assert again.stats()["asserted"] == memory.stats()["asserted"]
    assert again.stats()["derived"] == memory.stats()["derived"]
    mcp = memory.export("mcp-memory")
    first = json.loads(mcp.splitlines()[0])
    assert first["type"] == "entity"
    path = tmp_path / "memory.json"
    path.write_text(mcp)
    back = engram.Store.in_memory(default_rules=True)
    assert back.load(path, "mcp-memory")["format"] == "mcp-memory"
    with pytest.raises(ValueError):
        memory.export("yaml")
    written = memory.export(path=tmp_path / "streamed.jsonl")
    assert (tmp_path / "streamed.jsonl").read_text() == text and written == len(lines)
    assert memory.export("mcp-memory", path=tmp_path / "mcp.jsonl") == len(mcp.splitlines())
    assert (tmp_path / "mcp.jsonl").read_text() == mcp
    with pytest.raises(OSError):
        memory.export(path=tmp_path / "no" / "such" / "dir.jsonl")


def test_bad_memory_files_load_nothing_unless_skipped(tmp_path):
    store = engram.Store.in_memory(default_rules=True)
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"kind": "memory", "id": "m1", "title": "fine"}\n'
        '{"kind": "memory", "title": "no id"}\n'
    )
    with pytest.raises(engram.MemoryFileError) as e:
        store.load(path)
    assert e.value.at == "2" and "id" in e.value.message
    assert store.stats()["asserted"] == 0
    loaded = store.load(path, skip_bad=True)
    assert loaded["skipped"][0][0] == "2" and loaded["facts"] >= 1
    with pytest.raises(OSError):
        store.load(tmp_path / "missing.jsonl")
    latin = tmp_path / "latin1.jsonl"
    latin.write_bytes(b'{"kind": "memory", "id": "m1", "title": "fine"}\n{"title": "caf\xe9"}\n')
    with pytest.raises(engram.MemoryFileError) as e:
        store.load(latin)
    assert e.value.at == 2 and "UTF-8" in str(e.value)
    with pytest.raises(ValueError):
        store.load(path, "yaml")


def test_load_tab_separated_rows_of_a_relation(tmp_path):
    store = engram.Store.in_memory()
    rows = tmp_path / "edge.facts"
    rows.write_text("a\tb\t0.5\nb\tc\t1\n")
    loaded = store.load(rows, relation="edge", confidence_column=True)
    assert loaded["facts"] == 2 and loaded["format"] is None
    assert [(r.values, r.confidence) for r in store.facts("edge")] == [
        (("a", "b"), 0.5),
        (("b", "c"), 1.0),
    ]
    rows.write_text("a\tb\nc\n")
    with pytest.raises(engram.MemoryFileError) as e:
        store.load(rows, relation="edge")
    assert e.value.at == 2


def test_remember_and_relate_as_the_mcp_tools_do():
    store = engram.Store.in_memory(default_rules=True)
    first = store.remember(
        "Webhooks fail under load", "Timeouts at peak", type="problem", tags=["webhooks"]
    )
    assert first["id"].startswith("memory#") and first["report"]["asserted"] >= 3
    again = store.remember("Webhooks fail under load", "Timeouts at peak", type="problem")
    assert again["id"] == first["id"], "the same memory is one memory"
    fix = store.remember("Retry with backoff", type="solution", id="m-fix", importance=0.9)
    assert fix["id"] == "m-fix"
    related = store.relate("m-fix", "solves", first["id"], confidence=0.9)
    assert related["relation"]["type"] == "SOLVES" and related["relation"]["written"] == "solves"
    inverse = store.query(f'?- edge("{first["id"]}", "SOLVED_BY", x).')
    assert [r.values for r in inverse] == [("m-fix",)] and inverse[0].rule != "asserted"
    around = store.remember("Backoff caps at a minute", id="m-cap")
    assert around["inferred"] == []
    store.relate("m-cap", "REFINES", "m-fix")
    hits = store.recall("backoff")
    assert {h.id for h in hits} >= {"m-fix", "m-cap"}
    with pytest.raises(engram.RefusedError, match="empty"):
        store.relate("m-fix", "", "m-cap")
    with pytest.raises(engram.RefusedError, match="importance"):
        store.remember("x", importance=3.0)
    with pytest.raises(engram.RefusedError, match="confidence"):
        store.remember("x", confidence=0)
