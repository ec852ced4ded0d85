"""Benaloh audit of a spoiled ballot ("cast or challenge").

After encryption the voter either casts the ballot or challenges it. A challenged ballot is
*spoiled*: the device reveals the choices and every nonce (:func:`spoil_ballot`), and anyone,
typically on a second device, re-encrypts the choices with those nonces and compares them with
the ballot (:func:`check_audit`). A device that cheated on the choices is caught with the
probability that the voter challenges, and since it must commit to the ballot before knowing
whether it will be challenged, it cannot know which ballots it may safely alter (J. Benaloh,
"Simple verifiable elections", EVT 2006; "Ballot casting assurance via voter-initiated poll
station auditing", EVT 2007).

A spoiled ballot has lost its secrecy and must never be counted, nor any part of it: the board
keeps the :func:`ciphertext_marks` (one per ciphertext, naming its alpha, hence its nonce) of
every audited ballot and refuses any ballot that reuses one of them
(:func:`~evote.ballots.encrypted.check_not_spoiled`). See docs/spec.md section 6.7.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from evote import jsonstrict
from evote.ballots.encrypted import (
    BallotSecrets,
    EncryptedBallot,
    EncryptedOption,
    QuestionSecrets,
    check_ballot,
    check_not_spoiled,
    ciphertext_marks,
)
from evote.ballots.plaintext import Answer, PlaintextBallot, check_plaintext
from evote.crypto.elgamal import encrypt_with_nonce
from evote.election import Election
from evote.errors import InvalidBallot, InvalidInput

AUDIT_VERSION: Final = 1
_READ: Final = jsonstrict.Reader(InvalidBallot)

__all__ = [
    "AuditedBallot",
    "audited_ballot_from_json",
    "audited_ballot_from_json_obj",
    "check_audit",
    "check_not_spoiled",
    "ciphertext_marks",
    "spoil_ballot",
]


@dataclass(frozen=True, slots=True)
class AuditedBallot:
    """The revealed content of a spoiled ballot: its hash, the choices and every nonce.

    Public by design (it is published for anyone to check), and worthless as a vote.
    """

    ballot_hash: bytes
    plaintext: PlaintextBallot
    nonces: tuple[QuestionSecrets, ...]

    def to_json_obj(self) -> dict[str, Any]:
        """{"v", "h": hash, "q": [{"x": values, "k": blank, "r": nonces, "z": blank nonce}]}."""
        questions = []
        for answer, nonces in zip(self.plaintext.answers, self.nonces, strict=True):
            obj: dict[str, Any] = {
                "x": list(answer.values),
                "k": answer.blank,
                "r": [_scalar(nonce) for nonce in nonces.options],
            }
            if nonces.blank is not None:
                obj["z"] = _scalar(nonces.blank)
            questions.append(obj)
        return {"v": AUDIT_VERSION, "h": jsonstrict.b64encode(self.ballot_hash), "q": questions}

    def to_json(self) -> bytes:
        return jsonstrict.dumps(self.to_json_obj())


def _scalar(value: int) -> str:
    return jsonstrict.b64encode(value.to_bytes(32, "big"))


def audited_ballot_from_json(data: bytes) -> AuditedBallot:
    """Strictly decode a published audit (the check against the ballot is :func:`check_audit`)."""
    return audited_ballot_from_json_obj(jsonstrict.loads(data, "audit", InvalidBallot))


def audited_ballot_from_json_obj(obj: Any, root: str = "audit") -> AuditedBallot:
    """Strictly decode an audit's JSON value (as :func:`audited_ballot_from_json`)."""
    fields = _READ.object(obj, root, ("v", "h", "q"))
    _READ.integer(fields["v"], f"{root}.v", AUDIT_VERSION, AUDIT_VERSION)
    ballot_hash = _READ.b64(fields["h"], f"{root}.h", 32)
    answers = []
    nonces = []
    for index, item in enumerate(_READ.array(fields["q"], f"{root}.q")):
        where = f"{root}.q[{index}]"
        question = _READ.object(item, where, ("x", "k", "r"), ("z",))
        values = tuple(
            _READ.integer(value, f"{where}.x[{i}]", 0, 2**64)
            for i, value in enumerate(_READ.array(question["x"], f"{where}.x"))
        )
        answers.append(Answer(values, _READ.boolean(question["k"], f"{where}.k")))
        option_nonces = tuple(
            int.from_bytes(_READ.b64(nonce, f"{where}.r[{i}]", 32), "big")
            for i, nonce in enumerate(_READ.exact_array(question["r"], f"{where}.r", len(values)))
        )
        blank = question.get("z")
        blank_nonce = None if blank is None else int.from_bytes(_READ.b64(blank, f"{where}.z", 32))
        nonces.append(QuestionSecrets(option_nonces, blank_nonce))
    return AuditedBallot(ballot_hash, PlaintextBallot(tuple(answers)), tuple(nonces))


def spoil_ballot(ballot: EncryptedBallot, secrets: BallotSecrets) -> AuditedBallot:
    """Reveal the choices and nonces of ``ballot``: from now on it must never be cast."""
    return AuditedBallot(ballot.ballot_hash(), secrets.plaintext, secrets.questions)


def check_audit(election: Election, ballot: EncryptedBallot, revealed: AuditedBallot) -> None:
    """Check that ``ballot`` is valid and encrypts exactly the revealed choices, which follow
    the manifest's rules (docs/spec.md section 6.7).

    Raises what :func:`~evote.ballots.encrypted.check_ballot` raises for an invalid ballot, and
    InvalidBallot when the revealed choices break a rule of the manifest, or naming the
    question and option where a re-encryption with the revealed nonce differs from the ballot
    (the device lied about the choices, or the reveal is not for this ballot).
    """
    check_ballot(election, ballot)
    if revealed.ballot_hash != ballot.ballot_hash():
        raise InvalidBallot("audit: the revealed data is for another ballot (hash differs)")
    answers = revealed.plaintext.answers
    if len(answers) != len(ballot.questions) or len(revealed.nonces) != len(ballot.questions):
        raise InvalidBallot(f"audit: expected {len(ballot.questions)} revealed questions")
    try:
        check_plaintext(election.manifest, revealed.plaintext)
    except InvalidBallot as error:
        rules = "audit: the revealed choices break the manifest's rules"
        raise InvalidBallot(f"{rules}: {error}") from None
    key = election.public_key
    for index, (question, answer, nonces) in enumerate(
        zip(ballot.questions, answers, revealed.nonces, strict=True)
    ):
        where = f"audit: question {election.manifest.questions[index].id!r}"
        if len(answer.values) != len(question.options) or len(nonces.options) != len(
            question.options
        ):
            raise InvalidBallot(f"{where}: expected {len(question.options)} revealed options")
        pairs: list[tuple[str, EncryptedOption, int, int | None]] = [
            (f"option {i}", option, value, nonce)
            for i, (option, value, nonce) in enumerate(
                zip(question.options, answer.values, nonces.options, strict=True)
            )
        ]
        if question.blank is not None:
            pairs.append(("blank", question.blank, 1 if answer.blank else 0, nonces.blank))
        for name, option, value, nonce in pairs:
            if nonce is None:
                raise InvalidBallot(f"{where}, {name}: nonce missing")
            try:
                expected = encrypt_with_nonce(key, value, nonce)
            except InvalidInput as error:
                raise InvalidBallot(f"{where}, {name}: {error}") from None
            if expected != option.ciphertext:
                raise InvalidBallot(
                    f"{where}, {name}: the revealed choice {value} does not match the ciphertext"
                )
