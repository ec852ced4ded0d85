"""The ballot checks that run on an executor's workers (docs/spec.md steps 11.7 to 11.10).

A task is one chunk of board entries (a few hundred ballots and spoiled ballots) plus an
:class:`ElectionSource`: the board's setup payload (entry 1), from which each worker process
rebuilds the :class:`~evote.election.Election` once and keeps it (keyed by the payload's
digest), so a task carries the election as bytes and never as live objects. The worker decodes
and checks every ballot with :func:`~evote.ballots.encrypted.check_ballot` (the cast path's own
check), and returns, per ballot, the facts that the board's rules need (credential, ballot
hash, spoiled marker, weight, the first error), with the chunk's *partial product* of the cast
ballots' ciphertexts (:func:`~evote.tally.aggregate.aggregate` on the chunk). The main process
multiplies the partial products and divides out the superseded ballots: the tally is
recomputed without the main process ever holding the ballots.

Everything here is a top-level function or a frozen dataclass, so it pickles for a process
pool and for Dask.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

from evote import jsonstrict
from evote.ballots.encrypted import EncryptedBallot, check_ballot, decode_ballot, spoiled_marker
from evote.board.setup import decode_setup
from evote.election import Election
from evote.errors import InvalidRecord
from evote.tally.aggregate import EncryptedTally, aggregate

#: Elections kept per worker process (a worker may serve two records in a row, say).
_CACHE_SIZE: Final = 4
_ELECTIONS: OrderedDict[bytes, Election] = OrderedDict()


@dataclass(frozen=True, slots=True)
class ElectionSource:
    """The board's setup payload (entry 1): what a worker rebuilds the election from."""

    setup_payload: bytes

    @property
    def digest(self) -> bytes:
        return hashlib.sha256(self.setup_payload).digest()


@dataclass(frozen=True, slots=True)
class ChunkEntry:
    """One ballot entry sent to a worker: its position, spoiled or cast, its payload."""

    position: int
    spoiled: bool
    payload: bytes


@dataclass(frozen=True, slots=True)
class BallotFacts:
    """What the main process keeps of one checked ballot entry.

    ``credential``, ``ballot_hash``, ``marker`` and ``weight`` are ``None`` when the payload
    could not be decoded (or, for ``weight``, when the credential is not on the list);
    ``error`` is ``ErrorClass: message`` of the first check that failed, else ``None``.
    """

    position: int
    spoiled: bool
    credential: bytes | None
    ballot_hash: bytes | None
    marker: bytes | None
    weight: int | None
    error: str | None


@dataclass(frozen=True, slots=True)
class ChunkResult:
    """The facts of every entry of a chunk, in order, and the partial product of its casts.

    ``partial`` multiplies the ciphertexts of every cast ballot of the chunk that decoded and
    has a weight (whether or not its proofs verify: step 11.7 judges those); ``unaggregated``
    lists the cast ballots that could not enter it.
    """

    facts: tuple[BallotFacts, ...]
    partial: EncryptedTally
    unaggregated: tuple[int, ...]


def election_for(source: ElectionSource) -> Election:
    """The election of ``source``, decoded once per process."""
    key = source.digest
    election = _ELECTIONS.get(key)
    if election is None:
        election = decode_setup(source.setup_payload, "board entry 1 (setup)").election
        _ELECTIONS[key] = election
        while len(_ELECTIONS) > _CACHE_SIZE:
            _ELECTIONS.popitem(last=False)
    else:
        _ELECTIONS.move_to_end(key)
    return election


def spoiled_ballot_bytes(payload: bytes, where: str) -> bytes:
    """The ballot inside a spoiled entry's payload ``{"ballot": base64, "audit": ...}``."""
    read = jsonstrict.Reader(InvalidRecord)
    obj = jsonstrict.loads(payload, where, InvalidRecord)
    fields = read.object(obj, where, ("ballot", "audit"))
    return read.b64(fields["ballot"], f"{where}.ballot")


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


def _check_entry(
    election: Election, entry: ChunkEntry
) -> tuple[BallotFacts, EncryptedBallot | None]:
    kind = "spoiled ballot" if entry.spoiled else "ballot"
    where = f"board entry {entry.position} ({kind})"
    try:
        data = spoiled_ballot_bytes(entry.payload, where) if entry.spoiled else entry.payload
        ballot = decode_ballot(election, data)
    except Exception as error:
        return BallotFacts(entry.position, entry.spoiled, None, None, None, None,
                           f"{where}: {_describe(error)}"), None  # fmt: skip
    error_text: str | None = None
    weight: int | None = None
    try:
        weight = election.credentials.weight_of(ballot.credential)
        check_ballot(election, ballot)
        if ballot.canonical_bytes() != data:
            error_text = f"{where}: InvalidRecord: the payload is not the ballot's canonical JSON"
    except Exception as error:
        error_text = f"{where}: {_describe(error)}"
    facts = BallotFacts(
        position=entry.position,
        spoiled=entry.spoiled,
        credential=ballot.credential.to_bytes(),
        ballot_hash=ballot.ballot_hash(),
        marker=spoiled_marker(ballot),
        weight=weight,
        error=error_text,
    )
    return facts, ballot


def check_chunk(source: ElectionSource, chunk: tuple[ChunkEntry, ...]) -> ChunkResult:
    """Decode and check every entry of ``chunk``; the partial product of its cast ballots."""
    election = election_for(source)
    facts: list[BallotFacts] = []
    counted: list[tuple[EncryptedBallot, int]] = []
    unaggregated: list[int] = []
    for entry in chunk:
        fact, ballot = _check_entry(election, entry)
        facts.append(fact)
        if entry.spoiled:
            continue
        if ballot is None or fact.weight is None:
            unaggregated.append(entry.position)
        else:
            counted.append((ballot, fact.weight))
    return ChunkResult(tuple(facts), aggregate(election, counted), tuple(unaggregated))
