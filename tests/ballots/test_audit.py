"""Benaloh audit: an honest reveal passes, a lying one is caught, a spoiled ballot stays out."""

from __future__ import annotations

import dataclasses

import pytest

from evote.ballots.audit import (
    AuditedBallot,
    audited_ballot_from_json,
    check_audit,
    check_not_spoiled,
    ciphertext_marks,
    spoil_ballot,
)
from evote.ballots.encrypted import (
    BallotSecrets,
    EncryptedBallot,
    QuestionSecrets,
    encrypt_ballot_for_audit,
)
from evote.ballots.plaintext import Answer, PlaintextBallot
from evote.crypto.hashing import Purpose, digest32
from evote.errors import DuplicateBallot, InvalidBallot
from tests.ballots.conftest import ElectionFixture
from tests.ballots.strategies import resign

SELECTION = {"ref": ["yes"], "appr": ["c1"], "score": {"s1": 2}, "budget": ["p2"]}


def _spoiled(
    test: ElectionFixture,
) -> tuple[EncryptedBallot, BallotSecrets, AuditedBallot]:
    plaintext = PlaintextBallot.from_selection(test.election.manifest, SELECTION)
    ballot, secrets = encrypt_ballot_for_audit(test.election, test.codes[0], plaintext)
    return ballot, secrets, spoil_ballot(ballot, secrets)


def test_honest_audit_passes(test_election: ElectionFixture) -> None:
    ballot, secrets, audited = _spoiled(test_election)
    check_audit(test_election.election, ballot, audited)
    assert audited.plaintext == secrets.plaintext
    again = audited_ballot_from_json(audited.to_json())
    assert again == audited
    check_audit(test_election.election, ballot, again)


def test_secrets_repr_hides_nonces(test_election: ElectionFixture) -> None:
    _, secrets, _ = _spoiled(test_election)
    shown = repr(secrets)
    assert str(secrets.questions[0].options[0]) not in shown
    assert "Answer" not in shown


def test_lying_reveal_is_caught(test_election: ElectionFixture) -> None:
    ballot, _, audited = _spoiled(test_election)
    answers = list(audited.plaintext.answers)
    answers[0] = Answer((0, 1))  # claims "no" while the ballot encrypts "yes"
    lie = dataclasses.replace(audited, plaintext=PlaintextBallot(tuple(answers)))
    with pytest.raises(InvalidBallot, match=r"question 'ref', option 0: the revealed choice 0"):
        check_audit(test_election.election, ballot, lie)
    blank_lie = list(audited.plaintext.answers)
    blank_lie[0] = Answer((1, 0), blank=True)  # a choice and blank: against the rules
    with pytest.raises(InvalidBallot, match=r"break the manifest's rules"):
        check_audit(
            test_election.election,
            ballot,
            dataclasses.replace(audited, plaintext=PlaintextBallot(tuple(blank_lie))),
        )
    blank_nonce = list(audited.nonces)
    ref = blank_nonce[0]
    assert ref.blank is not None
    blank_nonce[0] = QuestionSecrets(ref.options, ref.blank + 1)
    with pytest.raises(InvalidBallot, match=r"question 'ref', blank"):
        check_audit(
            test_election.election, ballot, dataclasses.replace(audited, nonces=tuple(blank_nonce))
        )
    nonces = list(audited.nonces)
    first = nonces[1]
    nonces[1] = QuestionSecrets((first.options[0] + 1, *first.options[1:]), first.blank)
    with pytest.raises(InvalidBallot, match=r"question 'appr', option 0"):
        check_audit(
            test_election.election, ballot, dataclasses.replace(audited, nonces=tuple(nonces))
        )


def test_reveal_breaking_the_manifest_rules_is_caught(test_election: ElectionFixture) -> None:
    ballot, _, audited = _spoiled(test_election)
    answers = list(audited.plaintext.answers)
    answers[0] = Answer((1, 1))  # both options of a single-choice question
    lie = dataclasses.replace(audited, plaintext=PlaintextBallot(tuple(answers)))
    with pytest.raises(InvalidBallot, match="revealed choices break the manifest's rules"):
        check_audit(test_election.election, ballot, lie)


def test_reveal_for_another_ballot_is_refused(test_election: ElectionFixture) -> None:
    ballot, _, _ = _spoiled(test_election)
    _, _, other = _spoiled(test_election)
    with pytest.raises(InvalidBallot, match="another ballot"):
        check_audit(test_election.election, ballot, other)


def test_spoiled_ballot_cannot_be_cast(test_election: ElectionFixture) -> None:
    ballot, _, _ = _spoiled(test_election)
    spoiled = set(ciphertext_marks(ballot))
    with pytest.raises(DuplicateBallot, match="ciphertext 0 has the alpha"):
        check_not_spoiled(ballot, spoiled)
    # Re-signing the same ciphertexts changes the ballot hash, not the marks.
    again = resign(test_election.election, test_election.codes[0], ballot)
    assert again.ballot_hash() != ballot.ballot_hash()
    with pytest.raises(DuplicateBallot):
        check_not_spoiled(again, spoiled)
    fresh, _, _ = _spoiled(test_election)
    check_not_spoiled(fresh, spoiled)


def test_one_spoiled_alpha_is_enough_to_refuse(test_election: ElectionFixture) -> None:
    ballot, _, _ = _spoiled(test_election)
    marks = ciphertext_marks(ballot)
    for index, mark in enumerate(marks):
        with pytest.raises(DuplicateBallot, match=f"its ciphertext {index} has the alpha"):
            check_not_spoiled(ballot, {mark})
    other, _, _ = _spoiled(test_election)
    check_not_spoiled(other, set(marks))


def test_marks_are_the_specified_digests(test_election: ElectionFixture) -> None:
    """docs/spec.md 6.7: digest32(BALLOT, "alpha", fingerprint, alpha), options then blank."""
    ballot, _, _ = _spoiled(test_election)
    alphas = []
    for question in ballot.questions:
        alphas += [option.ciphertext.alpha for option in question.options]
        if question.blank is not None:
            alphas.append(question.blank.ciphertext.alpha)
    expected = tuple(
        digest32(Purpose.BALLOT, "alpha", ballot.fingerprint, alpha) for alpha in alphas
    )
    assert ciphertext_marks(ballot) == expected
    assert len(set(expected)) == len(expected)


def test_audit_json_is_strict(test_election: ElectionFixture) -> None:
    _, _, audited = _spoiled(test_election)
    data = audited.to_json()
    with pytest.raises(InvalidBallot, match=r"audit\.x: unknown field"):
        audited_ballot_from_json(data[:-1] + b',"x":1}')
    with pytest.raises(InvalidBallot, match="duplicate key"):
        audited_ballot_from_json(b'{"v":1,"v":1}')


#: mark(g^5) under the fingerprint 00 01 02 ... 1f (docs/spec.md 6.7), per group.
MARK_OF_G5 = {
    "ed25519": "36a2092d1a6af71b5bd74474e1b26a2eddfed2dafcbd8670094311214e919e53",
    "modp4096": "98c8120d63bfbc818a6b1e5dd10d763d13385885344c6cdc314d7c36fb970b6f",
}


def test_mark_known_answer(test_election: ElectionFixture) -> None:
    ballot, _, _ = _spoiled(test_election)
    group = test_election.election.group
    first = ballot.questions[0]
    option = first.options[0]
    moved = dataclasses.replace(
        option, ciphertext=dataclasses.replace(option.ciphertext, alpha=group.base_exp(5))
    )
    pinned = dataclasses.replace(
        ballot,
        fingerprint=bytes(range(32)),
        questions=(
            dataclasses.replace(first, options=(moved, *first.options[1:])),
            *ballot.questions[1:],
        ),
    )
    assert ciphertext_marks(pinned)[0].hex() == MARK_OF_G5[group.name]
