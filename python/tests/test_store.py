"""engram.Store: opening and creating, transactions, rules, queries, proofs, maintenance."""

import datetime as dt

import pytest

import engram
from conftest import PATHS

UTC = dt.timezone.utc


def test_store_path_creates_with_the_standard_rules_and_reopens(tmp_path):
    db = tmp_path / "memory.db"
    store = engram.Store(db)
    assert {"schema", "transitive", "inverse"} <= set(store.rules())
    assert store.path == db and not store.read_only
    store.add("memory", ("m1", "note", "First note"))
    store.close()
    again = engram.Store(str(db))
    assert [r.values for r in again.facts("memory")] == [("m1", "note", "First note")]
    assert again.generation >= 2


def test_create_open_and_in_memory(tmp_path):
    empty = engram.Store.create(tmp_path / "a")
    assert empty.rules() == {}
    with pytest.raises(engram.StoreExistsError) as e:
        engram.Store.create(tmp_path / "a")
    assert e.value.path == tmp_path / "a"
    ruled = engram.Store.create(tmp_path / "b", default_rules=True)
    assert "schema" in ruled.rules()
    (tmp_path / "c").mkdir()
    with pytest.raises(engram.NotAStoreError):
        engram.Store.open(tmp_path / "c")
    assert isinstance(engram.Store.open(tmp_path / "b"), engram.Store)
    assert engram.Store.in_memory().rules() == {}
    assert "schema" in engram.Store.in_memory(default_rules=True).rules()
    assert issubclass(engram.StoreExistsError, engram.StoreError)
    assert issubclass(engram.StoreError, engram.Error)


def test_read_only_store_reads_and_refuses_changes(tmp_path):
    db = tmp_path / "db"
    with engram.Store.create(db) as store:
        store.add_rules("paths", PATHS)
        store.add("link", ("a", "b"))
    reader = engram.Store.open_read_only(db)
    assert reader.read_only
    assert [r.values for r in reader.query('reach("a", x)')] == [("b",)]
    with pytest.raises(engram.ReadOnlyError):
        reader.add("link", ("b", "c"))
    with pytest.raises(engram.ReadOnlyError):
        reader.add("link", ("b", "c"))  # still read-only after a refused change
    assert [r.values for r in reader.facts("link")] == [("a", "b")]


def test_closed_store_raises(tmp_path):
    store = engram.Store.in_memory()
    store.close()
    store.close()
    with pytest.raises(engram.StoreError, match="closed"):
        store.query("?- x(a).")


def test_transaction_commits_at_the_end_of_the_block(paths_store):
    rows = paths_store.query('?- reach("a", x).')
    assert [(r.values, round(r.confidence, 6), r.depth, r.rule) for r in rows] == [
        (("b",), 0.5, 1, "paths:4"),
        (("c",), 0.45, 2, "transitive"),
    ]
    (x,) = rows[1]
    assert x == "c" and rows[1][0] == "c" and rows[1][-1] == "c" and len(rows[1]) == 1
    assert isinstance(rows[0].time, dt.datetime) and rows[0].time.tzinfo is not None
    assert rows[1].to_dict()["values"] == ["c"]


def test_transaction_discarded_when_the_block_raises(paths_store):
    before = paths_store.generation
    with pytest.raises(RuntimeError):
        with paths_store.transaction() as tx:
            tx.add("link", ("c", "d"))
            raise RuntimeError("stop")
    assert paths_store.generation == before
    assert paths_store.query('?- reach("c", x).') == []


def test_explicit_commit_rollback_and_reuse(paths_store):
    tx = paths_store.transaction()
    tx.add("link", ("c", "d"))
    tx.add_text('link("d", "e") @ 0.8.')
    assert len(tx) == 2
    report = tx.commit()
    assert report["asserted"] == 2 and report["added"] > 2
    with pytest.raises(ValueError):
        tx.add("link", ("x", "y"))
    tx2 = paths_store.transaction()
    tx2.add("link", ("e", "f"))
    tx2.rollback()
    assert paths_store.query('?- link("e", x).') == []
    ends = {r.values[0] for r in paths_store.query('?- reach("a", x).')}
    assert ends == {"b", "c", "d", "e"}


def test_retract_takes_back_what_was_derived_from_it(paths_store):
    with paths_store.transaction() as tx:
        tx.retract("link", ("b", "c"))
    assert [r.values for r in paths_store.query('?- reach("a", x).')] == [("b",)]
    paths_store.add_text('link("b", "c").')
    assert len(paths_store.query('?- reach("a", x).')) == 2
    report = paths_store.retract_text('link("b", "c").')
    assert report["retracted"] == 1
    paths_store.add("link", ("b", "c"))
    paths_store.retract("link", ("b", "c"))
    assert len(paths_store.query('?- reach("a", x).')) == 1


def test_add_many_and_times(paths_store):
    t = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with paths_store.transaction() as tx:
        assert tx.add_many("link", [("c", "d"), ["d", "e"]], confidence=0.9) == 2
        tx.add("link", ("e", "f"), time=t)
        tx.add("link", ("f", "g"), time="2026-02-01T00:00:00Z")
        tx.add("link", ("g", "h"), time=1767225600000)
        tx.add("link", ("h", "i"), time=dt.datetime(2026, 3, 1))  # naive: UTC
    rows = {r.values: r for r in paths_store.facts("link")}
    assert rows[("e", "f")].time == t
    assert rows[("f", "g")].time == dt.datetime(2026, 2, 1, tzinfo=UTC)
    assert rows[("g", "h")].time == dt.datetime(2026, 1, 1, tzinfo=UTC)
    assert rows[("h", "i")].time == dt.datetime(2026, 3, 1, tzinfo=UTC)
    assert rows[("c", "d")].confidence == pytest.approx(0.9)
    with pytest.raises(TypeError):
        paths_store.add("link", ("a", "b"), time=object())


def test_values_map_both_ways():
    store = engram.Store.in_memory()
    store.add_rules(
        "v",
        ".decl v(s: symbol, n: number, u: unsigned, f: float)\n"
        ".decl w(s: symbol, n: number, u: unsigned, f: float)\n"
        "w(s, n, u, f) :- v(s, n, u, f).\n",
    )
    stamp = dt.datetime(2026, 5, 1, tzinfo=UTC)
    store.add("v", ("ü", -3, 2**64 - 1, 1))  # an int for a float column is that float
    store.add("v", ("t", stamp, 5, 2.5))  # a datetime is unix milliseconds
    rows = sorted(r.values for r in store.facts("w"))
    assert rows == [("t", 1777593600000, 5, 2.5), ("ü", -3, 2**64 - 1, 1.0)]
    assert isinstance(rows[1][3], float)
    with pytest.raises(TypeError):
        store.add("v", ("a", True, 1, 1.0))
    with pytest.raises(OverflowError):
        store.add("v", ("a", 2**70, 1, 1.0))
    with pytest.raises(TypeError):
        store.add("v", ("a", None, 1, 1.0))


def test_fact_errors_name_the_relation_and_commit_nothing(paths_store):
    before = paths_store.generation
    with pytest.raises(engram.FactError) as e:
        with paths_store.transaction() as tx:
            tx.add("link", ("c", "d"))
            tx.add("link", ("a", "b", "c"))
    assert e.value.relation == "link" and "3 values" in str(e.value)
    with pytest.raises(engram.FactError):
        paths_store.add("link", ("a", 1))
    assert paths_store.generation == before
    assert paths_store.query('?- link("c", x).') == []


def test_rules_errors_are_placed_with_a_caret(paths_store):
    with pytest.raises(engram.ParseError) as e:
        paths_store.add_rules("broken", ".decl a(x: symbol)\na(x) :- b(x\n")
    err = e.value
    assert (err.file, err.line) == ("broken", 3) and err.column >= 1
    assert "^" in err.caret and err.caret.startswith("broken:3:")
    assert err.errors[0]["line"] == 3 and err.message
    with pytest.raises(engram.PlanError) as e:
        paths_store.add_rules("unknown", "q(x) :- nowhere(x).\n.decl q(x: symbol)\n")
    assert e.value.file == "unknown" and e.value.line == 1 and "nowhere" in str(e.value)
    assert "broken" not in paths_store.rules() and "unknown" not in paths_store.rules()
    with pytest.raises(engram.ParseError) as e:
        paths_store.query('?- reach("a", x')
    assert e.value.line == 1 and e.value.column == 16
    with pytest.raises(engram.PlanError):
        paths_store.query("?- nowhere(x).")


def test_add_and_remove_rules(paths_store):
    report = paths_store.add_rules(
        "back", ".decl back(x: symbol, y: symbol)\nback(y, x) :- reach(x, y).\n"
    )
    assert report["rederived"] and "back" in paths_store.rules()
    assert len(paths_store.query('?- back("c", x).')) == 2
    paths_store.remove_rules("back")
    assert "back" not in paths_store.rules()
    with pytest.raises(engram.StoreError):
        paths_store.remove_rules("back")
    report = paths_store.infer()
    assert report["rederived"]


def test_explain_nested_and_as_text(paths_store):
    proof = paths_store.explain('reach("a", "c")')
    assert (proof.fact, proof.rule, proof.depth) == ('reach("a", "c")', "transitive", 2)
    assert proof.confidence == pytest.approx(0.45)
    assert [p.fact for p in proof.premises] == ['link("a", "b")', 'reach("b", "c")']
    assert proof.premises[1].premises[0].rule == "asserted"
    assert str(proof) == proof.text and proof.text.splitlines()[0].startswith('reach("a", "c")')
    assert "└── link(\"b\", \"c\")" in proof.text
    tree = proof.to_dict()
    assert tree["rule"] == "transitive" and tree["premises"][0]["fact"] == 'link("a", "b")'
    assert paths_store.explain('reach("c", "a")') is None
    why = paths_store.why_not('reach("c", "a")')
    assert why.holds is None and "does not hold" in why.text
    assert why.to_dict()["fact"] == 'reach("c", "a")'
    assert paths_store.why_not('reach("a", "c")').holds.rule == "transitive"


def test_stats_relations_violations_cleanup_compact():
    store = engram.Store.in_memory()
    store.add_rules(
        "c",
        """
        .decl claim(a: symbol, b: symbol)
        .decl deny(a: symbol, b: symbol)
        .decl weak(a: symbol)
        weak(a) :- claim(a, _).
        @name("both") :- claim(a, b), deny(a, b).
        """,
    )
    with store.transaction() as tx:
        tx.add("claim", ("x", "y"), confidence=0.2, time="2020-01-01T00:00:00Z")
        tx.add("deny", ("x", "y"))
    (v,) = store.violations()
    assert v.constraint == "both" and v.bindings == {"a": "x", "b": "y"}
    assert v.confidence == pytest.approx(0.2) and v.title == 'both: a = "x", b = "y"'
    assert len(v.proof.premises) == 2
    assert store.violations("nothing") == []
    stats = store.stats()
    assert stats["asserted"] == 2 and stats["derived"] >= 1
    assert ("a", "symbol") in store.relations()["claim"]
    dry = store.cleanup(0.5, 30, dry_run=True)
    assert [(rel, row.values) for rel, row in dry["forgotten"]] == [("weak", ("x",))]
    assert dry["commit"] is None and len(store.facts("weak")) == 1
    done = store.cleanup(0.5, 30)
    assert done["commit"]["removed"] == 1 and store.facts("weak") == []
    compacted = store.compact()
    assert compacted["files_after"] <= compacted["files_before"] or compacted["files_before"] == 0


def test_a_damaged_store_names_the_file(tmp_path):
    db = tmp_path / "db"
    with engram.Store.create(db) as store:
        store.add("link", ("a", "b"))
    manifest = db / "MANIFEST"
    data = bytearray(manifest.read_bytes())
    data[len(data) // 2] ^= 0xFF
    manifest.write_bytes(bytes(data))
    with pytest.raises(engram.CorruptStoreError) as e:
        engram.Store.open(db)
    assert e.value.path.name == "MANIFEST" and e.value.what
    assert "MANIFEST" in str(e.value)


def test_explain_by_values_never_reads_them_as_datalog(paths_store):
    proof = paths_store.explain("reach", ("a", "c"))
    assert proof.fact == 'reach("a", "c")' and proof.rule == "transitive"
    odd = 'x") :- link(a, b). reach("a'
    paths_store.add("link", (odd, "q\\n\"z"))
    proof = paths_store.explain("link", (odd, "q\\n\"z"))
    assert proof is not None and proof.rule == "asserted"
    assert paths_store.explain("reach", ("c", "a")) is None
    assert "does not hold" in paths_store.why_not("reach", ("c", "a")).text


def test_a_store_locked_by_another_process_raises_locked_error(tmp_path):
    import subprocess
    import sys

    db = tmp_path / "db"
    store = engram.Store.create(db)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys\n"
            f"f = open({str(db / 'LOCK')!r}, 'r+')\n"
            "fcntl.flock(f, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        assert store.lock_wait == 10.0
        store.lock_wait = 0.2
        with pytest.raises(engram.LockedError) as e:
            store.add("link", ("a", "b"))
        assert e.value.path == db and "locked" in str(e.value)
        with pytest.raises(ValueError):
            store.lock_wait = -1
    finally:
        holder.stdin.close()
        holder.wait()
    store.add("link", ("a", "b"))
    assert store.refresh() is False
    other = engram.Store.open(db)
    other.add("link", ("b", "c"))
    assert store.refresh() is True
    assert len(store.facts("link")) == 2
