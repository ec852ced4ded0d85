"""The tally: aggregation, threshold decryption with proofs, bounded discrete logs, the result.

See docs/spec.md section 9.
"""

from evote.tally.aggregate import (
    CiphertextMatrix,
    EncryptedTally,
    aggregate,
    aggregate_ciphertexts,
)
from evote.tally.decryption import (
    CombinedTally,
    DecryptionShare,
    check_decryption_share,
    combine_shares,
    compute_decryption_share,
)
from evote.tally.result import (
    DecryptedCounts,
    ElectionResult,
    QuestionResult,
    Turnout,
    check_result,
    compute_result,
    decrypt_counts,
)

__all__ = [
    "CiphertextMatrix",
    "CombinedTally",
    "DecryptedCounts",
    "DecryptionShare",
    "ElectionResult",
    "EncryptedTally",
    "QuestionResult",
    "Turnout",
    "aggregate",
    "aggregate_ciphertexts",
    "check_decryption_share",
    "check_result",
    "combine_shares",
    "compute_decryption_share",
    "compute_result",
    "decrypt_counts",
]
