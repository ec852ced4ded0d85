"""The layers of docs/architecture.md section 2: the verifier and the record reader load no
database code, and the module-level imports of evote form no cycle."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "evote"


def fresh_python(probe: str) -> str:
    """What the Python code ``probe`` prints in a new interpreter, where nothing is loaded yet."""
    return subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout


def test_the_verifier_and_the_record_reader_load_no_database_code() -> None:
    probe = "import sys, evote.verify, evote.record; print('sqlalchemy' in sys.modules)"
    found = fresh_python(probe)
    assert found.strip() == "False"


def test_the_board_s_storage_names_still_import_from_the_package() -> None:
    """Board and its store are imported on first use, under their former names."""
    probe = (
        "import sys, evote.board as b, evote.record as r; loaded = 'sqlalchemy' in sys.modules;"
        " from evote.board import Board, BoardStore, Head, BallotColumns, check_receipt;"
        " from evote.record import publish_tally, publish_result;"
        " import evote.tallying as t;"
        " print(loaded, 'sqlalchemy' in sys.modules, publish_tally is t.publish_tally)"
    )
    found = fresh_python(probe)
    assert found.split() == ["False", "True", "True"]


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level_imports(module: str) -> set[str]:
    """The evote modules ``module`` imports when it is imported (not in functions, not for
    type checking): ``from package import submodule`` names the submodule."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and not _is_type_checking(node):
            pending += node.body + node.orelse
        elif isinstance(node, ast.Try):
            pending += node.body + node.orelse + node.finalbody
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in MODULES else base)
    return {name for name in found if name in MODULES and name != module}


def test_module_level_imports_form_no_cycle() -> None:
    graph = {module: _module_level_imports(module) for module in MODULES}
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> None:
        if module in done:
            return
        if module in path:
            cycle = [*path[path.index(module) :], module]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        path.append(module)
        for imported in sorted(graph[module]):
            visit(imported)
        path.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)
    # The graph is not empty by accident: the verifier reaches the board's judge.
    assert "evote.board.rules" in graph["evote.verify.facts"]


def test_the_cycle_check_finds_a_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: two modules importing each other are reported."""
    fake = tmp_path / "evote"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "a.py").write_text("from evote.b import x\n")
    (fake / "b.py").write_text("from evote import a\nx = 1\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    monkeypatch.setattr(
        sys.modules[__name__],
        "MODULES",
        {_module_name(path): path for path in sorted(fake.rglob("*.py"))},
    )
    cycle = re.escape("import cycle: evote.a -> evote.b -> evote.a")
    with pytest.raises(pytest.fail.Exception, match=cycle):
        test_module_level_imports_form_no_cycle()
