"""The bulletin board: append-only, hash-chained, one database for many elections.

See docs/spec.md section 10 and docs/architecture.md section 5. :class:`Board` is the entry
point; the chain and checkpoint functions (:func:`verify_chain`, :func:`check_checkpoint`,
:func:`check_extends`, :func:`check_consistent`) need no database and serve the verifier.
"""

from evote.board.board import Board, check_receipt
from evote.board.chain import (
    BoardEntry,
    ChainHead,
    EntryKind,
    genesis_hash,
    link_hash,
    payload_hash,
    verify_chain,
)
from evote.board.checkpoint import (
    Checkpoint,
    check_checkpoint,
    check_consistent,
    check_extends,
    sign_checkpoint,
)
from evote.board.receipt import Receipt, check_receipt_signature
from evote.board.setup import SetupRecord, decode_setup
from evote.board.store import BallotColumns, BoardStore, Head

__all__ = [
    "BallotColumns",
    "Board",
    "BoardEntry",
    "BoardStore",
    "ChainHead",
    "Checkpoint",
    "EntryKind",
    "Head",
    "Receipt",
    "SetupRecord",
    "check_checkpoint",
    "check_consistent",
    "check_extends",
    "check_receipt",
    "check_receipt_signature",
    "decode_setup",
    "genesis_hash",
    "link_hash",
    "payload_hash",
    "sign_checkpoint",
    "verify_chain",
]
