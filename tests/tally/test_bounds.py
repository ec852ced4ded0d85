"""Every election that setup accepts can be tallied (docs/spec.md sections 5.3 and 9.4).

Election setup refuses a question whose tally columns could exceed the discrete logarithm's
largest bound; whatever it accepts, the discrete log of the largest column value is found. The
property runs at the real limit in the slow test (a full baby-step table takes a while), and
at a scaled-down limit (a small table cap, same code) by default.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from evote.ballots.credentials import MAX_WEIGHT, CredentialEntry, CredentialList
from evote.ballots.manifest import MAX_SCORE, Manifest, Question, ScoreQuestion
from evote.crypto import dlog
from evote.crypto.elgamal import generate_keypair
from evote.crypto.groups import ED25519, Group
from evote.crypto.hashing import Purpose, digest32
from evote.election import Election
from evote.errors import InvalidInput
from tests.ballots.conftest import options, referendum
from tests.tally.conftest import make_manifest

GROUP = ED25519
_, PUBLIC_KEY = generate_keypair(GROUP)
DIGEST = digest32(Purpose.CEREMONY_TRANSCRIPT, "bounds")
BOARD_KEY = bytes(SigningKey(bytes(32)).verify_key)


def credential_list(group: Group, weights: list[int]) -> CredentialList:
    return CredentialList(
        group, [CredentialEntry(group.base_exp(1000 + i), w) for i, w in enumerate(weights)]
    )


def scored(max_score: int) -> ScoreQuestion:
    return ScoreQuestion("rate", {"en": "Rate", "fr": "Note"}, options("x", "y"), max_score)


def election(questions: tuple[Question, ...], weights: list[int]) -> Election:
    manifest: Manifest = make_manifest(GROUP, questions)
    return Election(
        manifest, GROUP, PUBLIC_KEY, credential_list(GROUP, weights), DIGEST, BOARD_KEY
    )


def test_two_heaviest_voters_on_the_widest_score_are_refused() -> None:
    bound = 2 * MAX_WEIGHT * MAX_SCORE
    refusal = rf"question 1 \(rate\).* reach {bound} .*above 1099511627776"
    with pytest.raises(InvalidInput, match=refusal):
        election((referendum(), scored(MAX_SCORE)), [MAX_WEIGHT, MAX_WEIGHT])


def test_one_heavy_voter_on_a_wide_score_is_refused() -> None:
    with pytest.raises(InvalidInput, match=rf"question 0 \(rate\).* reach {MAX_WEIGHT * 1000}"):
        election((scored(1000),), [MAX_WEIGHT])


def test_a_question_of_maximum_one_is_refused_past_the_bound() -> None:
    # A referendum's columns count weight: only a list heavier than the bound is refused.
    heavy = [MAX_WEIGHT] * (dlog.MAX_BOUND // MAX_WEIGHT + 1)
    with pytest.raises(InvalidInput, match=r"question 0 \(ref\).*option maximum 1"):
        election((referendum(),), heavy)


def test_a_large_consultation_is_accepted() -> None:
    # 10^6 voters scoring 0..10: bound 10^7 (a weighted list of the same total weight).
    accepted = election((scored(10),), [10**6])
    assert accepted.credentials.total_weight * 10 == 10**7


def test_the_bound_itself_is_accepted() -> None:
    weight = dlog.MAX_BOUND // MAX_SCORE
    election((scored(MAX_SCORE),), [weight])
    with pytest.raises(InvalidInput, match="could not be tallied"):
        election((scored(MAX_SCORE),), [weight, MAX_SCORE])


def _weights_and_score() -> st.SearchStrategy[tuple[list[int], int]]:
    """Weights and a maximum score whose product lies around the current limit."""

    def near_limit(max_score: int) -> st.SearchStrategy[tuple[list[int], int]]:
        target = dlog.MAX_BOUND // max_score
        top = min(MAX_WEIGHT, max(1, target))
        return st.tuples(
            st.lists(st.integers(max(1, top // 2), top), min_size=1, max_size=4), st.just(max_score)
        )

    return st.integers(1, MAX_SCORE).flatmap(near_limit)


def _accepted_is_tallied(weights: list[int], max_score: int) -> None:
    bound = sum(weights) * max_score
    try:
        election((scored(max_score),), weights)
    except InvalidInput as refusal:
        assert bound > dlog.MAX_BOUND
        assert f"reach {bound} " in str(refusal)
        return
    assert bound <= dlog.MAX_BOUND
    assert dlog.discrete_log(GROUP.base_exp(bound), bound) == bound


@settings(max_examples=25, deadline=None)
@given(case=_weights_and_score())
def test_accepted_elections_are_tallied_at_a_scaled_limit(case: tuple[list[int], int]) -> None:
    # The same code with a table cap of 2^6 (bound 2^12): full tables and long giant-step
    # runs, in milliseconds.
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(dlog, "TABLE_LIMIT", 2**6)
        patched.setattr(dlog, "MAX_BOUND", 2**12)
        patched.setattr(dlog, "_CACHE", {})
        _accepted_is_tallied(*case)


def test_the_search_plan_fits_the_budget() -> None:
    size = dlog.table_size(dlog.MAX_BOUND)
    assert size == dlog.TABLE_LIMIT
    assert dlog.MAX_BOUND // size + 1 <= dlog.TABLE_LIMIT + 1
    assert dlog.table_size(10**7) == math.isqrt(10**7) + 1


@pytest.mark.slow
@settings(max_examples=3, deadline=None)
@given(case=_weights_and_score())
def test_accepted_elections_are_tallied_at_the_real_limit(case: tuple[list[int], int]) -> None:
    _accepted_is_tallied(*case)
