"""The ballot checks that run on an executor's workers (docs/spec.md steps 11.7 to 11.10).

Each spoiled ballot's audit (step 11.7.1) is judged in the same pass, by the same worker, with
:func:`~evote.ballots.audit.check_audit`.

A task is one chunk of board entries (a few hundred ballots and spoiled ballots) plus an
:class:`ElectionSource`: the SHA-256 of the board's setup payload (entry 1) and where to read
that payload (inline, or line 1 of the record's ``board.jsonl``). Each worker process keeps the
elections it has decoded, keyed by that digest. The main process puts the election it decoded
in the same cache (:func:`remember_election`) before its first task: a process pool that forks
(the default on Linux) then starts with the election already there, shared copy-on-write, and
no task carries or re-parses the setup payload (at a million voters it is ~90 MB). A worker
started any other way (spawn, Dask) reads line 1 of the record once and checks its digest.

The worker decodes and checks every ballot with :func:`~evote.ballots.encrypted.check_ballot`
(the cast path's own check), and returns, per ballot, the facts that the board's rules need
(credential, ballot hash, ciphertext marks, weight, the first error), with the chunk's *partial
product* of the cast ballots' ciphertexts (:func:`~evote.tally.aggregate.aggregate` on the
chunk). The main process multiplies the partial products and divides out the superseded
ballots: the tally is recomputed without the main process ever holding the ballots.

Everything here is a top-level function or a frozen dataclass, so it pickles for a process
pool and for Dask.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from evote.ballots.audit import audited_ballot_from_json_obj, check_audit
from evote.ballots.encrypted import (
    EncryptedBallot,
    check_ballot,
    ciphertext_marks,
    decode_ballot,
    tracking_code,
)
from evote.board.payloads import spoiled_parts
from evote.board.setup import decode_setup
from evote.crypto.hashing import Purpose, digest32
from evote.election import Election
from evote.errors import InvalidBallot, InvalidInput, InvalidRecord
from evote.record.jsonl import MAX_LINE_BYTES, parse_line
from evote.record.strict import open_regular
from evote.tally.aggregate import EncryptedTally, aggregate
from evote.verify.report import AuditReport

#: Elections kept per worker process (a worker may serve two records in a row, say).
_CACHE_SIZE: Final = 4
_ELECTIONS: OrderedDict[bytes, Election] = OrderedDict()


@dataclass(frozen=True, slots=True)
class ElectionSource:
    """Where a worker finds the election: the setup payload (entry 1) and its SHA-256.

    ``setup_payload`` inline (small boards, tests), or ``None`` with ``board_path``: the
    ``board.jsonl`` whose first line holds the payload. ``setup_digest`` names the election in
    each process's cache; given a payload, it is computed from it.
    """

    setup_payload: bytes | None
    setup_digest: bytes = b""
    board_path: str | None = None

    def __post_init__(self) -> None:
        if self.setup_payload is not None and not self.setup_digest:
            object.__setattr__(self, "setup_digest", setup_digest(self.setup_payload))
        if self.setup_payload is None and (not self.setup_digest or self.board_path is None):
            raise InvalidInput("election source: give the setup payload, or its digest and path")

    @property
    def digest(self) -> bytes:
        return self.setup_digest

    def payload(self) -> bytes:
        """The setup payload: inline, or line 1 of ``board_path`` with its digest checked."""
        if self.setup_payload is not None:
            return self.setup_payload
        path = Path(str(self.board_path))
        where = f"{path.name}: line 1"
        stream, _ = open_regular(path, path.name)
        with stream:
            raw = stream.readline(MAX_LINE_BYTES + 2)
        payload = parse_line(raw, 1, "", index=False).payload
        if not hmac.compare_digest(setup_digest(payload), self.setup_digest):
            raise InvalidRecord(f"{where}: the setup entry changed while the record was verified")
        return payload


def setup_digest(payload: bytes) -> bytes:
    """The key of an election in the worker caches: SHA-256 of its setup payload."""
    return hashlib.sha256(payload).digest()


@dataclass(frozen=True, slots=True)
class ChunkEntry:
    """One ballot entry sent to a worker: its position, spoiled or cast, its payload."""

    position: int
    spoiled: bool
    payload: bytes


@dataclass(frozen=True, slots=True)
class BallotFacts:
    """What the main process keeps of one checked ballot entry.

    ``credential``, ``ballot_hash``, ``marks`` and ``weight`` are ``None`` when the payload
    could not be decoded (or, for ``weight``, when the credential is not on the list);
    ``error`` is ``ErrorClass: message`` of the first check that failed, else ``None``.
    """

    position: int
    spoiled: bool
    credential: bytes | None
    ballot_hash: bytes | None
    #: One mark per ciphertext (evote.ballots.encrypted.ciphertext_marks), in ballot order.
    marks: tuple[bytes, ...] | None
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
    audits: tuple[AuditReport, ...] = ()


def election_for(source: ElectionSource) -> Election:
    """The election of ``source``, decoded at most once per process."""
    key = source.digest
    election = _ELECTIONS.get(key)
    if election is None:
        election = decode_setup(source.payload(), "board entry 1 (setup)").election
        remember_election(key, election)
    else:
        _ELECTIONS.move_to_end(key)
    return election


def remember_election(key: bytes, election: Election) -> None:
    """Put ``election`` (decoded from the setup payload of digest ``key``) in this process's cache.

    Called by the main process before it submits a task, so that forked workers inherit it.
    """
    _ELECTIONS[key] = election
    _ELECTIONS.move_to_end(key)
    while len(_ELECTIONS) > _CACHE_SIZE:
        _ELECTIONS.popitem(last=False)


def spoiled_ballot_bytes(payload: bytes, where: str) -> bytes:
    """The ballot inside a spoiled entry's payload ``{"audit": ..., "ballot": base64}``."""
    return spoiled_parts(payload, where, InvalidRecord)[0]


def judge_audit(
    election: Election,
    position: int,
    payload: bytes,
    decode: Callable[[Election, bytes], EncryptedBallot] = decode_ballot,
) -> AuditReport:
    """Whether the audit of the spoiled entry at ``position`` holds (docs/spec.md step 11.7.1).

    The payload's reveal is decoded strictly and :func:`~evote.ballots.audit.check_audit`
    judges it against the ballot that ``decode`` makes of the ballot's bytes. The verdict
    names the first fault; its tracking code is ``None`` when the payload does not decode.
    The pages judge each spoiled entry with it too, so they show the verifier's own verdict.
    """
    where = f"board entry {position} (spoiled ballot)"
    try:
        data, audit = spoiled_parts(payload, where, InvalidRecord)
    except Exception as error:
        return AuditReport(position, None, _describe(error))
    code = tracking_code(digest32(Purpose.BALLOT, data))
    try:
        ballot = decode(election, data)
        check_audit(election, ballot, audited_ballot_from_json_obj(audit, f"{where}.audit"))
    except Exception as error:
        return AuditReport(position, code, _describe(error))
    return AuditReport(position, code, None)


def _decoded(ballot: EncryptedBallot | None) -> Callable[[Election, bytes], EncryptedBallot]:
    """The ballot a worker has decoded already, for :func:`judge_audit` (its own decoding
    failure is reported with the entry's facts)."""

    def decode(_election: Election, _data: bytes) -> EncryptedBallot:
        if ballot is None:
            raise InvalidBallot("the spoiled ballot does not decode")
        return ballot

    return decode


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
        marks=ciphertext_marks(ballot),
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
    audits: list[AuditReport] = []
    for entry in chunk:
        fact, ballot = _check_entry(election, entry)
        facts.append(fact)
        if entry.spoiled:
            audits.append(judge_audit(election, entry.position, entry.payload, _decoded(ballot)))
            continue
        if ballot is None or fact.weight is None:
            unaggregated.append(entry.position)
        else:
            counted.append((ballot, fact.weight))
    return ChunkResult(
        tuple(facts), aggregate(election, counted), tuple(unaggregated), tuple(audits)
    )
