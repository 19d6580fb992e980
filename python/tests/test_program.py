"""engram.Program: compiled once, evaluated over Python rows, relations read lazily."""

import threading
import time

import pytest

import engram
from conftest import PATHS


def test_program_errors_raise_at_construction():
    with pytest.raises(engram.ParseError) as e:
        engram.Program(".decl a(x: symbol)\na(x) :- \n", file="broken.dl")
    assert e.value.file == "broken.dl" and e.value.line == 3 and "^" in e.value.caret
    with pytest.raises(engram.PlanError) as e:
        engram.Program(".decl a(x: symbol)\na(x) :- b(x).\n", file="plan.dl")
    assert (e.value.file, e.value.line, e.value.column) == ("plan.dl", 2, 9)


def test_evaluate_over_python_rows():
    program = engram.Program(PATHS, file="paths.dl")
    assert ("x", "symbol") in program.relations()["reach"]
    db = program.evaluate({"link": [("a", "b"), (("b", "c"), 0.5), ["c", "d"]]})
    reach = db["reach"]
    assert len(reach) == 6 and reach.columns == [("x", "symbol"), ("y", "symbol")]
    assert list(reach)[:3] == [("a", "b"), ("a", "c"), ("a", "d")]
    it = iter(reach)
    assert next(it) == ("a", "b"), "iterated lazily, one fact at a time"
    assert ("a", "d") in reach and ("d", "a") not in reach
    row = reach.get(("a", "d"))
    assert row.rule == "transitive" and row.confidence == pytest.approx(0.9 * 0.5 * 0.9)
    assert row.time is None and reach.get(("d", "a")) is None
    rows = list(reach.rows())
    assert all(isinstance(r, engram.Row) for r in rows) and rows[0].depth == 1
    assert "reach" in db and "nowhere" not in db and set(db.relations()) == {"link", "reach"}
    with pytest.raises(KeyError):
        db["nowhere"]
    proof = db.explain('reach("a", "d")')
    assert proof.rule == "transitive" and len(proof.premises) == 2
    assert db.explain('reach("d", "a")') is None
    assert "does not hold" in db.why_not('reach("d", "a")').text
    assert [r.values for r in db.query('?- reach(x, "d").')] == [("a",), ("b",), ("c",)]


def test_queries_violations_outputs_and_bounds(tmp_path):
    program = engram.Program(
        """
        .decl n(x: number)
        .decl big(x: number)
        .output big
        n(1). n(2). n(3).
        big(x) :- n(x), x > 1.
        @name("three") :- n(3).
        ?- big(x).
        """
    )
    db = program.evaluate()
    ((text, rows),) = db.queries()
    assert text.startswith("?- big") and [r.values for r in rows] == [(2,), (3,)]
    (v,) = db.violations()
    assert v.constraint == "three"
    db.write_outputs(tmp_path)
    assert (tmp_path / "big.csv").read_text() == "2\n3\n"
    count = engram.Program(
        ".decl c(x: number)\nc(0).\nc(x + 1) :- c(x), x < 100000.\n"
    )
    with pytest.raises(engram.EvaluationError, match="c"):
        count.evaluate(max_facts=1000)
    assert len(count.evaluate()["c"]) == 100001


def test_best_first_gives_what_the_rounds_give():
    program = engram.Program(
        ".decl edge(x: symbol, y: symbol)\n"
        ".decl path(x: symbol, y: symbol)\n"
        "path(x, y) :- edge(x, y).\n"
        "@weight(0.9)\npath(x, z) :- edge(x, y), path(y, z).\n"
    )
    edges = [
        (("a", "b"), 0.8),
        (("b", "c"), 1.0),
        (("c", "a"), 0.5),
        (("a", "c"), 0.1),
    ]

    def facts(db):
        return sorted((f.values, round(f.confidence, 9), f.depth, f.rule) for f in db["path"].rows())

    rounds = program.evaluate({"edge": edges})
    best = program.evaluate({"edge": edges}, best_first=True)
    assert facts(best) == facts(rounds)
    assert (("a", "c"), 0.72, 1, "program.dl:4") in facts(best)


def test_input_files_and_now(tmp_path):
    (tmp_path / "link.facts").write_text("a\tb\nb\tc\n")
    program = engram.Program(
        ".decl link(x: symbol, y: symbol)\n.input link\n"
        ".decl reach(x: symbol, y: symbol)\nreach(x, y) :- link(x, y).\n"
        "reach(x, z) :- link(x, y), reach(y, z).\n"
        ".decl at(t: number)\nat(now()).\n"
    )
    db = program.evaluate(facts_dir=tmp_path, now=1_700_000_000_000)
    assert len(db["reach"]) == 3 and list(db["at"]) == [(1_700_000_000_000,)]
    with pytest.raises(OSError):
        engram.Program.from_file(tmp_path / "missing.dl")
    (tmp_path / "paths.dl").write_text(".decl a(x: number)\na(1).\n")
    assert list(engram.Program.from_file(tmp_path / "paths.dl").evaluate()["a"]) == [(1,)]


def test_dataframes_when_installed():
    db = engram.Program(PATHS).evaluate({"link": [("a", "b"), ("b", "c")]})
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="optional"):
            db["reach"].to_pandas()
    else:
        frame = db["reach"].to_pandas(metadata=True)
        assert list(frame.columns) == ["x", "y", "confidence", "depth", "rule"]
        assert frame.shape == (3, 5) and frame["y"].tolist() == ["b", "c", "c"]
        # A DataFrame's rows go back in as they come (numpy integers included).
        again = engram.Program(PATHS).evaluate({"link": frame[["x", "y"]].itertuples(index=False)})
        assert len(again["reach"]) == 3
        import numpy

        numbers = pandas.DataFrame({"n": [1, 2, 3], "f": [0.5, 1.5, 2.5]})
        store = engram.Store.in_memory()
        with store.transaction() as tx:
            tx.add_many("num", numbers.itertuples(index=False))
            tx.add("num", (numpy.int64(4), numpy.float32(3.5)))  # numpy's own scalars
        assert [r.values for r in store.facts("num")] == [(1, 0.5), (2, 1.5), (3, 2.5), (4, 3.5)]
        with pytest.raises(TypeError):
            store.add("num", (numpy.bool_(True), 1.0))
    try:
        import polars  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="optional"):
            db["reach"].to_polars()
    else:
        frame = db["reach"].to_polars()
        assert frame.columns == ["x", "y"] and frame.height == 3


def test_evaluation_releases_the_gil():
    """A Python thread keeps running while a long evaluation runs in another: the longest
    pause between its steps is a small part of the evaluation, which it would span if the
    evaluation held the GIL."""
    program = engram.Program(
        ".decl e(x: number, y: number)\n.decl p(x: number, y: number)\n"
        "p(x, y) :- e(x, y).\np(x, z) :- e(x, y), p(y, z).\n"
    )
    edges = {"e": [(i, i + 1) for i in range(1500)]}
    done = threading.Event()
    gaps = []

    def tick():
        last = time.perf_counter()
        while not done.is_set():
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = threading.Thread(target=tick)
    ticker.start()
    started = time.perf_counter()
    db = program.evaluate(edges)
    took = time.perf_counter() - started
    done.set()
    ticker.join()
    assert len(db["p"]) == 1500 * 1501 // 2
    assert took > 0.1, "long enough to tell"
    assert max(gaps) < took / 3, (max(gaps), took)


def test_records_and_adt_values_are_tuples_and_dicts():
    program = engram.Program(
        """
        .type Point = [x: number, y: symbol]
        .type Shape = Circle {r: number} | Dot {}
        .decl point(p: Point)
        .decl shape(s: Shape, at: Point)
        .decl pair(p: Point, q: Point)
        .decl xs(x: number)
        pair(p, [x + 1, y]) :- point(p), p = [x, y].
        xs(x) :- shape($Circle(_), [x, _]).
        """
    )
    db = program.evaluate(
        {"point": [((1, "a"),)], "shape": [({"$Circle": (2,)}, (7, "b")), [{"$Dot": ()}, (8, "c")]]}
    )
    assert list(db["pair"]) == [((1, "a"), (2, "a"))]
    assert list(db["xs"]) == [(7,)]
    assert ({"$Circle": (2,)}, (7, "b")) in db["shape"]
    assert db.explain('pair([1, "a"], [2, "a"])').premises[0].fact == 'point([1, a])'
    with pytest.raises(engram.FactError):
        program.evaluate({"point": [((1, "a", "extra"),)]})


def test_user_defined_functors_from_python():
    src = (
        ".functor score(name: symbol, n: number): float\n"
        ".decl item(name: symbol, n: number)\n"
        'item("a", 2). item("b", 0). item("c", 5).\n'
        ".decl scored(name: symbol, s: float)\n"
        "scored(x, @score(x, n)) :- item(x, n).\n"
    )
    program = engram.Program(src, file="f.dl")
    assert program.functors() == {"score": (["symbol", "number"], "float", False)}
    with pytest.raises(engram.Error, match="functor `score`"):
        program.evaluate()

    def score(name, n):
        # An int for a float result is converted; None gives no value.
        return None if n == 0 else n * 2

    db = program.with_functor("score", score).evaluate()
    assert sorted(db["scored"]) == [("a", 4.0), ("c", 10.0)]

    def broken(name, n):
        raise ValueError("no scores today")

    with pytest.raises(engram.EvaluationError, match="no scores today"):
        program.with_functor("score", broken).evaluate()
    with pytest.raises(engram.Error, match="declares no functor `nope`"):
        program.with_functor("nope", score)
