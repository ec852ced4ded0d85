"""The auditor's verifier: every numbered step of docs/spec.md section 11 on a published record.

:func:`verify_record` re-runs every check from the record alone and returns a
:class:`VerificationReport` (a failed check is a failed step, never an exception);
:func:`verify_ballot_on_record` tells a voter whether their ballot is on the board and counted.
"""

from evote.ballots.encrypted import normalise_tracking_code
from evote.verify.report import (
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
