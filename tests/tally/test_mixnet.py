"""The mix chain and the decryption of the mixed answers (docs/spec.md section 14).

Hand-built inputs: integers encrypted under a ceremony's joint key, as the answers of the
tally fixture's score question ``rate`` (3 options), declared a mixnet question here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace

import pytest

from evote.crypto.elgamal import encrypt
from evote.crypto.proofs import Proof
from evote.crypto.shuffle import Answer
from evote.errors import (
    ContextMismatch,
    InsufficientShares,
    InvalidInput,
    InvalidProof,
    InvalidSignature,
)
from evote.tally import mixnet
from evote.tally.mixnet import Mix, MixInput
from tests.tally.conftest import TallySetup

QUESTION = 2
VALUES = ((0, 1, 2), (3, 4, 5), (5, 0, 0), (1, 1, 1))


@pytest.fixture(autouse=True)
def rate_is_a_mixnet_question(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(mixnet, "mixnet_questions", lambda manifest: (QUESTION,))
    yield


def make_input(setup: TallySetup, values: tuple[tuple[int, ...], ...] = VALUES) -> MixInput:
    key = setup.election.public_key
    ballots = []
    for row in values:
        answer = [encrypt(key, value).ciphertext for value in row]
        ballots.append([[], [], answer, []])
    return mixnet.mix_input_of(
        setup.election.group,
        setup.election.election_id,
        setup.election.fingerprint,
        (QUESTION,),
        ballots,
        (3,),
    )


_CHAINS: dict[str, tuple[MixInput, tuple[Mix, ...]]] = {}


def chain(setup: TallySetup) -> tuple[MixInput, tuple[Mix, ...]]:
    """An input and a complete chain of 3 mixes (5 trustees, threshold 3), once per group."""
    name = setup.election.group.name
    if name not in _CHAINS:
        source = make_input(setup)
        mixes: list[Mix] = []
        for share in setup.shares[:3]:
            mixes.append(mixnet.compute_mix(setup.election, setup.ceremony, share, source, mixes))
        _CHAINS[name] = (source, tuple(mixes))
    return _CHAINS[name]


def decrypted(
    setup: TallySetup, source: MixInput, mixes: tuple[Mix, ...]
) -> mixnet.MixedDecryption:
    shares = [
        mixnet.compute_mixed_share(setup.election, share, source, mixes)
        for share in setup.shares[1:4]
    ]
    return mixnet.combine_mixed_shares(
        setup.election, setup.ceremony, source, mixes, shares, {QUESTION: 5}
    )


def test_required_mixes_is_max_2_t_by_distinct_trustees(setup: TallySetup) -> None:
    assert mixnet.required_mixes(setup.ceremony) == 3


def test_a_chain_mixes_and_decrypts_to_the_same_answers(setup: TallySetup) -> None:
    source, mixes = chain(setup)
    mixnet.check_mix_chain(setup.election, setup.ceremony, source, mixes)
    result = decrypted(setup, source, mixes)
    assert result.questions == (QUESTION,)
    assert Counter(result.answers[0]) == Counter(VALUES)
    assert result.trustees == (2, 3, 4)
    assert [mix.trustee for mix in mixes] == [1, 2, 3]
    outputs = mixnet.mixed_outputs(source, mixes)[0]
    assert {a[0].alpha for a in outputs}.isdisjoint({a[0].alpha for a in source.answers[0]})


def test_mix_documents_and_the_input_round_trip(setup: TallySetup) -> None:
    source, mixes = chain(setup)
    for mix in mixes:
        data = mixnet.mix_to_json(mix)
        assert mixnet.mix_from_json(setup.election, data) == mix
        assert mixnet.mix_to_json(mixnet.mix_from_json(setup.election, data)) == data
    data = mixnet.mix_input_to_json(source)
    assert mixnet.mix_input_from_json(setup.election, data) == source


def test_a_chain_shorter_than_max_2_t_is_refused(setup: TallySetup) -> None:
    source, mixes = chain(setup)
    with pytest.raises(InvalidProof, match="2 mixes, the chain needs at least 3"):
        mixnet.check_mix_chain(setup.election, setup.ceremony, source, mixes[:2])
    mixnet.check_mix_chain(setup.election, setup.ceremony, source, mixes[:2], complete=False)


def test_the_same_trustee_cannot_mix_twice(setup: TallySetup) -> None:
    source, mixes = chain(setup)
    with pytest.raises(InvalidInput, match="trustee 1 has mixed already"):
        mixnet.compute_mix(setup.election, setup.ceremony, setup.shares[0], source, mixes)
    # A second mix by trustee 1, made by hand at position 2 and signed by it.
    second = mixnet.sign_mix(replace(mixes[1], trustee=1), setup.shares[0])
    with pytest.raises(InvalidProof, match="mix 2: trustee 1 mixed already"):
        mixnet.check_mix_chain(setup.election, setup.ceremony, source, (mixes[0], second))


def test_a_mix_signed_by_a_non_trustee_is_refused(setup: TallySetup) -> None:
    source, mixes = chain(setup)
    stranger = replace(mixes[2], trustee=9)
    with pytest.raises(InvalidSignature, match="trustee 9 is not a trustee"):
        mixnet.check_mix_chain(setup.election, setup.ceremony, source, (*mixes[:2], stranger))
    # Claimed by trustee 4, signed by trustee 3's key: the signature does not verify.
    forged = replace(mixes[2], trustee=4)
    with pytest.raises(InvalidSignature, match="mix 3: the signature does not verify"):
        mixnet.check_mix_chain(setup.election, setup.ceremony, source, (*mixes[:2], forged))
    unsigned = replace(mixes[2], signature=Proof(0, 0))
    with pytest.raises(InvalidSignature, match="mix 3"):
        mixnet.check_mix_chain(setup.election, setup.ceremony, source, (*mixes[:2], unsigned))


def test_a_mix_at_another_position_is_refused(setup: TallySetup) -> None:
    source, mixes = chain(setup)
    with pytest.raises(ContextMismatch, match="mix 1: states position 2"):
        mixnet.check_mix_chain(setup.election, setup.ceremony, source, mixes[1:])


def _outputs_changed(mix: Mix, outputs: tuple[Answer, ...], setup: TallySetup) -> Mix:
    """The mix with other outputs, re-signed by its trustee (a cheating mixer signs its lie)."""
    item = replace(mix.questions[0], outputs=outputs)
    return mixnet.sign_mix(replace(mix, questions=(item,)), setup.shares[mix.trustee - 1])


@pytest.mark.parametrize("fault", ["drop", "duplicate", "replace"])
def test_a_mix_that_drops_duplicates_or_replaces_an_answer_is_refused(
    setup: TallySetup, fault: str
) -> None:
    source, mixes = chain(setup)
    outputs = mixes[1].questions[0].outputs
    if fault == "drop":
        changed = outputs[:-1]
    elif fault == "duplicate":
        changed = (*outputs[:-1], outputs[0])
    else:
        fresh = tuple(encrypt(setup.election.public_key, 5).ciphertext for _ in range(3))
        changed = (*outputs[:-1], fresh)
    bad = _outputs_changed(mixes[1], changed, setup)
    with pytest.raises(InvalidProof, match="mix 2 question 2"):
        mixnet.check_mix_chain(setup.election, setup.ceremony, source, (mixes[0], bad, mixes[2]))


def test_a_valid_proof_for_another_input_list_is_refused(setup: TallySetup) -> None:
    source, mixes = chain(setup)
    other = make_input(setup, ((1, 1, 1), (2, 2, 2), (3, 3, 3), (4, 4, 4)))
    first = mixnet.compute_mix(setup.election, setup.ceremony, setup.shares[0], other, ())
    mixnet.check_mix_chain(setup.election, setup.ceremony, other, (first,), complete=False)
    with pytest.raises(InvalidProof, match="mix 1 question 2"):
        mixnet.check_mix_chain(setup.election, setup.ceremony, source, (first, *mixes[1:]))


def test_a_mix_of_another_election_is_refused(setup: TallySetup) -> None:
    source, mixes = chain(setup)
    other = replace(mixes[0], fingerprint=bytes(32))
    with pytest.raises(ContextMismatch, match="mix 1: of another election"):
        mixnet.check_mix_chain(setup.election, setup.ceremony, source, (other, *mixes[1:]))


def test_the_decryption_of_another_ciphertext_is_refused(setup: TallySetup) -> None:
    source, mixes = chain(setup)
    share = mixnet.compute_mixed_share(setup.election, setup.shares[0], source, mixes)
    # Factors and proofs of answers 0 and 1 swapped: each is a valid decryption of another
    # ciphertext, bound to that ciphertext's place and beta.
    factors = list(share.factors)
    proofs = list(share.proofs)
    factors[0:3], factors[3:6] = factors[3:6], factors[0:3]
    proofs[0:3], proofs[3:6] = proofs[3:6], proofs[0:3]
    swapped = replace(share, factors=tuple(factors), proofs=tuple(proofs))
    key = setup.ceremony.verification_key(1)
    with pytest.raises(InvalidProof, match="trustee 1: mixed decryption of question 2 answer 0"):
        mixnet.check_mixed_share(setup.election, swapped, key, source, mixes)
    others = [
        mixnet.compute_mixed_share(setup.election, s, source, mixes) for s in setup.shares[1:4]
    ]
    result = mixnet.combine_mixed_shares(
        setup.election, setup.ceremony, source, mixes, [swapped, *others], {QUESTION: 5}
    )
    assert result.trustees == (2, 3, 4)
    assert Counter(result.answers[0]) == Counter(VALUES)
    assert [j for j, _ in result.rejected] == [1]
    with pytest.raises(InsufficientShares, match="2 valid mixed decryption shares"):
        mixnet.combine_mixed_shares(
            setup.election, setup.ceremony, source, mixes, [swapped, *others[:2]], {QUESTION: 5}
        )


def test_a_share_of_the_wrong_trustee_cannot_mix(setup: TallySetup) -> None:
    source, _ = chain(setup)
    forged = replace(setup.shares[0], index=2)
    with pytest.raises(InvalidInput, match="trustee 2: the share is not this ceremony's"):
        mixnet.compute_mix(setup.election, setup.ceremony, forged, source, ())


def test_nothing_to_mix_without_ballots(setup: TallySetup) -> None:
    empty = make_input(setup, ())
    with pytest.raises(InvalidInput, match="nothing to mix"):
        mixnet.compute_mix(setup.election, setup.ceremony, setup.shares[0], empty, ())
    mixnet.check_mix_chain(setup.election, setup.ceremony, empty, ())
    _, mixes = chain(setup)
    with pytest.raises(InvalidProof, match="the chain must be empty"):
        mixnet.check_mix_chain(setup.election, setup.ceremony, empty, mixes)


def test_the_signature_binds_the_mix_as_spec_14_2_says(setup: TallySetup) -> None:
    """Recomputed from the spec's words: a Schnorr proof under the tag ``mix``, binding
    ("mix", k, "trustee", j, digest32(mix, the document's canonical bytes without
    "signature"))."""
    from evote import jsonstrict  # noqa: PLC0415
    from evote.crypto.hashing import Purpose, digest32  # noqa: PLC0415
    from evote.crypto.proofs import ProofContext, check_schnorr  # noqa: PLC0415

    _, mixes = chain(setup)
    mix = mixes[1]
    document = jsonstrict.loads(mixnet.mix_to_json(mix), "mix")
    del document["signature"]
    digest = digest32(Purpose.MIX, jsonstrict.dumps(document))
    context = ProofContext(setup.election.fingerprint, ("mix", 2, "trustee", 2, digest))
    check_schnorr(
        setup.election.group,
        Purpose.MIX,
        context,
        setup.ceremony.verification_key(2),
        mix.signature,
    )
    with pytest.raises(InvalidProof):
        check_schnorr(
            setup.election.group,
            Purpose.MIX,
            ProofContext(setup.election.fingerprint, ("mix", 1, "trustee", 2, digest)),
            setup.ceremony.verification_key(2),
            mix.signature,
        )


def test_mixed_shares_on_an_executor_are_the_sequential_ones(
    setup: TallySetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    monkeypatch.setattr(mixnet, "MIXED_CHUNK", 5)  # 12 ciphertexts: 3 tasks
    source, mixes = chain(setup)
    key = setup.ceremony.verification_key(1)
    with ThreadPoolExecutor(2) as pool:
        share = mixnet.compute_mixed_share(
            setup.election, setup.shares[0], source, mixes, executor=pool
        )
        mixnet.check_mixed_share(setup.election, share, key, source, mixes)
        mixnet.check_mixed_share(setup.election, share, key, source, mixes, executor=pool)
        factors = list(share.factors)
        factors[11] = factors[10]
        bad = replace(share, factors=tuple(factors))
        with pytest.raises(InvalidProof, match="question 2 answer 3 option 2"):
            mixnet.check_mixed_share(setup.election, bad, key, source, mixes, executor=pool)


def test_an_input_whose_answers_do_not_fit_the_question_is_refused(setup: TallySetup) -> None:
    source, _ = chain(setup)
    narrow = replace(source, answers=(tuple(answer[:2] for answer in source.answers[0]),))
    with pytest.raises(InvalidInput, match="question 2 answer 0 has 2 ciphertexts for 3 options"):
        mixnet.check_mix_chain(setup.election, setup.ceremony, narrow, ())
    with pytest.raises(InvalidInput, match="answer 0 has 2 ciphertexts"):
        mixnet.mix_input_from_json(setup.election, mixnet.mix_input_to_json(narrow))


def test_the_mixed_decryption_binds_its_place_as_spec_14_4_says(setup: TallySetup) -> None:
    from evote.crypto.encoding import Value  # noqa: PLC0415
    from evote.crypto.hashing import Purpose  # noqa: PLC0415
    from evote.crypto.proofs import ProofContext, check_equal_logs  # noqa: PLC0415

    source, mixes = chain(setup)
    share = mixnet.compute_mixed_share(setup.election, setup.shares[1], source, mixes)
    outputs = mixnet.mixed_outputs(source, mixes)[0]
    ciphertext = outputs[1][2]  # answer 1, option 2: column 1 * 3 + 2
    group = setup.election.group

    def check_factor_5_bound_to(binding: tuple[Value, ...]) -> None:
        check_equal_logs(
            group,
            Purpose.DECRYPTION_PROOF,
            ProofContext(setup.election.fingerprint, binding),
            group.generator,
            setup.ceremony.verification_key(2),
            ciphertext.alpha,
            share.factors[5],
            share.proofs[5],
        )

    check_factor_5_bound_to(
        ("trustee", 2, "mixed", 2, "answer", 1, "option", 2, "beta", ciphertext.beta)
    )
    with pytest.raises(InvalidProof):
        check_factor_5_bound_to(("trustee", 2, "question", 2, "option", 2, "beta", ciphertext.beta))
