"""What the public pages and the open data show: a small frozen view of one election.

:class:`ElectionView` holds only public facts: the manifest's texts, the state, the anchors an
auditor pins a record to (fingerprint, board key, last signed checkpoint, docs/spec.md sections
6.3 and 10.4), aggregate counts (ballots cast, spoiled), the result once tallied, and every
Benaloh audit's verdict (docs/spec.md step 11.7.1). Nothing in it names or identifies a voter:
no credential, no ballot, no registrar data.

:func:`view_from_record` builds it from a loaded record; the service builds the same view from
its live board. :func:`checkpoint_file_bytes` gives the file an auditor passes to
``evote verify --checkpoint`` (the bytes ``evote verify --save-checkpoint`` writes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from evote import jsonstrict
from evote.ballots.audit import audited_ballot_from_json_obj, check_audit
from evote.ballots.encrypted import decode_ballot, tracking_code
from evote.ballots.manifest import Manifest
from evote.board.chain import EntryKind
from evote.board.checkpoint import Checkpoint
from evote.board.payloads import spoiled_parts
from evote.crypto.hashing import Purpose, digest32
from evote.election import Election
from evote.errors import InvalidInput, InvalidRecord
from evote.record.model import ElectionRecord
from evote.tally.result import ElectionResult

#: The election's states, as the service's API names them (``GET /api/v1/elections``).
STATES: Final = ("setup", "open", "closed", "tallied")


@dataclass(frozen=True, slots=True)
class AuditLine:
    """One spoiled (Benaloh-audited) ballot and its verdict (docs/spec.md step 11.7.1).

    ``tracking_code`` is ``None`` when the spoiled entry does not decode; ``error`` is ``None``
    when the audit holds, else the first fault (``ErrorClass: message``).
    """

    position: int
    tracking_code: str | None
    error: str | None

    @property
    def holds(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class ElectionView:
    """One election's public facts, as the status and results pages and the open data show them.

    ``ballots`` counts the ballot entries cast so far (revotes included: the board's count, not
    the turnout); ``result`` is ``None`` before the tally.
    """

    manifest: Manifest
    state: str
    fingerprint: bytes
    board_key: bytes
    ballots: int
    spoiled: int
    last_checkpoint: Checkpoint | None
    result: ElectionResult | None = None
    audits: tuple[AuditLine, ...] = ()

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise InvalidInput(
                f"election state {self.state!r}: expected one of {', '.join(STATES)}"
            )
        for name in ("ballots", "spoiled"):
            value = getattr(self, name)
            if type(value) is not int or value < 0:
                raise InvalidInput(f"{name} {value!r}: expected a count (an integer >= 0)")

    @property
    def election_id(self) -> str:
        return self.manifest.election_id

    @property
    def title(self) -> Mapping[str, str]:
        return self.manifest.title


def checkpoint_file_bytes(checkpoint: Checkpoint) -> bytes:
    """The checkpoint as the file ``evote verify --checkpoint FILE`` reads (docs/spec.md 10.4):
    its canonical JSON object and a newline, byte for byte what ``--save-checkpoint`` writes."""
    return jsonstrict.dumps(checkpoint.to_json_obj()) + b"\n"


def judge_audit(election: Election, position: int, payload: bytes) -> AuditLine:
    """Decode a spoiled entry's payload and check its Benaloh audit (docs/spec.md 11.7.1)."""
    where = f"board entry {position} (spoiled ballot)"
    try:
        data, audit = spoiled_parts(payload, where, InvalidRecord)
    except Exception as error:
        return AuditLine(position, None, f"{type(error).__name__}: {error}")
    code = tracking_code(digest32(Purpose.BALLOT, data))
    try:
        ballot = decode_ballot(election, data)
        check_audit(election, ballot, audited_ballot_from_json_obj(audit, f"{where}.audit"))
    except Exception as error:
        return AuditLine(position, code, f"{type(error).__name__}: {error}")
    return AuditLine(position, code, None)


def view_from_record(record: ElectionRecord) -> ElectionView:
    """The view of a loaded record: one pass over its board, every spoiled ballot's audit judged.

    The record is read, not verified (``evote verify`` does that); an audit that fails is shown
    as failed, which is what a citizen should see.
    """
    ballots = 0
    audits: list[AuditLine] = []
    kinds: set[EntryKind] = set()
    for entry in record.entries(index=False):
        kinds.add(entry.kind)
        if entry.kind is EntryKind.BALLOT:
            ballots += 1
        elif entry.kind is EntryKind.SPOILED:
            audits.append(judge_audit(record.election, entry.position, entry.payload))
    return ElectionView(
        manifest=record.election.manifest,
        state=_state(kinds, record.result is not None),
        fingerprint=record.election.fingerprint,
        board_key=record.board_key,
        ballots=ballots,
        spoiled=len(audits),
        last_checkpoint=record.checkpoints[-1] if record.checkpoints else None,
        result=record.result,
        audits=tuple(audits),
    )


def _state(kinds: set[EntryKind], tallied: bool) -> str:
    if tallied or EntryKind.RESULT in kinds:
        return "tallied"
    if EntryKind.CLOSE in kinds:
        return "closed"
    if EntryKind.OPEN in kinds:
        return "open"
    return "setup"
