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
from evote.ballots.manifest import Manifest
from evote.board.chain import EntryKind
from evote.board.checkpoint import Checkpoint
from evote.errors import InvalidInput
from evote.record.model import ElectionRecord
from evote.tally.result import ElectionResult
from evote.verify.report import AuditReport
from evote.verify.work import judge_audit

#: The election's states, as the service's API names them (``GET /api/v1/elections``).
STATES: Final = ("setup", "open", "closed", "tallied")


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
    audits: tuple[AuditReport, ...] = ()

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


def view_from_record(record: ElectionRecord) -> ElectionView:
    """The view of a loaded record: one pass over its board, every spoiled ballot's audit judged.

    The record is read, not verified (``evote verify`` does that); an audit that fails is shown
    as failed, which is what a citizen should see.
    """
    ballots = 0
    audits: list[AuditReport] = []
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
