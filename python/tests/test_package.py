"""The package itself: its stubs name what the module has, every public name is documented,
and the module's doctest runs."""

import ast
import doctest
import inspect
import pathlib

import engram
import engram._engram as native

STUB = pathlib.Path(engram.__file__).with_name("_engram.pyi")


def stub_classes():
    tree = ast.parse(STUB.read_text())
    classes = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names = set()
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    names.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    names.add(item.target.id)
            classes[node.name] = names
    return classes


def test_the_stubs_name_every_public_class_and_member():
    stubs = stub_classes()
    for name in engram.__all__:
        if name.startswith("__"):
            continue
        assert name in stubs, f"{name} is not in _engram.pyi"
        cls = getattr(engram, name)
        if issubclass(cls, Exception):
            continue
        public = {m for m in dir(cls) if not m.startswith("_")}
        assert public <= stubs[name], f"{name}: {public - stubs[name]} not in the stubs"
        for member in stubs[name]:
            if not member.startswith("_"):
                assert hasattr(cls, member), f"the stubs name {name}.{member}"


def test_every_public_name_is_documented():
    for name in engram.__all__:
        if name.startswith("__"):
            continue
        cls = getattr(engram, name)
        assert inspect.getdoc(cls), f"{name} has no docstring"
        for member, value in vars(cls).items():
            if not member.startswith("_") and callable(value):
                assert inspect.getdoc(value), f"{name}.{member} has no docstring"
    assert "creating it with the standard memory rules" in engram.Store.__doc__
    assert native.__doc__


def test_the_module_doctest():
    result = doctest.testmod(engram)
    assert result.attempted >= 5 and result.failed == 0


def test_the_readme_example_runs(tmp_path, example, monkeypatch, capsys):
    readme = (pathlib.Path(__file__).resolve().parents[2] / "README.md").read_text()
    start = readme.index("```python\nimport engram")
    code = readme[start + len("```python\n") : readme.index("```", start + 10)]
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "memories.jsonl").write_bytes(example.read_bytes())
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert 'edge("m031", "SOLVED_BY", "m-retry")' in printed and "matches" in printed
    store = engram.Store(tmp_path / "memory.db")
    assert [r.values for r in store.query('?- tag(m, "reliability").')] == [("m-retry",)]
