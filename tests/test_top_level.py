"""``import evote``: the portal developer's names, each importable, typed, and light to import."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import evote
import evote.errors
from tests.test_layers import fresh_python

SOURCE = Path(evote.__file__)


def _type_checking_imports() -> dict[str, str]:
    """The names imported under ``if TYPE_CHECKING:`` in evote/__init__.py, and their module."""
    tree = ast.parse(SOURCE.read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for item in node.body:
                assert isinstance(item, ast.ImportFrom) and item.module is not None
                names.update({alias.name: item.module for alias in item.names})
    return names


@pytest.mark.parametrize("name", evote.__all__)
def test_every_public_name_resolves(name: str) -> None:
    value = getattr(evote, name)
    assert value is not None
    if name != "__version__":
        assert value.__module__.startswith("evote")
        assert value.__doc__, f"evote.{name} has no docstring"


def test_lazy_names_are_the_type_checked_ones_from_the_same_modules() -> None:
    # mypy sees the TYPE_CHECKING imports; the program gets _LAZY: they must agree.
    lazy = evote._LAZY
    assert _type_checking_imports() == lazy
    for name, module in lazy.items():
        assert getattr(evote, name) is getattr(importlib.import_module(module), name)


def test_all_is_the_lazy_names_the_errors_and_the_version() -> None:
    errors = {
        name
        for name, value in vars(evote.errors).items()
        if isinstance(value, type) and issubclass(value, evote.EvoteError)
    }
    assert set(evote.__all__) == set(evote._LAZY) | errors | {"__version__"}
    assert len(evote.__all__) == len(set(evote.__all__))


def test_an_unknown_name_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Ballot'"):
        _ = evote.Ballot  # type: ignore[attr-defined]


def test_import_evote_loads_neither_sqlalchemy_nor_the_crypto() -> None:
    probe = (
        "import sys, evote; "
        "print(sorted(m for m in ('sqlalchemy', 'gmpy2', 'evote.board', 'evote.crypto')"
        " if m in sys.modules))"
    )
    out = fresh_python(probe)
    assert out.strip() == "[]"
    probe = "import sys, evote; evote.Board; print('sqlalchemy' in sys.modules)"
    touched = fresh_python(probe)
    assert touched.strip() == "True"
