"""Names a package keeps for its callers but imports on first use (PEP 562).

``import evote`` stays light, and importing :mod:`evote.board` or :mod:`evote.record` (as the
verifier does) loads no database code, yet each still offers the heavier names under its own:
the package maps each such name to the module that defines it and takes its module-level
``__getattr__`` and ``__dir__`` from :func:`lazy_names`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from importlib import import_module


def lazy_names(
    package: str, names: Mapping[str, str], namespace: MutableMapping[str, object]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``, whose globals are ``namespace``:
    a name of ``names`` is imported from the module it maps to on first use and kept in
    ``namespace``; any other name raises :class:`AttributeError`, as Python's own would."""

    def load(name: str) -> object:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module), name)
        namespace[name] = value
        return value

    def listing() -> list[str]:
        return sorted(set(namespace) | set(names))

    return load, listing
