"""Encrypted grades and ranking answers: one option proof on [0, M] per option, nothing more.

docs/spec.md 6.4: M = G − 1 (grades) or n (ranking), CDS or interval by the 16-value rule, no
`w`, `t`, `n`, `d` keys. Honest ballots pass on both groups; a value out of range, an extra
proof or an improper plaintext is refused.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evote.ballots.audit import check_audit, spoil_ballot
from evote.ballots.encrypted import (
    EncryptedBallot,
    EncryptedOption,
    EncryptedQuestion,
    check_ballot,
    decode_ballot,
    encrypt_ballot,
    encrypt_ballot_for_audit,
)
from evote.ballots.manifest import RankingRule
from evote.ballots.plaintext import Answer, PlaintextBallot
from evote.crypto.dlog import discrete_log
from evote.crypto.elgamal import decrypt_to_element, encrypt_with_nonce
from evote.crypto.groups import ED25519, Group
from evote.crypto.hashing import Purpose
from evote.crypto.proofs import DisjunctiveProof, prove_range
from evote.crypto.rangeproof import IntervalProof, prove_interval
from evote.errors import InvalidBallot, InvalidProof
from tests.ballots.conftest import (
    ElectionFixture,
    grades,
    make_election,
    make_manifest,
    ranking,
    referendum,
)
from tests.ballots.strategies import resign, valid_answer

#: Ranking of 20 options: M = 20, 21 values, so its option proofs are interval proofs.
WIDE = dataclasses.replace(ranking(20, RankingRule.STV, 3), id="wide")
QUESTIONS = (referendum(), grades(), ranking(), WIDE)
SELECTION = {
    "ref": ["no"],
    "grades": {"g0": "fair", "g1": "very-good", "g2": "reject"},
    "rank": ["r3", "r1"],
    "wide": ["r19", "r0", "r7"],
}

_ELECTIONS: dict[str, ElectionFixture] = {}


def mixed(group: Group) -> ElectionFixture:
    """A referendum, a grades question and two ranking questions (one wide), built once."""
    if group.name not in _ELECTIONS:
        _ELECTIONS[group.name] = make_election(make_manifest(QUESTIONS, group.name), voters=2)
    return _ELECTIONS[group.name]


def decrypt_all(test: ElectionFixture, ballot: EncryptedBallot) -> list[list[int]]:
    return [
        [discrete_log(decrypt_to_element(test.secret_key, c), 100) for c in question]
        for question in ballot.ciphertexts()
    ]


def _answers(draw: st.DrawFn) -> tuple[Answer, ...]:
    return tuple(draw(valid_answer(question)) for question in QUESTIONS)


def test_a_referendum_and_mixnet_questions_in_one_ballot(group: Group) -> None:
    test = mixed(group)
    election = test.election
    plaintext = PlaintextBallot.from_selection(election.manifest, SELECTION)
    ballot = encrypt_ballot(election, test.codes[0], plaintext)
    check_ballot(election, ballot)
    data = ballot.canonical_bytes()
    again = decode_ballot(election, data)
    assert again == ballot and again.canonical_bytes() == data
    check_ballot(election, again)
    assert decrypt_all(test, ballot) == [
        [0, 1],
        [2, 4, 0],
        [0, 2, 0, 1],
        [2] + [0] * 6 + [3] + [0] * 11 + [1],
    ]
    questions = json.loads(data)["q"]
    # Only the option ciphertexts and their proofs: no blank, sum, count or spend key.
    assert [sorted(question) for question in questions] == [["o", "t"], ["o"], ["o"], ["o"]]
    assert all(len(option["p"]) == 5 for option in questions[1]["o"])  # 5 grades: [0, 4]
    assert all(len(option["p"]) == 5 for option in questions[2]["o"])  # 4 options: [0, 4]
    assert all(sorted(option["p"]) == ["l", "u"] for option in questions[3]["o"])  # [0, 20]
    assert isinstance(ballot.questions[2].options[0].proof, DisjunctiveProof)
    assert isinstance(ballot.questions[3].options[0].proof, IntervalProof)
    assert ballot.blank_ciphertexts() == [None] * 4


def test_any_valid_answers_round_trip(group: Group) -> None:
    test = mixed(group)

    @settings(
        max_examples=8 if group.name == "ed25519" else 1,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(st.composite(_answers)())
    def run(answers: tuple[Answer, ...]) -> None:
        ballot = encrypt_ballot(test.election, test.codes[1], PlaintextBallot(answers))
        check_ballot(test.election, decode_ballot(test.election, ballot.canonical_bytes()))
        assert decrypt_all(test, ballot) == [list(answer.values) for answer in answers]

    run()


@pytest.mark.parametrize(
    ("answers", "match"),
    [
        ({1: Answer((5, 0, 0))}, r"question 'grades', option 'g0': 5 is not a grade's integer"),
        ({2: Answer((1, 1, 0, 0))}, r"question 'rank', option 'r1': rank 1 is also held"),
        ({2: Answer((1, 3, 2, 5))}, r"question 'rank', option 'r3': 5 is not a rank in \[0, 4\]"),
        ({3: Answer((2,) + (0,) * 19)}, r"question 'wide', option 'r0': rank 2, but no option"),
    ],
)
def test_improper_answers_are_refused_before_encryption(
    answers: dict[int, Answer], match: str
) -> None:
    test = mixed(ED25519)
    plaintext = PlaintextBallot.from_selection(test.election.manifest, SELECTION)
    changed = tuple(answers.get(index, answer) for index, answer in enumerate(plaintext.answers))
    with pytest.raises(InvalidBallot, match=match):
        encrypt_ballot(test.election, test.codes[0], PlaintextBallot(changed))


def _forged_option(
    test: ElectionFixture, ballot: EncryptedBallot, question: int, option: int, value: int
) -> EncryptedOption:
    """A ciphertext of ``value`` with a proof made as an honest prover would for value M.

    The value is outside [0, M]: no proof can hold, so the prover "proves" the nearest value
    it may claim, and the checker sees the lie.
    """
    election = test.election
    maximum = election.manifest.questions[question].option_maximum
    nonce = election.group.random_scalar()
    ciphertext = encrypt_with_nonce(election.public_key, value, nonce)
    context = election.proof_context(
        "question", question, "option", option, ballot.credential.to_bytes()
    )
    key = election.public_key
    if maximum + 1 <= 16:
        proof: Any = prove_range(
            key, Purpose.OPTION_PROOF, context, ciphertext, maximum, nonce, maximum
        )
    else:
        proof = prove_interval(
            key, Purpose.OPTION_PROOF, context, ciphertext, maximum, nonce, 0, maximum
        )
    return EncryptedOption(ciphertext, proof)


@pytest.mark.parametrize(
    ("question", "option", "value"),
    [(1, 2, 5), (2, 0, 5), (2, 3, 7), (3, 19, 21)],
    ids=["grade-above-best", "rank-above-n", "rank-far-above", "wide-rank-above-n"],
)
def test_a_value_out_of_range_is_refused(question: int, option: int, value: int) -> None:
    test = mixed(ED25519)
    election = test.election
    plaintext = PlaintextBallot.from_selection(election.manifest, SELECTION)
    honest = encrypt_ballot(election, test.codes[0], plaintext)
    target = honest.questions[question]
    options = list(target.options)
    options[option] = _forged_option(test, honest, question, option, value)
    questions = list(honest.questions)
    questions[question] = dataclasses.replace(target, options=tuple(options))
    forged = resign(election, test.codes[0], honest, tuple(questions))
    with pytest.raises(
        InvalidProof, match=rf"ballot\.questions\[{question}\]\.options\[{option}\]\.proof"
    ):
        check_ballot(election, forged)


def test_a_proof_key_the_kinds_do_not_have_is_refused() -> None:
    test = mixed(ED25519)
    election = test.election
    plaintext = PlaintextBallot.from_selection(election.manifest, SELECTION)
    honest = encrypt_ballot(election, test.codes[0], plaintext)
    obj = json.loads(honest.canonical_bytes())
    for index in (1, 2, 3):
        for key in ("t", "w", "n", "d"):
            extra = json.loads(honest.canonical_bytes())
            extra["q"][index][key] = obj["q"][0]["t"]
            data = json.dumps(extra, sort_keys=True, separators=(",", ":")).encode()
            with pytest.raises(InvalidBallot, match=rf"ballot\.q\[{index}\]\.{key}: unknown field"):
                decode_ballot(election, data)
    # The same on the object: a sum proof where the manifest calls for none.
    grades_question = honest.questions[1]
    with_sum = EncryptedQuestion(
        grades_question.options, None, honest.questions[0].sum_proof, None, None
    )
    forged = resign(
        election, test.codes[0], honest, (honest.questions[0], with_sum, *honest.questions[2:])
    )
    with pytest.raises(InvalidBallot, match=r"questions\[1\]\.sum_proof: not expected"):
        check_ballot(election, forged)
    with_blank = dataclasses.replace(grades_question, blank=grades_question.options[0])
    forged = resign(
        election, test.codes[0], honest, (honest.questions[0], with_blank, *honest.questions[2:])
    )
    with pytest.raises(
        InvalidBallot, match=r"questions\[1\]\.blank: a blank ciphertext is not allowed"
    ):
        check_ballot(election, forged)


def test_a_grades_ballot_is_audited(group: Group) -> None:
    test = mixed(group)
    election = test.election
    plaintext = PlaintextBallot.from_selection(election.manifest, SELECTION)
    ballot, secrets = encrypt_ballot_for_audit(election, test.codes[0], plaintext)
    audited = spoil_ballot(ballot, secrets)
    check_audit(election, ballot, audited)
    assert audited.plaintext.to_selection(election.manifest) == SELECTION
    answers = list(audited.plaintext.answers)
    answers[1] = Answer((2, 3, 0))  # claims "good" for g1, the ballot encrypts "very-good"
    lie = dataclasses.replace(audited, plaintext=PlaintextBallot(tuple(answers)))
    with pytest.raises(InvalidBallot, match=r"question 'grades', option 1: the revealed choice 3"):
        check_audit(election, ballot, lie)
