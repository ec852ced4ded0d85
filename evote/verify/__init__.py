"""The auditor's verifier: every numbered step of docs/spec.md section 11 on a published record.

:func:`verify_record` re-runs every check from the record alone, or pinned to an announced
fingerprint and to checkpoints an auditor holds, and returns a :class:`VerificationReport`
with the record's :class:`Anchors` (a failed check is a failed step, never an exception);
:func:`verify_ballot_on_record` tells a voter whether their ballot is on the board and counted.
"""

from evote.ballots.encrypted import normalise_tracking_code
from evote.verify.report import (
    Anchors,
    AuditReport,
    BallotState,
    BallotStatus,
    StepReport,
    StepStatus,
    VerificationReport,
)
from evote.verify.verifier import STEPS, verify_record
from evote.verify.voter import verify_ballot_on_record

__all__ = [
    "STEPS",
    "Anchors",
    "AuditReport",
    "BallotState",
    "BallotStatus",
    "StepReport",
    "StepStatus",
    "VerificationReport",
    "normalise_tracking_code",
    "verify_ballot_on_record",
    "verify_record",
]
