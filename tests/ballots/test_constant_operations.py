"""Ballot encryption runs the same group operations whatever the vote (docs/spec.md section 4.1).

A recorder wraps every primitive a ballot's encryption can reach: the group's methods, the
fixed-base tables, libsodium's point functions and gmpy2's exponentiations, and writes down
each call's name with the shape of its operands (an exponent that is zero, small or full-size;
an operand that is the identity). Encrypting the same ballot structure with different choices
must give the same list, on both groups. The nonces are random: a full-size scalar is small or
zero with negligible probability, so the comparison cannot fail by chance.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import gmpy2
import nacl.bindings as sodium
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evote.ballots.credentials import CredentialKey
from evote.ballots.encrypted import encrypt_ballot_for_audit
from evote.ballots.manifest import Question
from evote.ballots.plaintext import PlaintextBallot, Selection
from evote.crypto import groups
from evote.crypto.groups import EXPONENT_OFFSET, Element, Group, all_groups
from tests.ballots.conftest import (
    ElectionFixture,
    approval,
    budget,
    grades,
    make_election,
    make_manifest,
    ranking,
    referendum,
    score,
)

_GROUP_METHODS = (
    "base_exp",
    "base_exp_secret",
    "exp",
    "exp_secret",
    "exp2",
    "powers",
    "mul",
    "div",
    "inverse",
    "product",
    "fixed_base",
    "mul_base_exp",
)
#: The entry point that takes the vote's exponent: its own arguments are not a leak.
_TAKES_THE_SECRET = ("mul_base_exp",)
_TABLE_CLASSES = (groups._Ed25519BaseTable, groups._Ed25519FixedBase, groups._ModpFixedBase)
_SODIUM_FUNCTIONS = (
    "crypto_scalarmult_ed25519_base_noclamp",
    "crypto_scalarmult_ed25519_noclamp",
    "crypto_core_ed25519_add",
    "crypto_core_ed25519_sub",
)
_GMPY2_FUNCTIONS = ("powmod", "powmod_sec", "invert")


def _shape(group: Group, value: object) -> str:
    """What a timing observer could tell apart: zero, small or full-size, the identity."""
    if isinstance(value, Element):
        return "identity" if value == group.identity else "element"
    if isinstance(value, int) and not isinstance(value, bool):
        reduced = value % group.order
        return "zero" if reduced == 0 else "small" if reduced < 2**128 else "scalar"
    if isinstance(value, bytes) and len(value) == 32 and group.name == "ed25519":
        # A scalar or a point: the identity's encoding reads as the scalar 1, "small".
        scalar = int.from_bytes(value, "little")
        return "zero" if scalar == 0 else "small" if scalar < 2**128 else "bytes32"
    return type(value).__name__


@contextmanager
def recording(group: Group, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Record every primitive call, with the shapes of its arguments, while the block runs."""
    calls: list[str] = []

    def spy(name: str, original: Callable[..., Any], skip_self: bool = False) -> Callable[..., Any]:
        def wrapper(*args: Any, **keywords: Any) -> Any:
            shown = [*(args[1:] if skip_self else args), *keywords.values()]
            if name in _TAKES_THE_SECRET:
                shown = []  # its operands are the vote by design: what it calls is recorded
            calls.append(f"{name}({', '.join(_shape(group, a) for a in shown)})")
            return original(*args, **keywords)

        return wrapper

    with monkeypatch.context() as patch:
        for name in _GROUP_METHODS:
            if hasattr(group, name):
                patch.setattr(group, name, spy(name, getattr(group, name)))
        for table in _TABLE_CLASSES:
            patch.setattr(table, "exp", spy(f"{table.__name__}.exp", table.exp, skip_self=True))
        for name in _SODIUM_FUNCTIONS:
            patch.setattr(sodium, name, spy(name, getattr(sodium, name)))
        for name in _GMPY2_FUNCTIONS:
            patch.setattr(gmpy2, name, spy(name, getattr(gmpy2, name)))
        yield calls


_FIXTURES: dict[tuple[str, str], ElectionFixture] = {}


def _election(group: Group, question: Question) -> ElectionFixture:
    key = (group.name, question.id + repr(question))
    if key not in _FIXTURES:
        _FIXTURES[key] = make_election(make_manifest((question,), group.name), voters=1)
    return _FIXTURES[key]


def operations(
    group: Group,
    question: Question,
    selection: Selection,
    monkeypatch: pytest.MonkeyPatch,
) -> list[str]:
    """The primitive calls of encrypting ``selection`` (None: blank) for ``question``."""
    fixture = _election(group, question)
    election = fixture.election
    chosen: Mapping[str, Selection] = {} if selection is None else {question.id: selection}
    plaintext = PlaintextBallot.from_selection(election.manifest, chosen)
    credential = CredentialKey.derive(group, election.election_id, fixture.codes[0])
    with recording(group, monkeypatch) as calls:
        encrypt_ballot_for_audit(election, credential, plaintext)
    return calls


#: Per question kind, selections that must cost the same operations.
CASES: dict[str, tuple[Question, tuple[Selection, ...]]] = {
    "referendum": (referendum(), (["yes"], ["no"])),
    "referendum-blank": (referendum(blank=True), (["yes"], ["no"], None)),
    "approval": (approval(), (["c0"], ["c4"], ["c1", "c2", "c3"], None)),
    "score": (score(), ({"s0": 0}, {"s0": 1}, {"s0": 5, "s1": 3}, {"s2": 5, "s1": 3})),
    "budget": (budget(), ({"p0"}, {"p1"}, {"p2", "p3"}, {"p0", "p2", "p3"})),
    # Scores up to 100: each option's range is proven by bits (docs/spec.md section 4.5).
    "score-by-bits": (
        score(count=2, max_score=100, max_total=None),
        ({"s0": 0}, {"s0": 1}, {"s0": 100, "s1": 37}),
    ),
    "grades": (
        grades(),
        (
            {"g0": "reject", "g1": "reject", "g2": "reject"},
            {"g0": "very-good", "g1": "fair", "g2": "reject"},
            {"g0": "good", "g1": "very-good", "g2": "poor"},
        ),
    ),
    "ranking": (ranking(), ([], ["r0"], ["r3", "r1", "r0", "r2"], ["r2", "r1"])),
    # A ranking of 17 options: each rank's range [0, 17] is proven by bits.
    "ranking-by-bits": (ranking(17), ([], ["r16"], ["r3", "r1", "r0", "r16", "r9"])),
}


@pytest.mark.parametrize("case", list(CASES))
def test_encryption_operations_do_not_depend_on_the_choice(
    group: Group, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    question, selections = CASES[case]
    # A first encryption builds what is cached per election (the key's table): not counted.
    operations(group, question, selections[0], monkeypatch)
    reference = operations(group, question, selections[0], monkeypatch)
    assert any("scalarmult" in call or "Table.exp" in call or "Base.exp" in call
               for call in reference)  # fmt: skip
    for selection in selections[1:]:
        observed = operations(group, question, selection, monkeypatch)
        first_difference = next(
            (i for i, (a, b) in enumerate(zip(reference, observed, strict=False)) if a != b),
            min(len(reference), len(observed)),
        )
        assert observed == reference, (
            f"{case}: choice {selection!r} runs {len(observed)} operations against"
            f" {len(reference)} for {selections[0]!r}; first difference at call"
            f" {first_difference}: {observed[first_difference : first_difference + 3]} against"
            f" {reference[first_difference : first_difference + 3]}"
        )


def test_the_recorder_sees_an_early_return_for_zero(
    group: Group, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recorder tells g^0 from g^1: the comparison above could fail."""
    with recording(group, monkeypatch) as zero:
        group.base_exp(0)
    with recording(group, monkeypatch) as one:
        group.base_exp(1)
    assert zero != one
    with recording(group, monkeypatch) as zero_blinded:
        group.mul_base_exp(group.generator, 0)
    with recording(group, monkeypatch) as one_blinded:
        group.mul_base_exp(group.generator, 1)
    assert zero_blinded == one_blinded
    with recording(group, monkeypatch) as zero_offset_one:
        group.mul_base_exp(group.generator, 0, offset=1)
    with recording(group, monkeypatch) as many_offset_one:
        group.mul_base_exp(group.generator, 200, offset=1)
    assert zero_offset_one == many_offset_one
    assert group.mul_base_exp(group.generator, 0) == group.generator
    assert group.mul_base_exp(group.generator, 5) == group.generator * group.base_exp(5)


@pytest.mark.parametrize("chosen", all_groups(), ids=lambda g: g.name)
@settings(max_examples=15, deadline=None)
@given(
    exponent=st.one_of(
        st.integers(-(2**300), 2**300),
        st.sampled_from([0, 1, -1, 254, 255, -EXPONENT_OFFSET, 2**256 - 189 - 1]),
    ),
    offset=st.sampled_from([1, EXPONENT_OFFSET]),
)
def test_mul_base_exp_is_the_plain_product(chosen: Group, exponent: int, offset: int) -> None:
    """The blinded product is the same element (so the same bytes) for every exponent."""
    element = chosen.base_exp(123456789)
    expected = element * chosen.base_exp(exponent)
    assert chosen.mul_base_exp(element, exponent, offset=offset) == expected
