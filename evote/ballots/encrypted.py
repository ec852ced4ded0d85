"""Encrypted ballots: encryption with proofs, the check every party runs, strict decoding.

Each option of each question is an exponential ElGamal ciphertext with a proof that it
encrypts a value in [0, M] (M = 1, or the maximum score); each question adds the proofs of its
rule on the homomorphic sums (docs/spec.md section 6.4):

* single choice and approval, ``min..max`` of n options with an optional blank ciphertext B
  (itself 0/1): T = (prod option ciphertexts) · B^(max+1) encrypts a value in
  [min, max + 1] when blank is allowed, [min, max] otherwise. A valid ballot has B = 0 and
  min <= sum <= max, or B = 1 and sum = 0 (value max + 1); since each option is 0/1 and B is 0/1,
  B = 1 with sum >= 1 gives a value above max + 1, and B = 0 with sum < min one below min;
* score: the total (the plain sum) in [0, max_total] when the manifest bounds it;
* budget: every project 0/1, the spend prod C_i^(cost_i) in [min_spend, budget], and the number
  of projects in [min_projects, max_projects] when the manifest bounds it;
* grades and ranking (mixnet questions): each option's grade integer in [0, G − 1] or rank in
  [0, n], and nothing more (the ranks are not proven distinct: docs/spec.md section 6.4).

Every range with at most :data:`CDS_MAX_VALUES` values is proven with the disjunctive proof of
Cramer, Damgård, Schoenmakers (CRYPTO 1994) as used by Cramer, Gennaro, Schoenmakers
(EUROCRYPT 1997); wider ranges (large scores, the budget) with the bit-decomposition interval
proof of :mod:`evote.crypto.rangeproof`. Every proof's context binds the election fingerprint,
the question index, the option index (or "blank", "sum", "spend") and the voter's public
credential, so that no ciphertext and proof can be moved to another option, question, ballot
or election. The voter's credential signs the canonical bytes of everything else
(:mod:`evote.ballots.signature`).

:func:`check_ballot` is the single check that the board runs before accepting a ballot and the
verifier runs again on the published record.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeAlias

from evote import jsonstrict
from evote.ballots.credentials import CredentialKey
from evote.ballots.manifest import (
    ApprovalQuestion,
    BudgetQuestion,
    GradesQuestion,
    Question,
    RankingQuestion,
    ScoreQuestion,
    SingleChoiceQuestion,
)
from evote.ballots.plaintext import Answer, PlaintextBallot, check_plaintext
from evote.ballots.signature import Signature, check_signature, sign_with_key
from evote.crypto.elgamal import (
    Ciphertext,
    PublicKey,
    encrypt_with_nonce,
    homomorphic_sum,
    weighted_sum,
)
from evote.crypto.encoding import TAG_ELEMENT, encode, encode_item
from evote.crypto.groups import Element, Group
from evote.crypto.hashing import PROTOCOL, Purpose, digest32
from evote.crypto.proofs import (
    DisjunctiveProof,
    Proof,
    ProofContext,
    check_range,
    prove_range,
)
from evote.crypto.rangeproof import (
    BitDecomposition,
    IntervalProof,
    bit_count,
    check_interval,
    prove_interval,
)
from evote.election import Election
from evote.errors import (
    ContextMismatch,
    DuplicateBallot,
    InvalidBallot,
    InvalidGroupElement,
    InvalidInput,
    UnknownCredential,
)

BALLOT_VERSION: Final = 1
#: Ranges with at most this many values get a disjunctive (CDS) proof, wider ones an interval
#: proof: at 16 values the two cost about the same (2 · 4 bit proofs of 2 branches each).
CDS_MAX_VALUES: Final = 16
MAX_BALLOT_BYTES: Final = 64 * 1024 * 1024
TRACKING_CODE_BYTES: Final = 13
_CROCKFORD: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Two symbols per 10-bit group: a tracking code is computed at every cast.
_CROCKFORD_PAIRS: Final = tuple(first + second for first in _CROCKFORD for second in _CROCKFORD)
_PAIR_SHIFTS: Final = (95, 85, 75, 65, 55, 45, 35, 25, 15, 5)
_READ: Final = jsonstrict.Reader(InvalidBallot)

RangeProof: TypeAlias = DisjunctiveProof | IntervalProof
# The key under which a ballot's own cache records that its elements were validated.
_ELEMENTS_CHECKED: Final = "elements-checked"


# -- values -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EncryptedOption:
    """One ciphertext and the proof that it encrypts a value in its allowed range."""

    ciphertext: Ciphertext
    proof: RangeProof


@dataclass(frozen=True, slots=True)
class EncryptedQuestion:
    """The encrypted answer to one question: options, blank, and the proofs of the rule."""

    options: tuple[EncryptedOption, ...]
    blank: EncryptedOption | None = None
    sum_proof: RangeProof | None = None
    spend_proof: IntervalProof | None = None
    count_proof: RangeProof | None = None


@dataclass(frozen=True, slots=True)
class EncryptedBallot:
    """A cast ballot: public, signed by the voter's credential, checked by :func:`check_ballot`."""

    election_id: str
    fingerprint: bytes
    credential: Element
    questions: tuple[EncryptedQuestion, ...]
    signature: Signature
    _cache: dict[str, bytes] = field(default_factory=dict, init=False, repr=False, compare=False)

    def signed_bytes(self) -> bytes:
        """Canonical JSON of everything but the signature: the message the credential signs."""
        if "signed" not in self._cache:
            self._cache["signed"] = jsonstrict.dumps(
                _unsigned_obj(self.election_id, self.fingerprint, self.credential, self.questions)
            )
        return self._cache["signed"]

    def to_json_obj(self) -> dict[str, Any]:
        obj = _unsigned_obj(self.election_id, self.fingerprint, self.credential, self.questions)
        obj["s"] = _proof_pairs([self.signature.proof])
        return obj

    def canonical_bytes(self) -> bytes:
        """Canonical JSON of the whole ballot: what the board stores and the record publishes."""
        if "canonical" not in self._cache:
            self._cache["canonical"] = jsonstrict.dumps(self.to_json_obj())
        return self._cache["canonical"]

    @property
    def elements_checked(self) -> bool:
        """Whether every element of this ballot is known to be a valid, non-identity member.

        True only for a ballot that :func:`decode_ballot` read (every element validated) or
        that :func:`encrypt_ballot` made from validated inputs; a ballot built or changed
        elsewhere (``dataclasses.replace`` gives a fresh object) is not known to be, and
        :func:`validated_ballot` reads it again from its canonical bytes.
        """
        return _ELEMENTS_CHECKED in self._cache

    def _mark_elements_checked(self) -> None:
        self._cache[_ELEMENTS_CHECKED] = b""

    def ballot_hash(self) -> bytes:
        """digest32(BALLOT, canonical bytes): 32 bytes that name this ballot."""
        return digest32(Purpose.BALLOT, self.canonical_bytes())

    @property
    def tracking_code(self) -> str:
        """The ballot hash in a form a person can compare: see :func:`tracking_code`."""
        return tracking_code(self.ballot_hash())

    def ciphertexts(self) -> list[list[Ciphertext]]:
        """Per question, per option, the ciphertexts that the tally sums."""
        return [[option.ciphertext for option in q.options] for q in self.questions]

    def blank_ciphertexts(self) -> list[Ciphertext | None]:
        """Per question, the blank ciphertext (None where blank is not allowed)."""
        return [None if q.blank is None else q.blank.ciphertext for q in self.questions]


def tracking_code(ballot_hash: bytes) -> str:
    """Crockford base32 of the first 13 bytes of the hash, in groups: ``XXXX-XXXX-...-XXXXX``.

    104 bits, read as 21 symbols of 5 bits (the last padded with one zero bit); Crockford's
    alphabet has no I, L, O, U, so a code read aloud or retyped is unambiguous.
    """
    if len(ballot_hash) < TRACKING_CODE_BYTES:
        raise InvalidInput("tracking code: hash too short")
    number = int.from_bytes(ballot_hash[:TRACKING_CODE_BYTES], "big") << 1
    pairs = [_CROCKFORD_PAIRS[(number >> shift) & 1023] for shift in _PAIR_SHIFTS]
    text = "".join(pairs) + _CROCKFORD[number & 31]
    return f"{text[0:4]}-{text[4:8]}-{text[8:12]}-{text[12:16]}-{text[16:]}"


TRACKING_CODE_SYMBOLS: Final = 21
"""Symbols in a tracking code: 104 bits of the ballot hash and one zero bit, 5 bits each."""

_TRACKING_ALIASES: Final = {"O": "0", "I": "1", "L": "1"}
_EVEN_SYMBOLS: Final = _CROCKFORD[::2]
# Longer text than this cannot be a tracking code with any spacing: refused before reading it.
_MAX_TRACKING_TEXT: Final = 200


def _not_a_tracking_code(text: str, why: str) -> InvalidInput:
    return InvalidInput(
        f"this is not a tracking code: {text!r} {why}; check the characters against the"
        " receipt (21 letters and digits in groups 4-4-4-4-5, e.g. A4P0-BEY8-AGXN-K7FP-T6YFM)"
    )


def normalise_tracking_code(text: str) -> str:
    """The 21 canonical symbols of a typed tracking code (docs/spec.md section 6.5).

    Forgiving as Crockford specifies: case is ignored, spaces and dashes (any Unicode dash) are
    skipped, O reads as 0 and I, L as 1. The code's last symbol carries one zero bit, so it is
    even: an odd one is a free check against a mistyped last group. Raises InvalidInput
    ("this is not a tracking code: ...") for a character outside the alphabet, a wrong number of
    symbols or an odd last symbol. This is the one reader of tracking codes: the board's
    lookup, the record's ballot check and the command line all use it.
    """
    if not isinstance(text, str):
        raise InvalidInput(f"tracking code: expected text, got {type(text).__name__}")
    shown = text if len(text) <= 40 else text[:40] + "..."
    if len(text) > _MAX_TRACKING_TEXT:
        raise _not_a_tracking_code(shown, f"has {len(text)} characters")
    symbols: list[str] = []
    for position, character in enumerate(text, start=1):
        if character.isspace() or unicodedata.category(character) == "Pd":
            continue
        upper = character.upper() if character.isascii() else character
        symbol = _TRACKING_ALIASES.get(upper, upper)
        if symbol not in _CROCKFORD:
            raise _not_a_tracking_code(
                shown,
                f"has {character!r} at position {position}, which a tracking code never"
                " contains (digits and the letters A-Z without I, L, O, U)",
            )
        symbols.append(symbol)
    if len(symbols) != TRACKING_CODE_SYMBOLS:
        raise _not_a_tracking_code(
            shown,
            f"has {len(symbols)} letters and digits, a tracking code has"
            f" {TRACKING_CODE_SYMBOLS}: a character is"
            f" {'missing' if len(symbols) < TRACKING_CODE_SYMBOLS else 'extra'}",
        )
    if symbols[-1] not in _EVEN_SYMBOLS:
        raise _not_a_tracking_code(
            shown,
            f"ends with {symbols[-1]!r}, but a tracking code's last character is always one"
            f" of {' '.join(_EVEN_SYMBOLS)}",
        )
    return "".join(symbols)


def parse_tracking_code(text: str) -> str:
    """A typed tracking code in its printed form ``XXXX-XXXX-XXXX-XXXX-XXXXX``.

    See :func:`normalise_tracking_code` for what is accepted and refused.
    """
    symbols = normalise_tracking_code(text)
    return f"{symbols[0:4]}-{symbols[4:8]}-{symbols[8:12]}-{symbols[12:16]}-{symbols[16:]}"


@dataclass(frozen=True, slots=True)
class QuestionSecrets:
    """The nonces of one question's ciphertexts (options, then blank)."""

    options: tuple[int, ...] = field(repr=False)
    blank: int | None = field(repr=False)


@dataclass(frozen=True, slots=True)
class BallotSecrets:
    """What the encrypting device knows about a ballot: its choices and every nonce.

    Private: it can only serve a Benaloh audit of a ballot that is then never cast
    (:mod:`evote.ballots.audit`). Its repr shows neither.
    """

    plaintext: PlaintextBallot = field(repr=False)
    questions: tuple[QuestionSecrets, ...] = field(repr=False)


# -- the rules as statements ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rules:
    """What one question's proofs state; shared by encryption, decoding and checking."""

    option_maximum: int
    blank: bool
    sum_range: tuple[int, int] | None  # on prod options · B^blank_weight
    blank_weight: int
    costs: tuple[int, ...] | None
    spend_range: tuple[int, int] | None
    # With blank, the sum range [min, max + 1] also holds max + 1 chosen options and no blank:
    # the options' own count is proven to be in [0, max] as well (tests/attacks B6).
    count_range: tuple[int, int] | None = None


def _rules(question: Question) -> _Rules:
    if isinstance(question, (SingleChoiceQuestion, ApprovalQuestion)):
        low, high = question.count_range or (0, len(question.options))
        if question.blank_allowed:
            return _Rules(1, True, (low, high + 1), high + 1, None, None, (0, high))
        return _Rules(1, False, (low, high), 0, None, None)
    if isinstance(question, ScoreQuestion):
        return _Rules(question.max_score, False, question.count_range, 0, None, None)
    if isinstance(question, (GradesQuestion, RankingQuestion)):
        # A mixnet question: each value (a grade's integer, a rank) in [0, M], nothing summed;
        # the mixed answers are decrypted one by one (docs/spec.md sections 6.4 and 14).
        return _Rules(question.option_maximum, False, None, 0, None, None)
    if isinstance(question, BudgetQuestion):
        return _Rules(
            1,
            False,
            question.count_range,
            0,
            question.costs,
            (question.min_spend, question.budget),
        )
    raise InvalidBallot(f"question {question!r}: unknown kind")


def _uses_cds(lower: int, upper: int) -> bool:
    return upper - lower + 1 <= CDS_MAX_VALUES


def _shift(group: Group, ciphertext: Ciphertext, lower: int) -> Ciphertext:
    """C / g^lower: it encrypts m - lower with the same nonce."""
    if lower == 0:
        return ciphertext
    return Ciphertext(ciphertext.alpha, ciphertext.beta * group.base_exp(-lower))


def _prove_bounded(
    key: PublicKey,
    purpose: Purpose,
    context: ProofContext,
    ciphertext: Ciphertext,
    value: int,
    nonce: int,
    lower: int,
    upper: int,
) -> RangeProof:
    if _uses_cds(lower, upper):
        shifted = _shift(key.group, ciphertext, lower)
        return prove_range(key, purpose, context, shifted, value - lower, nonce, upper - lower)
    return prove_interval(key, purpose, context, ciphertext, value, nonce, lower, upper)


def _check_bounded(
    key: PublicKey,
    purpose: Purpose,
    context: ProofContext,
    ciphertext: Ciphertext,
    lower: int,
    upper: int,
    proof: RangeProof,
    where: str,
) -> None:
    if isinstance(proof, DisjunctiveProof):
        shifted = _shift(key.group, ciphertext, lower)
        check_range(key, purpose, context, shifted, upper - lower, proof, where)
    else:
        check_interval(key, purpose, context, ciphertext, lower, upper, proof, where)


def _check_shape(proof: object, lower: int, upper: int, where: str) -> None:
    """The proof has the type and size its range calls for (else InvalidBallot)."""
    if _uses_cds(lower, upper):
        if not isinstance(proof, DisjunctiveProof) or len(proof.branches) != upper - lower + 1:
            raise InvalidBallot(f"{where}: expected a {upper - lower + 1}-branch range proof")
        return
    if not isinstance(proof, IntervalProof):
        raise InvalidBallot(f"{where}: expected an interval proof")
    _check_sides(proof, bit_count(lower, upper), where)


class _Position:
    """The proof contexts of one question of one ballot."""

    def __init__(self, election: Election, index: int, credential: Element) -> None:
        self._election = election
        self._index = index
        self._credential = credential.to_bytes()

    def option(self, option_index: int) -> ProofContext:
        return self._election.proof_context(
            "question", self._index, "option", option_index, self._credential
        )

    def named(self, name: str) -> ProofContext:
        return self._election.proof_context("question", self._index, name, self._credential)


def _sum_ciphertext(
    group: Group, options: Sequence[Ciphertext], blank: Ciphertext | None, rules: _Rules
) -> Ciphertext:
    total = homomorphic_sum(group, options)
    if blank is not None:
        total = total * blank.scale(rules.blank_weight)
    return total


# -- encryption -------------------------------------------------------------------------------


def encrypt_ballot(
    election: Election, voter_credential: str | CredentialKey, plaintext: PlaintextBallot
) -> EncryptedBallot:
    """Encrypt ``plaintext`` for ``election``, prove it valid and sign it with the credential.

    ``voter_credential`` is the voter's code, or better a :class:`CredentialKey` derived once
    when the code was entered (it saves a constant-time exponentiation per ballot). The choices
    are checked first (InvalidBallot names the question and the rule); a credential that is not
    on the election's list raises UnknownCredential.
    """
    return encrypt_ballot_for_audit(election, voter_credential, plaintext)[0]


def encrypt_ballot_for_audit(
    election: Election, voter_credential: str | CredentialKey, plaintext: PlaintextBallot
) -> tuple[EncryptedBallot, BallotSecrets]:
    """Like :func:`encrypt_ballot`, also returning the nonces for a Benaloh audit.

    The secrets must never be published together with a ballot that is cast: keep them only
    until the voter chooses to cast (then discard them) or to audit (then never cast).
    """
    check_plaintext(election.manifest, plaintext)
    group = election.group
    nonces = tuple(
        QuestionSecrets(
            tuple(group.random_scalar() for _ in answer.values),
            group.random_scalar() if question.blank_allowed else None,
        )
        for question, answer in zip(election.manifest.questions, plaintext.answers, strict=True)
    )
    return _encrypt_ballot_with_nonces(election, voter_credential, plaintext, nonces)


def _encrypt_ballot_with_nonces(
    election: Election,
    voter_credential: str | CredentialKey,
    plaintext: PlaintextBallot,
    nonces: Sequence[QuestionSecrets],
) -> tuple[EncryptedBallot, BallotSecrets]:
    """:func:`encrypt_ballot_for_audit` with the encryption nonces given, not drawn.

    Private, like pyca/cryptography's ``_from_parts``: only known-answer vectors may fix the
    nonces (tests/vectors/gen_election_vectors.py); a nonce used twice reveals the choices.
    The proofs and the signature still draw theirs from ``group.random_scalar``, in this
    order: per question, each option's proof, the blank's, the sum's, the count's, the
    spend's; then the signature.
    """
    check_plaintext(election.manifest, plaintext)
    group = election.group
    key = (
        voter_credential
        if isinstance(voter_credential, CredentialKey)
        else CredentialKey.derive(group, election.election_id, voter_credential)
    )
    if key.group is not group or key.election_id != election.election_id:
        raise ContextMismatch("credential: the key was derived for another election or group")
    credential = key.public
    if credential not in election.credentials:
        raise UnknownCredential("credential: this code's public credential is not on the list")
    _check_nonces(election, plaintext, nonces)
    questions = tuple(
        _encrypt_question(
            election, _Position(election, index, credential), question, answer, question_nonces
        )
        for index, (question, answer, question_nonces) in enumerate(
            zip(election.manifest.questions, plaintext.answers, nonces, strict=True)
        )
    )
    unsigned = jsonstrict.dumps(
        _unsigned_obj(election.election_id, election.fingerprint, credential, questions)
    )
    signature = sign_with_key(key, election.fingerprint, unsigned)
    ballot = EncryptedBallot(
        election.election_id, election.fingerprint, credential, questions, signature
    )
    ballot._cache["signed"] = unsigned
    # Every element is the election's validated key or credential, or a power of g or K by a
    # nonce in [1, q) (checked above): none is outside the group, and α is never the identity.
    ballot._mark_elements_checked()
    return ballot, BallotSecrets(plaintext, tuple(nonces))


def _check_nonces(
    election: Election, plaintext: PlaintextBallot, nonces: Sequence[QuestionSecrets]
) -> None:
    """One scalar in [1, q) per option, and one for the blank iff the question allows it."""
    if len(nonces) != len(election.manifest.questions):
        raise InvalidInput(
            f"nonces: {len(nonces)} questions, the manifest has {len(election.manifest.questions)}"
        )
    order = election.group.order
    for index, (question, answer, given) in enumerate(
        zip(election.manifest.questions, plaintext.answers, nonces, strict=True)
    ):
        where = f"nonces[{index}]"
        if not isinstance(given, QuestionSecrets) or len(given.options) != len(answer.values):
            raise InvalidInput(f"{where}: expected one nonce per option of {question.id!r}")
        if (given.blank is not None) != question.blank_allowed:
            raise InvalidInput(f"{where}: a blank nonce is needed iff the question allows blank")
        values = [*given.options, *([] if given.blank is None else [given.blank])]
        if any(type(value) is not int or not 0 < value < order for value in values):
            raise InvalidInput(f"{where}: every nonce must be an integer in [1, order)")


def _encrypt_question(
    election: Election,
    position: _Position,
    question: Question,
    answer: Answer,
    nonces: QuestionSecrets,
) -> EncryptedQuestion:
    key = election.public_key
    group = election.group
    rules = _rules(question)
    q = group.order
    options: list[EncryptedOption] = []
    for option_index, (value, nonce) in enumerate(zip(answer.values, nonces.options, strict=True)):
        ciphertext = encrypt_with_nonce(key, value, nonce)
        proof = _prove_bounded(
            key,
            Purpose.OPTION_PROOF,
            position.option(option_index),
            ciphertext,
            value,
            nonce,
            0,
            rules.option_maximum,
        )
        options.append(EncryptedOption(ciphertext, proof))
    blank: EncryptedOption | None = None
    blank_value = 1 if answer.blank else 0
    if rules.blank:
        if nonces.blank is None:
            raise InvalidInput("blank nonce missing")
        ciphertext = encrypt_with_nonce(key, blank_value, nonces.blank)
        proof = prove_range(
            key, Purpose.OPTION_PROOF, position.named("blank"), ciphertext, blank_value,
            nonces.blank, 1,
        )  # fmt: skip
        blank = EncryptedOption(ciphertext, proof)
    sum_proof: RangeProof | None = None
    if rules.sum_range is not None:
        lower, upper = rules.sum_range
        total = _sum_ciphertext(
            group,
            [option.ciphertext for option in options],
            None if blank is None else blank.ciphertext,
            rules,
        )
        value = answer.total + rules.blank_weight * blank_value
        nonce = (sum(nonces.options) + rules.blank_weight * (nonces.blank or 0)) % q
        sum_proof = _prove_bounded(
            key, Purpose.SUM_PROOF, position.named("sum"), total, value, nonce, lower, upper
        )
    count_proof: RangeProof | None = None
    if rules.count_range is not None:
        lower, upper = rules.count_range
        count = homomorphic_sum(group, [option.ciphertext for option in options])
        count_proof = _prove_bounded(
            key, Purpose.SUM_PROOF, position.named("count"), count, answer.total,
            sum(nonces.options) % q, lower, upper,
        )  # fmt: skip
    spend_proof: IntervalProof | None = None
    if rules.costs is not None and rules.spend_range is not None:
        lower, upper = rules.spend_range
        spend = weighted_sum(
            group, zip(rules.costs, (option.ciphertext for option in options), strict=True)
        )
        value = sum(c * v for c, v in zip(rules.costs, answer.values, strict=True))
        nonce = sum(c * r for c, r in zip(rules.costs, nonces.options, strict=True)) % q
        spend_proof = prove_interval(
            key, Purpose.BUDGET_PROOF, position.named("spend"), spend, value, nonce, lower, upper
        )
    return EncryptedQuestion(tuple(options), blank, sum_proof, spend_proof, count_proof)


# -- checking ---------------------------------------------------------------------------------


def check_ballot(election: Election, ballot: EncryptedBallot) -> None:
    """Run every check on ``ballot``: the one implementation for the board and the verifier.

    Cheap checks first: election id and fingerprint (ContextMismatch), the credential on the
    list (UnknownCredential), the structure against the manifest (InvalidBallot), every group
    element (InvalidBallot: :func:`validated_ballot`), the signature (InvalidSignature), then
    every proof (InvalidProof).
    """
    if not isinstance(ballot, EncryptedBallot):
        raise InvalidBallot("ballot: expected an EncryptedBallot")
    if ballot.election_id != election.election_id:
        raise ContextMismatch(
            f"ballot.election_id: {ballot.election_id!r} is not this election"
            f" ({election.election_id!r})"
        )
    if ballot.fingerprint != election.fingerprint:
        raise ContextMismatch("ballot.fingerprint: made for another version of this election")
    if not isinstance(ballot.credential, Element) or ballot.credential.group is not election.group:
        raise InvalidBallot(f"ballot.credential: not an element of {election.group.name}")
    election.credentials.weight_of(ballot.credential)
    check_structure(election, ballot)
    ballot = validated_ballot(election, ballot)
    check_signature(
        election.group,
        ballot.credential,
        election.fingerprint,
        ballot.signed_bytes(),
        ballot.signature,
        "ballot.signature",
    )
    for index, (question, encrypted) in enumerate(
        zip(election.manifest.questions, ballot.questions, strict=True)
    ):
        _check_question_proofs(
            election, _Position(election, index, ballot.credential), question, encrypted, index
        )


def validated_ballot(election: Election, ballot: EncryptedBallot) -> EncryptedBallot:
    """``ballot`` with every group element validated, through :func:`decode_ballot`.

    A ballot that :func:`decode_ballot` or :func:`encrypt_ballot` made is returned as it is;
    any other object (built by a caller, or changed after decoding) is read again from its
    canonical bytes, so that an object meets exactly the element checks that its bytes meet
    (docs/spec.md section 6.6): an element outside the group, of small or mixed order, or the
    identity raises InvalidBallot naming the field. Callers must go on with the returned
    ballot, never with the object they passed.
    """
    if not isinstance(ballot, EncryptedBallot):
        raise InvalidBallot("ballot: expected an EncryptedBallot")
    if ballot.elements_checked:
        return ballot
    check_structure(election, ballot)
    try:
        data = ballot.canonical_bytes()
    except (AttributeError, TypeError, ValueError, OverflowError) as fault:
        raise InvalidBallot(f"ballot: cannot be encoded as JSON ({fault})") from None
    return decode_ballot(election, data)


def check_structure(election: Election, ballot: EncryptedBallot) -> None:
    """The ballot has the shape the manifest calls for (counts, blank, proofs): InvalidBallot."""
    questions = election.manifest.questions
    if not isinstance(ballot.questions, tuple) or len(ballot.questions) != len(questions):
        raise InvalidBallot(f"ballot.questions: expected {len(questions)} questions")
    group = election.group
    for index, (question, encrypted) in enumerate(zip(questions, ballot.questions, strict=True)):
        where = f"ballot.questions[{index}]"
        if not isinstance(encrypted, EncryptedQuestion):
            raise InvalidBallot(f"{where}: expected an EncryptedQuestion")
        rules = _rules(question)
        if len(encrypted.options) != len(question.options):
            raise InvalidBallot(
                f"{where}.options: expected {len(question.options)} options for question"
                f" {question.id!r}, got {len(encrypted.options)}"
            )
        for option_index, option in enumerate(encrypted.options):
            _check_option_shape(
                group, option, rules.option_maximum, f"{where}.options[{option_index}]"
            )
        if (encrypted.blank is not None) != rules.blank:
            state = "required" if rules.blank else "not allowed"
            raise InvalidBallot(f"{where}.blank: a blank ciphertext is {state} here")
        if encrypted.blank is not None:
            _check_option_shape(group, encrypted.blank, 1, f"{where}.blank")
        _check_optional_proof(encrypted.sum_proof, rules.sum_range, f"{where}.sum_proof")
        _check_optional_proof(encrypted.count_proof, rules.count_range, f"{where}.count_proof")
        _check_optional_proof(
            encrypted.spend_proof, rules.spend_range, f"{where}.spend_proof", interval=True
        )


def _check_option_shape(group: Group, option: object, maximum: int, where: str) -> None:
    if not isinstance(option, EncryptedOption) or not isinstance(option.ciphertext, Ciphertext):
        raise InvalidBallot(f"{where}: expected an EncryptedOption")
    for name, element in (("alpha", option.ciphertext.alpha), ("beta", option.ciphertext.beta)):
        if not isinstance(element, Element) or element.group is not group:
            raise InvalidBallot(f"{where}.{name}: not an element of {group.name}")
    _check_shape(option.proof, 0, maximum, f"{where}.proof")


def _check_optional_proof(
    proof: object, bounds: tuple[int, int] | None, where: str, *, interval: bool = False
) -> None:
    """A proof is present exactly when ``bounds`` is; ``interval`` forces bit decomposition."""
    if bounds is None:
        if proof is not None:
            raise InvalidBallot(f"{where}: not expected for this question")
        return
    if proof is None:
        raise InvalidBallot(f"{where}: missing")
    lower, upper = bounds
    if interval and _uses_cds(lower, upper):
        # The spend is always proven by bit decomposition, whatever the width of its range.
        if not isinstance(proof, IntervalProof):
            raise InvalidBallot(f"{where}: expected an interval proof")
        _check_sides(proof, bit_count(lower, upper), where)
        return
    _check_shape(proof, lower, upper, where)


def _check_sides(proof: IntervalProof, bits: int, where: str) -> None:
    if any(
        len(side.bits) != bits or len(side.proofs) != bits
        for side in (proof.above_lower, proof.below_upper)
    ):
        raise InvalidBallot(f"{where}: expected an interval proof of {bits} bits per side")


def _check_question_proofs(
    election: Election,
    position: _Position,
    question: Question,
    encrypted: EncryptedQuestion,
    index: int,
) -> None:
    key = election.public_key
    group = election.group
    rules = _rules(question)
    where = f"ballot.questions[{index}]"
    for option_index, option in enumerate(encrypted.options):
        _check_bounded(
            key,
            Purpose.OPTION_PROOF,
            position.option(option_index),
            option.ciphertext,
            0,
            rules.option_maximum,
            option.proof,
            f"{where}.options[{option_index}].proof",
        )
    if encrypted.blank is not None:
        _check_bounded(
            key, Purpose.OPTION_PROOF, position.named("blank"), encrypted.blank.ciphertext,
            0, 1, encrypted.blank.proof, f"{where}.blank.proof",
        )  # fmt: skip
    ciphertexts = [option.ciphertext for option in encrypted.options]
    if rules.sum_range is not None and encrypted.sum_proof is not None:
        lower, upper = rules.sum_range
        total = _sum_ciphertext(
            group,
            ciphertexts,
            None if encrypted.blank is None else encrypted.blank.ciphertext,
            rules,
        )
        _check_bounded(
            key, Purpose.SUM_PROOF, position.named("sum"), total, lower, upper,
            encrypted.sum_proof, f"{where}.sum_proof",
        )  # fmt: skip
    if rules.count_range is not None and encrypted.count_proof is not None:
        lower, upper = rules.count_range
        _check_bounded(
            key, Purpose.SUM_PROOF, position.named("count"), homomorphic_sum(group, ciphertexts),
            lower, upper, encrypted.count_proof, f"{where}.count_proof",
        )  # fmt: skip
    if rules.costs is not None and rules.spend_range is not None:
        if encrypted.spend_proof is None:
            raise InvalidBallot(f"{where}.spend_proof: missing")
        lower, upper = rules.spend_range
        spend = weighted_sum(group, zip(rules.costs, ciphertexts, strict=True))
        check_interval(
            key, Purpose.BUDGET_PROOF, position.named("spend"), spend, lower, upper,
            encrypted.spend_proof, f"{where}.spend_proof",
        )  # fmt: skip


MARK_LABEL: Final = "alpha"


def ciphertext_marks(ballot: EncryptedBallot) -> tuple[bytes, ...]:
    """One mark per ciphertext of ``ballot``: what the board keeps so that no nonce is reused.

    ``digest32(BALLOT, "alpha", fingerprint, alpha)`` for every option ciphertext and blank
    ciphertext, question by question (options in order, then the blank): docs/spec.md 6.7. The
    mark names alpha = g^r alone, hence the nonce r: a spoiled ballot's audit publishes r, and
    r decrypts *any* ciphertext (alpha, beta') with that alpha (beta' / K^r = g^m'), so reusing
    one spoiled alpha, whatever the beta beside it, would cast a vote that anybody can read.
    A cast ballot's alpha reused elsewhere is a copy (Cortier and Smyth, "Attacking and fixing
    Helios: an analysis of ballot secrecy", CSF 2011) or a device that reused nonces; an honest
    device draws every r afresh, so honest ciphertexts never share an alpha.
    """
    alphas = [
        option.ciphertext.alpha
        for question in ballot.questions
        for option in (
            question.options if question.blank is None else (*question.options, question.blank)
        )
    ]
    if not alphas:
        return ()
    # digest32(BALLOT, "alpha", fingerprint, alpha) with the encoding before alpha computed
    # once: the same bytes (tests/ballots/test_audit.py pins the equality).
    last_item = encode_item(alphas[0])
    prefix = encode(PROTOCOL, Purpose.BALLOT.value, [MARK_LABEL, ballot.fingerprint, alphas[0]])
    prefix = prefix[: len(prefix) - len(last_item)]
    marks = []
    for alpha in alphas:
        raw = alpha.to_bytes()
        item = bytes([TAG_ELEMENT]) + len(raw).to_bytes(4, "big") + raw
        marks.append(hashlib.sha512(prefix + item).digest()[:32])
    return tuple(marks)


def check_not_spoiled(ballot: EncryptedBallot, spoiled: Container[bytes]) -> None:
    """DuplicateBallot if a ciphertext of ``ballot`` has the alpha of a spoiled ballot's."""
    for index, mark in enumerate(ciphertext_marks(ballot)):
        if mark in spoiled:
            raise DuplicateBallot(
                f"ballot: its ciphertext {index} has the alpha (the nonce) of a spoiled,"
                " audited ballot"
            )


# -- JSON -------------------------------------------------------------------------------------
# Compact keys (docs/spec.md section 6.5): ballot {"v", "e", "f", "c", "q", "s"};
# question {"o": options, "w": blank, "t": sum proof, "d": spend proof};
# option {"a": alpha, "b": beta, "p": proof}; disjunctive proof [[c, v], ...];
# interval proof {"l": [bit option, ...], "u": [bit option, ...]}.


def _b64_element(element: Element) -> str:
    return jsonstrict.b64encode(element.to_bytes())


def _b64_scalar(value: int) -> str:
    return jsonstrict.b64encode(Group.scalar_to_bytes(value))


def _proof_pairs(proofs: Sequence[Proof]) -> list[list[str]]:
    return [[_b64_scalar(p.challenge), _b64_scalar(p.response)] for p in proofs]


def _proof_obj(proof: RangeProof) -> Any:
    if isinstance(proof, DisjunctiveProof):
        return _proof_pairs(proof.branches)
    return {"l": _side_obj(proof.above_lower), "u": _side_obj(proof.below_upper)}


def _side_obj(side: BitDecomposition) -> list[dict[str, Any]]:
    return [
        _option_obj(EncryptedOption(bit, proof))
        for bit, proof in zip(side.bits, side.proofs, strict=True)
    ]


def _option_obj(option: EncryptedOption) -> dict[str, Any]:
    return {
        "a": _b64_element(option.ciphertext.alpha),
        "b": _b64_element(option.ciphertext.beta),
        "p": _proof_obj(option.proof),
    }


def _question_obj(question: EncryptedQuestion) -> dict[str, Any]:
    obj: dict[str, Any] = {"o": [_option_obj(option) for option in question.options]}
    if question.blank is not None:
        obj["w"] = _option_obj(question.blank)
    if question.sum_proof is not None:
        obj["t"] = _proof_obj(question.sum_proof)
    if question.spend_proof is not None:
        obj["d"] = _proof_obj(question.spend_proof)
    if question.count_proof is not None:
        obj["n"] = _proof_obj(question.count_proof)
    return obj


def _unsigned_obj(
    election_id: str,
    fingerprint: bytes,
    credential: Element,
    questions: tuple[EncryptedQuestion, ...],
) -> dict[str, Any]:
    return {
        "v": BALLOT_VERSION,
        "e": election_id,
        "f": jsonstrict.b64encode(fingerprint),
        "c": _b64_element(credential),
        "q": [_question_obj(question) for question in questions],
    }


class _ElementSource:
    """Hands out group elements while the ballot is read.

    The ballot is read twice: the first pass collects the raw encodings (and checks all the
    structure), so that they are validated in one batch by ``decode_many``; the second pass
    takes the decoded elements in the same order.
    """

    def __init__(self, group: Group) -> None:
        self.group = group
        self.raw: list[bytes] = []
        self.paths: list[str] = []
        self._decoded: Iterator[Element] | None = None

    def element(self, value: Any, where: str) -> Element:
        if self._decoded is not None:
            return next(self._decoded)
        self.raw.append(_READ.b64(value, where, self.group.element_size))
        self.paths.append(where)
        return self.group.generator

    def decode_all(self) -> None:
        try:
            decoded = self.group.decode_many(self.raw, "ballot")
        except InvalidGroupElement:
            for raw, path in zip(self.raw, self.paths, strict=True):
                try:
                    self.group.decode(raw, path)
                except InvalidGroupElement as error:
                    raise InvalidBallot(str(error)) from None
            raise InvalidBallot("ballot: a group element is invalid") from None
        self._decoded = iter(decoded)


def decode_ballot(election: Election, data: bytes) -> EncryptedBallot:
    """Decode a ballot from strict canonical JSON, against the manifest's expected shape.

    Unknown or missing fields, wrong types, duplicate keys, oversized integers, non-canonical
    base64, wrong counts, invalid group elements (the identity among them) and non-canonical
    scalars all raise InvalidBallot naming the field. ``data`` must be the ballot's canonical
    JSON byte for byte (docs/spec.md section 6.1): whitespace, another key order, an escape
    where canonical JSON has none, or a trailing newline raise InvalidBallot ("not canonical
    JSON"), so that one ballot has one byte string and one tracking code. Nothing is verified
    here beyond the form: call :func:`check_ballot`.
    """
    obj = jsonstrict.loads(data, "ballot", InvalidBallot, MAX_BALLOT_BYTES)
    source = _ElementSource(election.group)
    _read_ballot(election, obj, source)
    source.decode_all()
    ballot = _read_ballot(election, obj, source)
    # Compared with the re-encoding of what was read, not of the JSON tree: the bytes accepted
    # are exactly the bytes that the board stores, hashes and the verifier reads again.
    if ballot.canonical_bytes() != data:
        raise InvalidBallot(
            "ballot: not canonical JSON (sorted keys, no whitespace, no escapes that canonical"
            " JSON does not write, nothing after the object)"
        )
    ballot._mark_elements_checked()
    return ballot


def _read_ballot(election: Election, obj: Any, source: _ElementSource) -> EncryptedBallot:
    group = election.group
    fields = _READ.object(obj, "ballot", ("v", "e", "f", "c", "q", "s"))
    _READ.integer(fields["v"], "ballot.v", BALLOT_VERSION, BALLOT_VERSION)
    election_id = _READ.string(fields["e"], "ballot.e", 128)
    fingerprint = _READ.b64(fields["f"], "ballot.f", 32)
    credential = source.element(fields["c"], "ballot.c")
    questions = election.manifest.questions
    items = _READ.exact_array(fields["q"], "ballot.q", len(questions))
    encrypted = tuple(
        _read_question(group, source, question, item, f"ballot.q[{index}]")
        for index, (question, item) in enumerate(zip(questions, items, strict=True))
    )
    pairs = _read_pairs(group, fields["s"], "ballot.s", 1)
    return EncryptedBallot(election_id, fingerprint, credential, encrypted, Signature(pairs[0]))


def _read_question(
    group: Group, source: _ElementSource, question: Question, obj: Any, where: str
) -> EncryptedQuestion:
    rules = _rules(question)
    required = ["o"]
    if rules.blank:
        required.append("w")
    if rules.sum_range is not None:
        required.append("t")
    if rules.spend_range is not None:
        required.append("d")
    if rules.count_range is not None:
        required.append("n")
    fields = _READ.object(obj, where, required)
    items = _READ.exact_array(fields["o"], f"{where}.o", len(question.options))
    options = tuple(
        _read_option(group, source, item, 0, rules.option_maximum, f"{where}.o[{index}]")
        for index, item in enumerate(items)
    )
    blank = _read_option(group, source, fields["w"], 0, 1, f"{where}.w") if rules.blank else None
    sum_proof = None
    if rules.sum_range is not None:
        lower, upper = rules.sum_range
        sum_proof = _read_proof(group, source, fields["t"], lower, upper, f"{where}.t")
    spend_proof = None
    if rules.spend_range is not None:
        lower, upper = rules.spend_range
        spend_proof = _read_interval(group, source, fields["d"], lower, upper, f"{where}.d")
    count_proof = None
    if rules.count_range is not None:
        lower, upper = rules.count_range
        count_proof = _read_proof(group, source, fields["n"], lower, upper, f"{where}.n")
    return EncryptedQuestion(options, blank, sum_proof, spend_proof, count_proof)


def _read_option(
    group: Group, source: _ElementSource, obj: Any, lower: int, upper: int, where: str
) -> EncryptedOption:
    fields = _READ.object(obj, where, ("a", "b", "p"))
    ciphertext = Ciphertext(
        source.element(fields["a"], f"{where}.a"), source.element(fields["b"], f"{where}.b")
    )
    return EncryptedOption(
        ciphertext, _read_proof(group, source, fields["p"], lower, upper, f"{where}.p")
    )


def _read_proof(
    group: Group, source: _ElementSource, obj: Any, lower: int, upper: int, where: str
) -> RangeProof:
    if _uses_cds(lower, upper):
        return DisjunctiveProof(_read_pairs(group, obj, where, upper - lower + 1))
    return _read_interval(group, source, obj, lower, upper, where)


def _read_interval(
    group: Group, source: _ElementSource, obj: Any, lower: int, upper: int, where: str
) -> IntervalProof:
    bits = bit_count(lower, upper)
    fields = _READ.object(obj, where, ("l", "u"))
    sides = []
    for name in ("l", "u"):
        items = _READ.exact_array(fields[name], f"{where}.{name}", bits)
        options = [
            _read_option(group, source, item, 0, 1, f"{where}.{name}[{index}]")
            for index, item in enumerate(items)
        ]
        proofs = []
        for option in options:
            if not isinstance(option.proof, DisjunctiveProof):  # a 0/1 proof is always CDS
                raise InvalidBallot(f"{where}.{name}: expected bit proofs")
            proofs.append(option.proof)
        sides.append(
            BitDecomposition(tuple(option.ciphertext for option in options), tuple(proofs))
        )
    return IntervalProof(sides[0], sides[1])


def _read_pairs(group: Group, obj: Any, where: str, count: int) -> tuple[Proof, ...]:
    items = _READ.exact_array(obj, where, count)
    proofs = []
    for index, item in enumerate(items):
        here = f"{where}[{index}]"
        pair = _READ.exact_array(item, here, 2)
        proofs.append(Proof(_read_scalar(group, pair[0], here), _read_scalar(group, pair[1], here)))
    return tuple(proofs)


def _read_scalar(group: Group, value: Any, where: str) -> int:
    raw = _READ.b64(value, where, 32)
    try:
        return group.scalar_from_bytes(raw, where)
    except InvalidInput as error:
        raise InvalidBallot(str(error)) from None
