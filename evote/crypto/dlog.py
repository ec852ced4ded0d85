"""Bounded discrete logarithm: recover a small m from g^m (baby-step giant-step).

Shanks, "Class number, a theory of factorization, and genera", Proc. Symp. Pure Math. 20, 1971.
With m0 = ceil(sqrt(bound + 1)) baby steps g^0..g^(m0-1) in a table, at most m0 giant steps by
g^-m0 find any m in [0, bound]; past them the search stops and raises TallyOutOfRange, so a
tally that decrypts out of range fails in bounded time (O(sqrt(bound)) group operations).
Baby-step tables are cached per group and reused for every smaller bound.
"""

from __future__ import annotations

import math
import threading
from typing import Any

from evote.crypto.groups import Element, Group
from evote.errors import InvalidInput, TallyOutOfRange

# A bound above this would need a table of more than 2^26 entries: refuse it outright.
MAX_BOUND = 2**52


class _BabySteps:
    def __init__(self, group: Group, size: int) -> None:
        self.size = size
        table: dict[Any, int] = {}
        g = group.generator
        current = group.identity
        for j in range(size):
            table.setdefault(current.value, j)
            current = current * g
        self.table = table
        self.giant = group.inverse(group.exp(g, size))


_CACHE: dict[str, _BabySteps] = {}
_LOCK = threading.Lock()


def _baby_steps(group: Group, size: int) -> _BabySteps:
    with _LOCK:
        steps = _CACHE.get(group.name)
        if steps is None or steps.size < size:
            steps = _BabySteps(group, size)
            _CACHE[group.name] = steps
        return steps


def discrete_log(element: Element, bound: int, what: str = "value") -> int:
    """The m in [0, bound] with g^m = element, or TallyOutOfRange naming ``what``."""
    if not 0 <= bound <= MAX_BOUND:
        raise InvalidInput(f"{what}: discrete-log bound {bound} outside [0, 2^52]")
    group = element.group
    size = math.isqrt(bound) + 1
    steps = _baby_steps(group, size)
    current = element
    for giant in range(bound // steps.size + 1):
        found = steps.table.get(current.value)
        if found is not None:
            value = giant * steps.size + found
            if value > bound:
                break
            return value
        current = current * steps.giant
    raise TallyOutOfRange(f"{what}: the decrypted value is not in [0, {bound}]")
