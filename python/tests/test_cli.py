"""A store written from Python is read by the CLI, and one the CLI writes by Python."""

import json
import subprocess

import engram


def run(engram_bin, db, *args):
    out = subprocess.run(
        [engram_bin, "--db", str(db), *args], capture_output=True, text=True, check=True
    )
    return out.stdout


def test_python_writes_the_cli_reads_and_back(tmp_path, engram_bin):
    db = tmp_path / "memory.db"
    store = engram.Store(db)
    store.remember("Retry webhooks with backoff", type="solution", id="m1")
    store.remember("Webhooks fail under load", type="problem", id="m2")
    store.relate("m1", "SOLVES", "m2", confidence=0.8)
    answers = json.loads(
        run(engram_bin, db, "query", '?- edge("m2", "SOLVED_BY", x).', "--format", "json")
    )
    assert [a["values"] for a in answers[0]["answers"]] == [["m1"]]
    # The CLI writes while the Python handle is open; Python's next read sees it.
    run(engram_bin, db, "add", 'relation("m3", "CAUSES", "m2").')
    rows = store.query('?- edge("m2", t, x).')
    assert ("CAUSED_BY", "m3") in [r.values for r in rows]
    store.add("tag", ("m1", "reliability"))
    assert "m1" in run(engram_bin, db, "query", '?- tag(x, "reliability").')
    assert "m1" in run(engram_bin, db, "recall", "webhook backoff")
