"""Homomorphic aggregation of the counted ballots (docs/spec.md section 9.1).

For each question q and option o the tally ciphertext is prod_b C_{b,q,o}^{w_b} over the
counted ballots b with their weights w_b: it encrypts the weighted count
sum_b w_b · m_{b,q,o} (exponential ElGamal is additively homomorphic; Cramer, Gennaro,
Schoenmakers, EUROCRYPT 1997). The blank ciphertext of a question that allows blank is summed
the same way.

Ballots are streamed: one pass, never all in memory. Ballots of equal weight are first
multiplied together and each weight class is raised to its weight once at the end, so a
weighted election costs little more than an unweighted one; past :data:`MAX_WEIGHT_CLASSES`
distinct weights, each ballot is scaled on arrival instead.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

from evote.ballots.manifest import Manifest
from evote.crypto.elgamal import Ciphertext
from evote.crypto.groups import Group
from evote.errors import InvalidBallot, InvalidInput

if TYPE_CHECKING:
    from evote.election import Election

MAX_WEIGHT_CLASSES: Final = 64
#: Ballots per task of :func:`aggregate_payloads`, and tasks in flight at once.
PAYLOAD_CHUNK: Final = 1000
MAX_PENDING: Final = 16


class BallotCiphertexts(Protocol):
    """What the tally reads from a counted ballot (an EncryptedBallot has both methods)."""

    def ciphertexts(self) -> list[list[Ciphertext]]: ...

    def blank_ciphertexts(self) -> list[Ciphertext | None]: ...


@dataclass(frozen=True, slots=True)
class CiphertextMatrix:
    """Plain per-question, per-option ciphertexts (and blanks) of one ballot."""

    options: tuple[tuple[Ciphertext, ...], ...]
    blanks: tuple[Ciphertext | None, ...]

    def ciphertexts(self) -> list[list[Ciphertext]]:
        return [list(row) for row in self.options]

    def blank_ciphertexts(self) -> list[Ciphertext | None]:
        return list(self.blanks)


@dataclass(frozen=True, slots=True)
class QuestionShape:
    """How many options a question has and whether it has a blank ciphertext."""

    options: int
    blank: bool


@dataclass(frozen=True, slots=True)
class EncryptedTally:
    """The product of the counted ballots: per question, per option, and the blank."""

    group: Group
    options: tuple[tuple[Ciphertext, ...], ...]
    blanks: tuple[Ciphertext | None, ...]
    ballot_count: int
    total_weight: int

    def columns(self) -> list[tuple[int, int | str, Ciphertext]]:
        """Every ciphertext with its position: (question, option index or "blank", ciphertext).

        The order (questions in order; in each, the options, then the blank) is the order of
        the factors in a decryption share.
        """
        result: list[tuple[int, int | str, Ciphertext]] = []
        for q, (row, blank) in enumerate(zip(self.options, self.blanks, strict=True)):
            result += [(q, o, ciphertext) for o, ciphertext in enumerate(row)]
            if blank is not None:
                result.append((q, "blank", blank))
        return result

    @property
    def shape(self) -> tuple[QuestionShape, ...]:
        return tuple(
            QuestionShape(len(row), blank is not None)
            for row, blank in zip(self.options, self.blanks, strict=True)
        )


def manifest_shape(manifest: Manifest) -> tuple[QuestionShape, ...]:
    """The shape of the encrypted tally under ``manifest``.

    A question counted by the mixnet (docs/spec.md section 14) has no tally column: its shape
    is 0 options and no blank, and its ciphertexts are skipped by the aggregation (spec 9.1).
    """
    return tuple(
        QuestionShape(0, False)
        if q.counted_by_mixnet
        else QuestionShape(len(q.options), q.blank_allowed)
        for q in manifest.questions
    )


class _Accumulator:
    """One running product per weight class, for every column of the shape."""

    def __init__(self, group: Group, shape: Sequence[QuestionShape]) -> None:
        self.group = group
        self.shape = tuple(shape)
        self.width = sum(s.options + (1 if s.blank else 0) for s in self.shape)
        self.classes: dict[int, list[Ciphertext]] = {}
        self.scaled: list[Ciphertext] | None = None

    def _empty(self) -> list[Ciphertext]:
        identity = self.group.identity
        return [Ciphertext(identity, identity)] * self.width

    def add(self, row: list[Ciphertext], weight: int) -> None:
        target = self.classes.get(weight)
        if target is None and len(self.classes) < MAX_WEIGHT_CLASSES:
            target = self.classes[weight] = self._empty()
        if target is not None:
            for i, ciphertext in enumerate(row):
                target[i] = target[i] * ciphertext
            return
        if self.scaled is None:
            self.scaled = self._empty()
        for i, ciphertext in enumerate(row):
            self.scaled[i] = self.scaled[i] * ciphertext.scale(weight)

    def total(self) -> list[Ciphertext]:
        result = self.scaled if self.scaled is not None else self._empty()
        for weight, products in self.classes.items():
            for i, ciphertext in enumerate(products):
                result[i] = result[i] * (ciphertext if weight == 1 else ciphertext.scale(weight))
        return result


def _flatten(
    group: Group, shape: Sequence[QuestionShape], ballot: BallotCiphertexts, position: int
) -> list[Ciphertext]:
    options = ballot.ciphertexts()
    blanks = ballot.blank_ciphertexts()
    where = f"counted ballot #{position}"
    if len(options) != len(shape) or len(blanks) != len(shape):
        raise InvalidBallot(f"{where}: {len(options)} questions, the election has {len(shape)}")
    row: list[Ciphertext] = []
    for q, (expected, answers, blank) in enumerate(zip(shape, options, blanks, strict=True)):
        if expected.options == 0:
            # A question counted by the mixnet (every manifest question has an option):
            # its answers are mixed and decrypted one by one, never summed (spec 9.1, 14).
            continue
        if len(answers) != expected.options:
            raise InvalidBallot(
                f"{where}, question {q}: {len(answers)} options, expected {expected.options}"
            )
        if (blank is not None) != expected.blank:
            raise InvalidBallot(
                f"{where}, question {q}: blank ciphertext "
                + ("missing" if expected.blank else "where blank is not allowed")
            )
        row += answers
        if blank is not None:
            row.append(blank)
    for ciphertext in row:
        if ciphertext.alpha.group is not group or ciphertext.beta.group is not group:
            raise InvalidBallot(f"{where}: a ciphertext of another group")
    return row


def aggregate_ciphertexts(
    group: Group,
    shape: Sequence[QuestionShape],
    counted: Iterable[tuple[BallotCiphertexts, int]],
) -> EncryptedTally:
    """The weighted product of ``counted`` = (ballot ciphertexts, weight) pairs, streamed."""
    accumulator = _Accumulator(group, shape)
    ballots = 0
    total_weight = 0
    for position, (ballot, weight) in enumerate(counted):
        if type(weight) is not int or weight < 1:
            raise InvalidInput(f"counted ballot #{position}: weight {weight!r} is not an int >= 1")
        accumulator.add(_flatten(group, shape, ballot, position), weight)
        ballots += 1
        total_weight += weight
    flat = iter(accumulator.total())
    options = []
    blanks: list[Ciphertext | None] = []
    for question in shape:
        options.append(tuple(next(flat) for _ in range(question.options)))
        blanks.append(next(flat) if question.blank else None)
    return EncryptedTally(group, tuple(options), tuple(blanks), ballots, total_weight)


class _HasManifestAndGroup(Protocol):
    @property
    def manifest(self) -> Manifest: ...

    @property
    def group(self) -> Group: ...


def aggregate(
    election: _HasManifestAndGroup, counted: Iterable[tuple[BallotCiphertexts, int]]
) -> EncryptedTally:
    """The encrypted tally of ``election``'s counted ballots with their weights.

    ``counted`` yields (ballot, weight): an :class:`~evote.ballots.encrypted.EncryptedBallot`
    or a :class:`CiphertextMatrix`, already checked (the board checks each ballot on casting;
    the verifier re-checks the record) and deduplicated by the revote policy.
    """
    return aggregate_ciphertexts(election.group, manifest_shape(election.manifest), counted)


# -- in parallel, from the board's payloads ----------------------------------------------------

#: Elections a worker process can aggregate for, by fingerprint (see :func:`share_election`).
_SHARED: dict[bytes, Election] = {}


def share_election(election: Election) -> None:
    """Make ``election`` known to the workers of :func:`aggregate_payloads`.

    Call it before the process pool starts (a forking pool inherits it, shared copy-on-write)
    or pass it as the pool's ``initializer`` (each worker then receives it once).
    """
    _SHARED[election.fingerprint] = election


def multiply_tallies(left: EncryptedTally, right: EncryptedTally) -> EncryptedTally:
    """The tally of the ballots of both (the column-wise product; counts and weights add)."""
    if left.group is not right.group or left.shape != right.shape:
        raise InvalidInput("tallies of different groups or shapes cannot be multiplied")
    return EncryptedTally(
        left.group,
        tuple(
            tuple(a * b for a, b in zip(row_a, row_b, strict=True))
            for row_a, row_b in zip(left.options, right.options, strict=True)
        ),
        tuple(
            None if a is None or b is None else a * b
            for a, b in zip(left.blanks, right.blanks, strict=True)
        ),
        left.ballot_count + right.ballot_count,
        left.total_weight + right.total_weight,
    )


def aggregate_chunk(fingerprint: bytes, payloads: tuple[bytes, ...]) -> EncryptedTally:
    """Decode ``payloads`` (counted ballots' canonical bytes) and aggregate them (a worker task)."""
    from evote.ballots.encrypted import decode_ballot  # noqa: PLC0415 (ballots import the tally)

    election = _SHARED.get(fingerprint)
    if election is None:
        raise InvalidInput(
            "aggregate: this worker does not know the election; call share_election before"
            " the pool starts, or give it as the pool's initializer"
        )
    credentials = election.credentials

    def counted() -> Iterator[tuple[BallotCiphertexts, int]]:
        for payload in payloads:
            ballot = decode_ballot(election, payload)
            yield ballot, credentials.weight_of(ballot.credential)

    return aggregate(election, counted())


def aggregate_payloads(
    election: Election,
    payloads: Iterable[bytes],
    *,
    executor: Executor | None = None,
    chunk_size: int = PAYLOAD_CHUNK,
) -> EncryptedTally:
    """:func:`aggregate` of the counted ballots given as payloads, decoded on ``executor``.

    Each task decodes a chunk of ballots and returns its partial product; this process
    multiplies them (the product is associative and commutative, so the result is the
    sequential one). Decoding dominates the tally (every ciphertext's membership check), and
    spreads over the workers. Without an executor, runs in this process. The workers must
    know ``election``: see :func:`share_election`.
    """
    if chunk_size < 1:
        raise InvalidInput("aggregate: the chunk size must be at least 1")
    share_election(election)
    key = election.fingerprint
    total = aggregate(election, ())
    if executor is None:
        for chunk in _chunks(payloads, chunk_size):
            total = multiply_tallies(total, aggregate_chunk(key, chunk))
        return total
    pending: deque[Future[EncryptedTally]] = deque()
    try:
        for chunk in _chunks(payloads, chunk_size):
            pending.append(executor.submit(aggregate_chunk, key, chunk))
            while len(pending) >= MAX_PENDING:
                total = multiply_tallies(total, pending.popleft().result())
        while pending:
            total = multiply_tallies(total, pending.popleft().result())
    finally:
        for future in pending:
            future.cancel()
    return total


def _chunks(payloads: Iterable[bytes], size: int) -> Iterator[tuple[bytes, ...]]:
    chunk: list[bytes] = []
    for payload in payloads:
        chunk.append(payload)
        if len(chunk) >= size:
            yield tuple(chunk)
            chunk = []
    if chunk:
        yield tuple(chunk)
