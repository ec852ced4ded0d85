"""Encrypted ballots: honest ballots pass, every forgery an attacker can build is refused."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evote import jsonstrict
from evote.ballots.credentials import CredentialKey
from evote.ballots.encrypted import (
    EncryptedBallot,
    EncryptedOption,
    EncryptedQuestion,
    QuestionSecrets,
    _encrypt_ballot_with_nonces,
    check_ballot,
    decode_ballot,
    encrypt_ballot,
    tracking_code,
)
from evote.ballots.manifest import Question
from evote.ballots.plaintext import Answer, PlaintextBallot, check_answer
from evote.crypto.dlog import discrete_log
from evote.crypto.elgamal import decrypt_to_element, encrypt_with_nonce, homomorphic_sum
from evote.crypto.groups import Group
from evote.crypto.hashing import Purpose
from evote.crypto.proofs import prove_range
from evote.crypto.rangeproof import prove_interval
from evote.errors import (
    ContextMismatch,
    InvalidBallot,
    InvalidInput,
    InvalidProof,
    InvalidSignature,
    UnknownCredential,
)
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
from tests.ballots.strategies import any_answer, resign, valid_answer

SELECTION = {"ref": ["yes"], "appr": ["c1", "c2"], "score": {"s0": 3, "s2": 5}, "budget": ["p0"]}

_PER_KIND: dict[tuple[str, str], ElectionFixture] = {}


def per_kind(group: Group, question: Question) -> ElectionFixture:
    key = (group.name, repr(question))
    if key not in _PER_KIND:
        _PER_KIND[key] = make_election(make_manifest((question,), group.name), voters=2)
    return _PER_KIND[key]


def examples(group: Group) -> int:
    return 12 if group.name == "ed25519" else 3


KINDS = [
    referendum(blank=True),
    referendum(),
    approval(),
    score(),
    score(max_score=40),
    budget(),
    grades(),
    ranking(),
]


def decrypt_all(test: ElectionFixture, ballot: EncryptedBallot) -> list[list[int]]:
    key = test.secret_key
    return [
        [discrete_log(decrypt_to_element(key, c), 1000) for c in question]
        for question in ballot.ciphertexts()
    ]


@pytest.mark.parametrize("question", KINDS, ids=lambda q: f"{q.kind}-{q.id}")
def test_valid_answers_pass(group: Group, question: Question) -> None:
    test = per_kind(group, question)

    @settings(
        max_examples=examples(group),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(valid_answer(question))
    def run(answer: Answer) -> None:
        ballot = encrypt_ballot(test.election, test.codes[0], PlaintextBallot((answer,)))
        check_ballot(test.election, ballot)
        again = decode_ballot(test.election, ballot.canonical_bytes())
        assert again == ballot
        check_ballot(test.election, again)
        assert decrypt_all(test, ballot) == [list(answer.values)]

    run()


@pytest.mark.parametrize("question", KINDS, ids=lambda q: f"{q.kind}-{q.id}")
def test_invalid_answers_refused_before_encryption(group: Group, question: Question) -> None:
    test = per_kind(group, question)

    @settings(max_examples=20, deadline=None)
    @given(any_answer(question))
    def run(answer: Answer) -> None:
        try:
            check_answer(question, answer)
        except InvalidBallot:
            with pytest.raises(InvalidBallot, match=f"question '{question.id}'"):
                encrypt_ballot(test.election, test.codes[0], PlaintextBallot((answer,)))

    run()


def test_every_kind_in_one_ballot(test_election: ElectionFixture) -> None:
    election = test_election.election
    plaintext = PlaintextBallot.from_selection(election.manifest, SELECTION)
    ballot = encrypt_ballot(election, test_election.codes[0], plaintext)
    check_ballot(election, ballot)
    assert decrypt_all(test_election, ballot) == [list(a.values) for a in plaintext.answers]
    assert ballot.blank_ciphertexts()[0] is not None
    assert ballot.blank_ciphertexts()[2] is None
    data = ballot.canonical_bytes()
    assert decode_ballot(election, data).canonical_bytes() == data
    assert ballot.election_id == election.election_id
    assert ballot.fingerprint == election.fingerprint


def test_tracking_code() -> None:
    code = tracking_code(bytes(range(32)))
    assert code == tracking_code(bytes(range(13)) + bytes(19))
    parts = code.split("-")
    assert [len(part) for part in parts] == [4, 4, 4, 4, 5]
    assert set(code) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ-")
    assert tracking_code(bytes(32)) == "0000-0000-0000-0000-00000"
    assert tracking_code(b"\xff" * 13) == "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZY"


@settings(max_examples=200)
@given(ballot_hash=st.binary(min_size=13, max_size=32))
def test_tracking_code_is_the_first_104_bits_in_crockford_base32(ballot_hash: bytes) -> None:
    number = int.from_bytes(ballot_hash[:13], "big") << 1  # 21 symbols of 5 bits
    symbols = "".join(
        "0123456789ABCDEFGHJKMNPQRSTVWXYZ"[(number >> (5 * i)) & 31] for i in range(20, -1, -1)
    )
    assert tracking_code(ballot_hash).replace("-", "") == symbols


def test_unknown_code_refused(test_election: ElectionFixture) -> None:
    other = make_election(test_election.election.manifest, voters=1)
    plaintext = PlaintextBallot.from_selection(test_election.election.manifest, SELECTION)
    with pytest.raises(UnknownCredential):
        encrypt_ballot(test_election.election, other.codes[0], plaintext)


# -- forgeries ------------------------------------------------------------------------------


def _honest(test: ElectionFixture, code_index: int = 0) -> EncryptedBallot:
    manifest = test.election.manifest
    plaintext = PlaintextBallot.from_selection(manifest, SELECTION)
    return encrypt_ballot(test.election, test.codes[code_index], plaintext)


def _replace_question(
    ballot: EncryptedBallot, index: int, question: EncryptedQuestion
) -> tuple[EncryptedQuestion, ...]:
    return tuple(question if i == index else q for i, q in enumerate(ballot.questions))


def _forge_options(
    test: ElectionFixture, q_index: int, values: list[int], credential: bytes
) -> tuple[list[EncryptedOption], list[int]]:
    """Option ciphertexts with honest 0/1 proofs; returns options and the nonces."""
    election = test.election
    key = election.public_key
    options = []
    nonces = []
    for o_index, value in enumerate(values):
        nonce = election.group.random_scalar()
        ciphertext = encrypt_with_nonce(key, value, nonce)
        context = election.proof_context("question", q_index, "option", o_index, credential)
        proof = prove_range(key, Purpose.OPTION_PROOF, context, ciphertext, value, nonce, 1)
        options.append(EncryptedOption(ciphertext, proof))
        nonces.append(nonce)
    return options, nonces


def test_overvote_with_valid_option_proofs_is_refused() -> None:
    # A referendum without blank: yes = 1 and no = 1, each proven 0/1; the sum (2) can only be
    # "proven" in [1, 1] by lying about it, which the verifier sees.
    for group_name in ("ed25519", "modp4096"):
        test = make_election(make_manifest((referendum(),), group_name), voters=1)
        election = test.election
        honest = _honest_single(test)
        credential = honest.credential.to_bytes()
        options, nonces = _forge_options(test, 0, [1, 1], credential)
        total = homomorphic_sum(election.group, [o.ciphertext for o in options])
        context = election.proof_context("question", 0, "sum", credential)
        nonce = sum(nonces) % election.group.order
        shifted = total.__class__(total.alpha, total.beta * election.group.base_exp(-1))
        lie = prove_range(election.public_key, Purpose.SUM_PROOF, context, shifted, 0, nonce, 0)
        forged = EncryptedQuestion(tuple(options), None, lie, None)
        ballot = resign(election, test.codes[0], honest, (forged,))
        with pytest.raises(InvalidProof, match=r"questions\[0\]\.sum_proof"):
            check_ballot(election, ballot)


def _honest_single(test: ElectionFixture) -> EncryptedBallot:
    question = test.election.manifest.questions[0]
    plaintext = PlaintextBallot.from_selection(test.election.manifest, {question.id: ["yes"]})
    return encrypt_ballot(test.election, test.codes[0], plaintext)


def test_blank_and_choice_together_is_refused(group: Group) -> None:
    # Blank B = 1 and one option chosen: T = 1 + 2 = 3, outside [1, 2].
    test = per_kind(group, referendum(blank=True))
    election = test.election
    honest = _honest_single(test)
    credential = honest.credential.to_bytes()
    options, nonces = _forge_options(test, 0, [1, 0], credential)
    key = election.public_key
    blank_nonce = group.random_scalar()
    blank_ct = encrypt_with_nonce(key, 1, blank_nonce)
    blank_proof = prove_range(
        key, Purpose.OPTION_PROOF, election.proof_context("question", 0, "blank", credential),
        blank_ct, 1, blank_nonce, 1,
    )  # fmt: skip
    total = homomorphic_sum(group, [o.ciphertext for o in options]) * blank_ct.scale(2)
    shifted = total.__class__(total.alpha, total.beta * group.base_exp(-1))
    nonce = (sum(nonces) + 2 * blank_nonce) % group.order
    lie = prove_range(
        key, Purpose.SUM_PROOF, election.proof_context("question", 0, "sum", credential),
        shifted, 1, nonce, 1,
    )  # fmt: skip
    forged = EncryptedQuestion(
        tuple(options),
        EncryptedOption(blank_ct, blank_proof),
        lie,
        None,
        honest.questions[0].count_proof,
    )
    with pytest.raises(InvalidProof, match="sum_proof"):
        check_ballot(election, resign(election, test.codes[0], honest, (forged,)))


def test_over_budget_with_valid_project_proofs_is_refused(group: Group) -> None:
    question = budget(max_projects=None)  # costs 300, 500, 200, 400; budget 1000
    test = per_kind(group, question)
    election = test.election
    plaintext = PlaintextBallot.from_selection(election.manifest, {"budget": ["p0"]})
    honest = encrypt_ballot(election, test.codes[0], plaintext)
    credential = honest.credential.to_bytes()
    options, nonces = _forge_options(test, 0, [1, 1, 0, 1], credential)  # spend 1200
    costs = question.costs
    spend = homomorphic_sum(
        group, [o.ciphertext.scale(c) for o, c in zip(options, costs, strict=True)]
    )
    nonce = sum(c * r for c, r in zip(costs, nonces, strict=True)) % group.order
    context = election.proof_context("question", 0, "spend", credential)
    lie = prove_interval(
        election.public_key, Purpose.BUDGET_PROOF, context, spend, 1000, nonce, 100, 1000
    )
    forged = EncryptedQuestion(tuple(options), None, None, lie)
    with pytest.raises(InvalidProof, match="spend_proof"):
        check_ballot(election, resign(election, test.codes[0], honest, (forged,)))


def test_moved_ciphertexts_are_refused(test_election: ElectionFixture) -> None:
    election = test_election.election
    code = test_election.codes[0]
    honest = _honest(test_election)
    ref = honest.questions[0]
    swapped = dataclasses.replace(ref, options=(ref.options[1], ref.options[0]))
    with pytest.raises(InvalidProof, match=r"questions\[0\]\.options\[0\]"):
        check_ballot(
            election, resign(election, code, honest, _replace_question(honest, 0, swapped))
        )
    appr = honest.questions[1]
    moved = dataclasses.replace(appr, options=(ref.options[0], *appr.options[1:]))
    with pytest.raises(InvalidProof, match=r"questions\[1\]\.options\[0\]"):
        check_ballot(election, resign(election, code, honest, _replace_question(honest, 1, moved)))


def test_ballot_copied_to_another_credential_is_refused(test_election: ElectionFixture) -> None:
    election = test_election.election
    honest = _honest(test_election, 0)
    copied = resign(election, test_election.codes[1], honest)
    assert copied.credential != honest.credential
    with pytest.raises(InvalidProof):
        check_ballot(election, copied)


def test_ballot_from_another_election_is_refused(test_election: ElectionFixture) -> None:
    honest = _honest(test_election)
    manifest = test_election.election.manifest
    other_id = make_election(dataclasses.replace(manifest, election_id="other"), voters=1)
    with pytest.raises(ContextMismatch, match="election_id"):
        check_ballot(other_id.election, honest)
    same_id_other_key = make_election(manifest, voters=1)
    with pytest.raises(ContextMismatch, match="fingerprint"):
        check_ballot(same_id_other_key.election, honest)


def test_unlisted_credential_is_refused(test_election: ElectionFixture) -> None:
    honest = _honest(test_election)
    outsider = make_election(test_election.election.manifest, voters=1)
    forged = dataclasses.replace(honest, credential=outsider.election.credentials.entries[0].public)
    with pytest.raises(UnknownCredential):
        check_ballot(test_election.election, forged)


def test_structure_must_match_the_manifest(test_election: ElectionFixture) -> None:
    election = test_election.election
    honest = _honest(test_election)
    ref = honest.questions[0]
    cases = [
        (dataclasses.replace(honest, questions=honest.questions[:3]), "expected 4 questions"),
        (
            dataclasses.replace(
                honest, questions=_replace_question(honest, 0, dataclasses.replace(ref, blank=None))
            ),
            "blank ciphertext is required",
        ),
        (
            dataclasses.replace(
                honest,
                questions=_replace_question(
                    honest, 0, dataclasses.replace(ref, options=ref.options[:1])
                ),
            ),
            "expected 2 options",
        ),
        (
            dataclasses.replace(
                honest,
                questions=_replace_question(honest, 0, dataclasses.replace(ref, sum_proof=None)),
            ),
            "sum_proof: missing",
        ),
    ]
    for ballot, match in cases:
        with pytest.raises(InvalidBallot, match=match):
            check_ballot(election, ballot)


def _leaves(obj: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(obj, dict):
        return [leaf for key in obj for leaf in _leaves(obj[key], (*path, key))]
    if isinstance(obj, list):
        return [leaf for i, item in enumerate(obj) for leaf in _leaves(item, (*path, i))]
    return [path]


def _set(obj: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        obj = obj[step]
    obj[path[-1]] = value


def _get(obj: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        obj = obj[step]
    return obj


def test_any_field_changed_after_signing_is_refused(test_election: ElectionFixture) -> None:
    election = test_election.election
    honest = _honest(test_election)
    other = _honest(test_election, 1)
    obj = json.loads(honest.canonical_bytes())
    other_obj = json.loads(other.canonical_bytes())
    leaves = [leaf for leaf in _leaves(obj) if leaf[0] not in ("v", "s")]

    @settings(
        max_examples=30 if election.group.name == "ed25519" else 6,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(st.sampled_from(leaves))
    def run(path: tuple[Any, ...]) -> None:
        mutated = json.loads(json.dumps(obj))
        # Put another voter's valid value of the same field in its place: the forgery decodes.
        _set(mutated, path, _get(other_obj, path) if path[0] != "e" else "other-election")
        if mutated == obj:
            return
        ballot = decode_ballot(election, jsonstrict.dumps(mutated))
        with pytest.raises((InvalidSignature, InvalidProof, ContextMismatch)):
            check_ballot(election, ballot)

    run()


def test_signature_is_checked_before_proofs(test_election: ElectionFixture) -> None:
    election = test_election.election
    honest = _honest(test_election)
    other = _honest(test_election, 1)
    tampered = dataclasses.replace(honest, questions=other.questions)
    with pytest.raises(InvalidSignature, match=r"ballot\.signature"):
        check_ballot(election, tampered)


# -- strict decoding ------------------------------------------------------------------------


def test_decoding_is_strict(test_election: ElectionFixture) -> None:
    election = test_election.election
    group = election.group
    obj = json.loads(_honest(test_election).canonical_bytes())

    def refused(change: Any, match: str) -> None:
        mutated = json.loads(json.dumps(obj))
        change(mutated)
        with pytest.raises(InvalidBallot, match=match):
            decode_ballot(election, jsonstrict.dumps(mutated))

    refused(lambda o: o.update(x=1), r"ballot\.x: unknown field")
    refused(lambda o: o.pop("s"), r"ballot\.s: missing field")
    refused(lambda o: o.update(v=True), r"ballot\.v: expected an integer, got a boolean")
    refused(lambda o: o.update(v=2), r"ballot\.v")
    refused(lambda o: o["q"].pop(), r"ballot\.q: expected 4 items, got 3")
    refused(lambda o: o["q"][1]["o"].pop(), r"ballot\.q\[1\]\.o: expected 5 items")
    refused(lambda o: o["q"][0].pop("w"), r"ballot\.q\[0\]\.w: missing field")
    refused(lambda o: o["q"][2].update(w=o["q"][0]["w"]), r"ballot\.q\[2\]\.w: unknown field")
    refused(lambda o: o["q"][0]["o"][1]["p"].pop(), r"ballot\.q\[0\]\.o\[1\]\.p: expected 2")
    refused(
        lambda o: _set(o, ("q", 0, "o", 0, "a"), o["q"][0]["o"][0]["a"][:-4]),
        rf"ballot\.q\[0\]\.o\[0\]\.a: expected {group.element_size} bytes",
    )
    refused(
        lambda o: _set(o, ("q", 0, "o", 0, "a"), o["q"][0]["o"][0]["a"].rstrip("=")),
        r"ballot\.q\[0\]\.o\[0\]\.a: not canonical base64",
    )
    bad_element = "/" * (((group.element_size + 2) // 3) * 4 - 1) + "="
    refused(lambda o: _set(o, ("q", 1, "o", 2, "b"), bad_element), r"ballot\.q\[1\]\.o\[2\]\.b")
    too_big = "//////////////////////////////////////////8="
    refused(lambda o: _set(o, ("s", 0, 1), too_big), r"ballot\.s\[0\]: scalar out of range")
    refused(lambda o: _set(o, ("q", 3, "d", "l"), []), r"ballot\.q\[3\]\.d\.l: expected")
    with pytest.raises(InvalidBallot, match="duplicate key"):
        decode_ballot(election, b'{"v":1,"v":1}')
    with pytest.raises(InvalidBallot, match="digits"):
        decode_ballot(election, b'{"v":' + b"1" * 100 + b"}")


def test_key_derived_at_entry_signs_like_the_code(test_election: ElectionFixture) -> None:
    election = test_election.election
    key = CredentialKey.derive(election.group, election.election_id, test_election.codes[0])
    assert str(key.secret) not in repr(key)
    plaintext = PlaintextBallot.from_selection(election.manifest, SELECTION)
    ballot = encrypt_ballot(election, key, plaintext)
    check_ballot(election, ballot)
    assert ballot.credential == key.public
    assert decrypt_all(test_election, ballot) == [list(a.values) for a in plaintext.answers]


def test_key_derived_for_another_election_is_refused(test_election: ElectionFixture) -> None:
    election = test_election.election
    key = CredentialKey.derive(election.group, "another-election", test_election.codes[0])
    plaintext = PlaintextBallot.from_selection(election.manifest, SELECTION)
    with pytest.raises(ContextMismatch):
        encrypt_ballot(election, key, plaintext)


# -- the private nonce-taking encryption (known-answer vectors) -------------------------------


def test_given_nonces_make_the_ciphertexts(group: Group) -> None:
    test = per_kind(group, referendum(blank=True))
    election = test.election
    plaintext = PlaintextBallot.from_selection(election.manifest, {"ref": ["no"]})
    nonces = (QuestionSecrets((11, 12), 13),)
    ballot, secrets = _encrypt_ballot_with_nonces(election, test.codes[0], plaintext, nonces)
    check_ballot(election, ballot)
    key = election.public_key
    assert ballot.ciphertexts() == [
        [encrypt_with_nonce(key, 0, 11), encrypt_with_nonce(key, 1, 12)]
    ]
    assert ballot.blank_ciphertexts() == [encrypt_with_nonce(key, 0, 13)]
    assert secrets.questions == nonces


@pytest.mark.parametrize(
    ("nonces", "message"),
    [
        ((), "nonces: 0 questions, the manifest has 1"),
        ((QuestionSecrets((11,), 13),), r"nonces\[0\]: expected one nonce per option of 'ref'"),
        ((QuestionSecrets((11, 12), None),), r"nonces\[0\]: a blank nonce is needed iff"),
        ((QuestionSecrets((0, 12), 13),), r"nonces\[0\]: every nonce must be an integer in"),
        ((QuestionSecrets((11, 12), -1),), r"nonces\[0\]: every nonce must be an integer in"),
    ],
)
def test_given_nonces_are_checked(group: Group, nonces: Any, message: str) -> None:
    test = per_kind(group, referendum(blank=True))
    election = test.election
    plaintext = PlaintextBallot.from_selection(election.manifest, {"ref": ["no"]})
    with pytest.raises(InvalidInput, match=message):
        _encrypt_ballot_with_nonces(election, test.codes[0], plaintext, nonces)


def test_a_nonce_as_large_as_the_order_is_refused(group: Group) -> None:
    test = per_kind(group, referendum(blank=True))
    election = test.election
    plaintext = PlaintextBallot.from_selection(election.manifest, {"ref": ["no"]})
    nonces = (QuestionSecrets((11, group.order), 13),)
    with pytest.raises(InvalidInput, match="every nonce must be an integer in"):
        _encrypt_ballot_with_nonces(election, test.codes[0], plaintext, nonces)
