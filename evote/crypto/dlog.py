"""Bounded discrete logarithm: recover a small m from g^m (baby-step giant-step, capped table).

Shanks, "Class number, a theory of factorization, and genera", Proc. Symp. Pure Math. 20, 1971.
With s baby steps g^0..g^(s-1) in a table, at most floor(B/s) + 1 giant steps by g^-s find any
m in [0, B]; past them the search stops and raises TallyOutOfRange, so a tally that decrypts out
of range fails after bounded work. The table has s = min(floor(sqrt(B)) + 1, TABLE_LIMIT)
entries: for B up to TABLE_LIMIT^2 this is the classic O(sqrt(B)) time and memory; memory never
grows past the cap, the giant steps grow instead. Tables are cached per group and reused for
every bound (a larger table only shortens the search).

The table maps a 64-bit key of the element (Python's ``hash`` of its internal value) to its
exponent, not the element itself: an ed25519 or modp4096 element as a dictionary key would cost
100 to 600 bytes more per entry. Two exponents whose keys collide are both kept, and a match is
only returned once g^m = M is checked in full, so a collision costs time, never a wrong answer.

Memory and time are bounded by :data:`TABLE_LIMIT` and :data:`MAX_BOUND` (measured in
docs/performance.md): a full table is about 110 MB per group; a value at the largest bound
takes TABLE_LIMIT group operations to build the table (once per process and group) and as many
giant steps. Election setup refuses an election whose tally could need a larger bound
(:class:`evote.election.Election`, docs/spec.md section 9.4), so every accepted election can be
decrypted within that budget.

Pollard's kangaroo (lambda) method (Pollard, "Monte Carlo methods for index computation
(mod p)", Math. Comp. 32, 1978; parallel version: van Oorschot and Wiener, "Parallel collision
search with cryptanalytic applications", J. Cryptology 12, 1999) needs almost no memory, but
it is randomised: its running time is a distribution, and stopping it after a fixed budget may
miss a value that is in range. The capped table gives the same O(sqrt(B)) cost up to
TABLE_LIMIT^2 with a deterministic answer and a table shared by every column of a tally, which
is why it is used here.
"""

from __future__ import annotations

import math
import threading
from typing import Final

from evote.crypto.groups import Element, Group
from evote.errors import InvalidInput, TallyOutOfRange

#: The most baby steps a table holds (about 110 MB with its 64-bit keys).
TABLE_LIMIT: Final = 2**20
#: The largest bound searched: at most TABLE_LIMIT + 1 giant steps past a full table.
MAX_BOUND: Final = TABLE_LIMIT**2


class _BabySteps:
    """g^j for 0 <= j < size, keyed by ``hash`` of the element's value; g^-size."""

    def __init__(self, group: Group, size: int) -> None:
        self.size = size
        table: dict[int, int] = {}
        # Exponents whose key an earlier exponent already holds (rare: 64-bit keys).
        collided: dict[int, list[int]] = {}
        g = group.generator
        current = group.identity
        for j in range(size):
            key = hash(current.value)
            if key in table:
                collided.setdefault(key, []).append(j)
            else:
                table[key] = j
            current = current * g
        self.table = table
        self.collided = collided
        self.giant = group.inverse(group.exp(g, size))

    def candidates(self, key: int, first: int) -> list[int]:
        """Every exponent stored under ``key``, ``first`` (the table's) first."""
        return [first, *self.collided.get(key, ())]


_CACHE: dict[str, _BabySteps] = {}
_LOCK = threading.Lock()


def _baby_steps(group: Group, size: int) -> _BabySteps:
    with _LOCK:
        steps = _CACHE.get(group.name)
        if steps is None or steps.size < size:
            steps = _BabySteps(group, size)
            _CACHE[group.name] = steps
        return steps


def table_size(bound: int) -> int:
    """The baby steps a search up to ``bound`` needs: floor(sqrt(bound)) + 1, at most the cap."""
    return min(math.isqrt(bound) + 1, TABLE_LIMIT)


def discrete_log(element: Element, bound: int, what: str = "value") -> int:
    """The m in [0, bound] with g^m = element, or TallyOutOfRange naming ``what``."""
    if not 0 <= bound <= MAX_BOUND:
        raise InvalidInput(f"{what}: discrete-log bound {bound} outside [0, 2^40]")
    group = element.group
    steps = _baby_steps(group, table_size(bound))
    table = steps.table
    current = element
    for giant in range(bound // steps.size + 1):
        key = hash(current.value)
        found = table.get(key)
        if found is not None:
            for j in steps.candidates(key, found):
                value = giant * steps.size + j
                if group.base_exp(value) == element:
                    if value > bound:
                        raise TallyOutOfRange(f"{what}: the decrypted value is not in [0, {bound}]")
                    return value
        current = current * steps.giant
    raise TallyOutOfRange(f"{what}: the decrypted value is not in [0, {bound}]")
