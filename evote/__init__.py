"""evote: verifiable elections, referendums and participatory budgets.

The top level gathers the recipes a portal developer needs (docs/guide.md walks through them);
:mod:`evote.crypto` holds the sharp primitives, for people who know what they are doing.

* the election: :class:`Manifest` (and its questions), :func:`manifest_from_json`,
  :func:`group_by_name`, :func:`run_ceremony` (the key ceremony in one process, for tests and
  demos; trustees on their own machines use ``evote trustee``), :class:`Registrar`,
  :meth:`Election.create` (docs/spec.md sections 6.2, 6.3, 7, 8);
* the board: :class:`Board`, :class:`Receipt` and :func:`check_receipt_signature` (section
  10);
* the voter's device: :meth:`CredentialKey.derive`, :func:`parse_credential_code`,
  :meth:`PlaintextBallot.from_selection`, :func:`encrypt_ballot`, the Benaloh audit
  (:func:`encrypt_ballot_for_audit`, :func:`spoil_ballot`, :func:`check_audit`), tracking
  codes (:func:`parse_tracking_code`, :func:`normalise_tracking_code`) (sections 6, 7);
* the tally: :func:`run_tally`, or its parts :func:`encrypted_tally`,
  :func:`trustee_decryption_share`, :func:`combine_and_publish` (section 9);
* the record: :func:`export_record`, :func:`load_record`, :func:`verify_record` and its
  :class:`VerificationReport`, a voter's :func:`verify_ballot_on_record` (section 11);
* every error evote raises on purpose, from :mod:`evote.errors`.

The names are imported on first use, so that ``import evote`` stays light: the board and the
record load SQLAlchemy only when a program touches them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from evote.errors import (
    BallotNotFound,
    BoardIntegrityError,
    CeremonyError,
    ContextMismatch,
    DuplicateBallot,
    ElectionNotOpen,
    EvoteError,
    InsufficientShares,
    InvalidBallot,
    InvalidCredential,
    InvalidGroupElement,
    InvalidInput,
    InvalidKeyFile,
    InvalidManifest,
    InvalidProof,
    InvalidRecord,
    InvalidResult,
    InvalidScalar,
    InvalidShare,
    InvalidSignature,
    SchemaVersionMismatch,
    StorageUnavailable,
    TallyOutOfRange,
    UnknownCredential,
    UnknownElection,
    UnreadableRecord,
    UnsafeDependency,
)
from evote.lazy import lazy_names

if TYPE_CHECKING:
    from evote.ballots.audit import AuditedBallot, check_audit, spoil_ballot
    from evote.ballots.credentials import (
        CredentialKey,
        CredentialList,
        Registrar,
        RegistrationResult,
        parse_credential_code,
    )
    from evote.ballots.encrypted import (
        BallotSecrets,
        EncryptedBallot,
        encrypt_ballot,
        encrypt_ballot_for_audit,
        normalise_tracking_code,
        parse_tracking_code,
    )
    from evote.ballots.manifest import (
        ApprovalQuestion,
        BudgetQuestion,
        Grade,
        GradeRule,
        GradesQuestion,
        Manifest,
        Option,
        RankingQuestion,
        RankingRule,
        RevotePolicy,
        ScoreQuestion,
        SingleChoiceQuestion,
        WinnerRule,
        manifest_from_json,
    )
    from evote.ballots.plaintext import PlaintextBallot
    from evote.board.board import Board
    from evote.board.receipt import Receipt, check_receipt_signature
    from evote.ceremony.dkg import CeremonyResult, TrusteeShare, run_ceremony
    from evote.crypto.groups import Group, group_by_name
    from evote.election import Election
    from evote.record.export import export_record
    from evote.record.load import load_record
    from evote.record.model import ElectionRecord
    from evote.tally.aggregate import EncryptedTally
    from evote.tally.decryption import DecryptionShare
    from evote.tally.result import ElectionResult
    from evote.tallying import (
        combine_and_publish,
        encrypted_tally,
        run_tally,
        trustee_decryption_share,
    )
    from evote.verify.report import BallotStatus, VerificationReport
    from evote.verify.verifier import verify_record
    from evote.verify.voter import verify_ballot_on_record

__version__ = "0.1.0"

# Each name and the module it is imported from on first use.
_LAZY: dict[str, str] = {
    "AuditedBallot": "evote.ballots.audit",
    "check_audit": "evote.ballots.audit",
    "spoil_ballot": "evote.ballots.audit",
    "CredentialKey": "evote.ballots.credentials",
    "CredentialList": "evote.ballots.credentials",
    "Registrar": "evote.ballots.credentials",
    "RegistrationResult": "evote.ballots.credentials",
    "parse_credential_code": "evote.ballots.credentials",
    "BallotSecrets": "evote.ballots.encrypted",
    "EncryptedBallot": "evote.ballots.encrypted",
    "encrypt_ballot": "evote.ballots.encrypted",
    "encrypt_ballot_for_audit": "evote.ballots.encrypted",
    "normalise_tracking_code": "evote.ballots.encrypted",
    "parse_tracking_code": "evote.ballots.encrypted",
    "ApprovalQuestion": "evote.ballots.manifest",
    "BudgetQuestion": "evote.ballots.manifest",
    "Grade": "evote.ballots.manifest",
    "GradeRule": "evote.ballots.manifest",
    "GradesQuestion": "evote.ballots.manifest",
    "Manifest": "evote.ballots.manifest",
    "Option": "evote.ballots.manifest",
    "RankingQuestion": "evote.ballots.manifest",
    "RankingRule": "evote.ballots.manifest",
    "RevotePolicy": "evote.ballots.manifest",
    "ScoreQuestion": "evote.ballots.manifest",
    "SingleChoiceQuestion": "evote.ballots.manifest",
    "WinnerRule": "evote.ballots.manifest",
    "manifest_from_json": "evote.ballots.manifest",
    "PlaintextBallot": "evote.ballots.plaintext",
    "Board": "evote.board.board",
    "Receipt": "evote.board.receipt",
    "check_receipt_signature": "evote.board.receipt",
    "CeremonyResult": "evote.ceremony.dkg",
    "TrusteeShare": "evote.ceremony.dkg",
    "run_ceremony": "evote.ceremony.dkg",
    "Group": "evote.crypto.groups",
    "group_by_name": "evote.crypto.groups",
    "Election": "evote.election",
    "export_record": "evote.record.export",
    "ElectionRecord": "evote.record.model",
    "load_record": "evote.record.load",
    "EncryptedTally": "evote.tally.aggregate",
    "DecryptionShare": "evote.tally.decryption",
    "ElectionResult": "evote.tally.result",
    "combine_and_publish": "evote.tallying",
    "encrypted_tally": "evote.tallying",
    "run_tally": "evote.tallying",
    "trustee_decryption_share": "evote.tallying",
    "BallotStatus": "evote.verify.report",
    "VerificationReport": "evote.verify.report",
    "verify_record": "evote.verify.verifier",
    "verify_ballot_on_record": "evote.verify.voter",
}

__all__ = [
    "ApprovalQuestion",
    "AuditedBallot",
    "BallotNotFound",
    "BallotSecrets",
    "BallotStatus",
    "Board",
    "BoardIntegrityError",
    "BudgetQuestion",
    "CeremonyError",
    "CeremonyResult",
    "ContextMismatch",
    "CredentialKey",
    "CredentialList",
    "DecryptionShare",
    "DuplicateBallot",
    "Election",
    "ElectionNotOpen",
    "ElectionRecord",
    "ElectionResult",
    "EncryptedBallot",
    "EncryptedTally",
    "EvoteError",
    "Grade",
    "GradeRule",
    "GradesQuestion",
    "Group",
    "InsufficientShares",
    "InvalidBallot",
    "InvalidCredential",
    "InvalidGroupElement",
    "InvalidInput",
    "InvalidKeyFile",
    "InvalidManifest",
    "InvalidProof",
    "InvalidRecord",
    "InvalidResult",
    "InvalidScalar",
    "InvalidShare",
    "InvalidSignature",
    "Manifest",
    "Option",
    "PlaintextBallot",
    "RankingQuestion",
    "RankingRule",
    "Receipt",
    "Registrar",
    "RegistrationResult",
    "RevotePolicy",
    "SchemaVersionMismatch",
    "ScoreQuestion",
    "SingleChoiceQuestion",
    "StorageUnavailable",
    "TallyOutOfRange",
    "TrusteeShare",
    "UnknownCredential",
    "UnknownElection",
    "UnreadableRecord",
    "UnsafeDependency",
    "VerificationReport",
    "WinnerRule",
    "__version__",
    "check_audit",
    "check_receipt_signature",
    "combine_and_publish",
    "encrypt_ballot",
    "encrypt_ballot_for_audit",
    "encrypted_tally",
    "export_record",
    "group_by_name",
    "load_record",
    "manifest_from_json",
    "normalise_tracking_code",
    "parse_credential_code",
    "parse_tracking_code",
    "run_ceremony",
    "run_tally",
    "spoil_ballot",
    "trustee_decryption_share",
    "verify_ballot_on_record",
    "verify_record",
]


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())
