"""Fixtures for the engram package's tests: the example memory, the engram binary (the CLI
reads what Python writes and back), and fresh store directories."""

import os
import pathlib
import shutil

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

PATHS = """
.decl link(x: symbol, y: symbol)
.decl reach(x: symbol, y: symbol)
reach(x, y) :- link(x, y).
@name("transitive") @weight(0.9)
reach(x, z) :- link(x, y), reach(y, z).
"""


@pytest.fixture
def example() -> pathlib.Path:
    """The shipped example memory."""
    path = pathlib.Path(os.environ.get("ENGRAM_EXAMPLE", ROOT / "examples" / "memories.jsonl"))
    assert path.exists(), path
    return path


@pytest.fixture
def engram_bin() -> str:
    """The engram binary: $ENGRAM_BIN, else the one cargo built."""
    given = os.environ.get("ENGRAM_BIN")
    if given:
        return given
    for profile in ("release", "debug"):
        built = ROOT / "target" / profile / "engram"
        if built.exists():
            return str(built)
    found = shutil.which("engram")
    assert found, "set ENGRAM_BIN to the engram binary (cargo build --release)"
    return found


@pytest.fixture
def paths_store():
    """A store in memory with the `paths` rule file and two links."""
    import engram

    store = engram.Store.in_memory()
    store.add_rules("paths", PATHS)
    with store.transaction() as tx:
        tx.add("link", ("a", "b"), confidence=0.5)
        tx.add("link", ("b", "c"))
    return store
