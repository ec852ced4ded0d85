"""The verifier's report: one line per numbered step of docs/spec.md section 11.

A step either passes, fails (a check raised, or anything unexpected happened inside it), is
*blocked* (it needs what an earlier failed step should have produced, so it was not run), or is
*skipped* (the record holds nothing for it yet: no tally before the tally is published). Only
passed and skipped steps are ``ok``; a report is ``ok`` when every step is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from evote.board.checkpoint import Checkpoint
from evote.board.receipt import Receipt


class StepStatus(StrEnum):
    PASSED = "pass"
    FAILED = "FAIL"
    BLOCKED = "blocked"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class StepReport:
    """What one step checked: how many items, its verdict, its time, and the first fault.

    ``error`` is ``None`` when the step passed; otherwise ``ErrorClass: message`` of the first
    check that failed (or the reason the step was blocked or skipped). ``error_type`` is the
    error's class name (``InvalidRecord`` means the record could not be read).
    """

    number: str
    name: str
    items: int
    ok: bool
    seconds: float
    error: str | None
    status: StepStatus = StepStatus.PASSED
    error_type: str | None = None

    def to_json_obj(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "name": self.name,
            "items": self.items,
            "ok": self.ok,
            "status": self.status.value,
            "seconds": round(self.seconds, 6),
            "error": self.error,
            "error_type": self.error_type,
        }


def iso_utc(timestamp: int) -> str:
    """Unix seconds as ISO 8601 UTC, e.g. ``2027-03-08T20:00:05Z``."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def checkpoint_summary(checkpoint: Checkpoint) -> dict[str, Any]:
    """A checkpoint's position, chain hash (hex) and time (ISO 8601 UTC and Unix seconds)."""
    return {
        "position": checkpoint.position,
        "chain_hash": checkpoint.chain_hash.hex(),
        "time": iso_utc(checkpoint.timestamp),
        "timestamp": checkpoint.timestamp,
    }


@dataclass(frozen=True, slots=True)
class Anchors:
    """What an auditor compares with what the officers announced (docs/spec.md section 11.0).

    The record's election fingerprint and board key, and its last checkpoint (``None`` when
    it has none); ``expected_fingerprint`` and ``held`` (names of the held checkpoints) are
    what the auditor pinned the verification to, if anything.
    """

    fingerprint: bytes
    board_key: bytes
    last_checkpoint: Checkpoint | None
    expected_fingerprint: bytes | None = None
    held: tuple[str, ...] = ()

    def to_json_obj(self) -> dict[str, Any]:
        """Top-level fields of the JSON report; bytes in lowercase hex."""
        last = self.last_checkpoint
        return {
            "fingerprint": self.fingerprint.hex(),
            "board_key": self.board_key.hex(),
            "last_checkpoint": None if last is None else checkpoint_summary(last),
            "expected_fingerprint": (
                None if self.expected_fingerprint is None else self.expected_fingerprint.hex()
            ),
            "held_checkpoints": list(self.held),
        }


@dataclass(frozen=True, slots=True)
class AuditReport:
    """One spoiled ballot's Benaloh audit (docs/spec.md step 11.7.1) and its verdict.

    ``tracking_code`` is ``None`` when the spoiled entry could not be decoded; ``error`` is
    ``None`` when the audit holds, else why it failed: a failed audit is evidence that the
    voting device that made the ballot cheated.
    """

    position: int
    tracking_code: str | None
    error: str | None

    @property
    def holds(self) -> bool:
        return self.error is None

    @property
    def verdict(self) -> str:
        return "audit holds" if self.error is None else f"audit FAILED: {self.error}"

    def to_json_obj(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "tracking_code": self.tracking_code,
            "holds": self.holds,
            "verdict": self.verdict,
        }


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """Every step's report, in step order; every audited (spoiled) ballot, in board order; the
    record's anchors (None when the record could not be read that far)."""

    election_id: str
    steps: tuple[StepReport, ...]
    audits: tuple[AuditReport, ...] = ()
    anchors: Anchors | None = None

    @property
    def ok(self) -> bool:
        """True only when every step passed or had nothing to check yet."""
        return bool(self.steps) and all(step.ok for step in self.steps)

    @property
    def complete(self) -> bool:
        """True when no step was skipped: the record runs all the way to the result."""
        return not any(step.status is StepStatus.SKIPPED for step in self.steps)

    @property
    def readable(self) -> bool:
        """False when some step could not read the record at all (an UnreadableRecord: a file
        that vanished or became unreadable while it was verified): nothing says it is wrong."""
        return not any(step.error_type == "UnreadableRecord" for step in self.steps)

    def failed(self) -> tuple[StepReport, ...]:
        """The steps whose own check failed (not those blocked by them)."""
        return tuple(step for step in self.steps if step.status is StepStatus.FAILED)

    def step(self, number: str) -> StepReport:
        for step in self.steps:
            if step.number == number:
                return step
        raise KeyError(number)

    def to_json_obj(self) -> dict[str, Any]:
        anchors = {} if self.anchors is None else self.anchors.to_json_obj()
        return {
            "election_id": self.election_id,
            **anchors,
            "ok": self.ok,
            "complete": self.complete,
            "steps": [step.to_json_obj() for step in self.steps],
            "audits": [audit.to_json_obj() for audit in self.audits],
        }


class BallotState(StrEnum):
    COUNTED = "counted"
    SUPERSEDED = "superseded"
    SPOILED = "spoiled"
    ABSENT = "absent"


@dataclass(frozen=True, slots=True)
class BallotStatus:
    """Where a voter's ballot stands on the record.

    ``position`` is the ballot's board position (``None`` when absent); for a superseded
    ballot, ``superseded_by`` is the position of the same credential's last ballot, the one
    counted instead; ``tracking_code`` is the code asked about, as the board writes it.
    ``receipt`` is the voter's receipt, when one was given, its signature verified: an absent
    ballot with a receipt is evidence that the board dropped a ballot it accepted.
    """

    tracking_code: str
    state: BallotState
    position: int | None = None
    superseded_by: int | None = None
    counted_tracking_code: str | None = None
    receipt: Receipt | None = None

    def to_json_obj(self) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "tracking_code": self.tracking_code,
            "state": self.state.value,
            "position": self.position,
            "superseded_by": self.superseded_by,
            "counted_tracking_code": self.counted_tracking_code,
        }
        if self.receipt is not None:
            # Checked against the election's board key: what the board signed it accepted.
            obj["receipt"] = {
                "position": self.receipt.position,
                "chain_hash": self.receipt.chain_hash.hex(),
                "signature_verified": True,
            }
        return obj
