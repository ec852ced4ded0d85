"""The bulletin board: append-only, hash-chained, one database for many elections.

See docs/spec.md section 10 and docs/architecture.md section 5. Two layers: the pure rules,
which need no database and serve the verifier too (the chain and checkpoint functions
:func:`verify_chain`, :func:`check_checkpoint`, :func:`check_extends`,
:func:`check_consistent`; the setup entry, :func:`decode_setup`; the cast rules' judge,
:func:`judge_cast` in :mod:`evote.board.rules`), and the storage that looks facts up and
writes (:class:`Board`, the entry point, on :class:`BoardStore`). The pure names are imported
with the package; :class:`Board`, :class:`BoardStore`, :class:`BallotColumns`, :class:`Head`
and :func:`check_receipt` on first use (PEP 562), so that importing the package, as the
verifier and the record reader do, loads no database code (SQLAlchemy).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
from evote.board.rules import CastFacts, Verdict, judge_cast
from evote.board.setup import SetupRecord, decode_setup
from evote.lazy import lazy_names

if TYPE_CHECKING:
    from evote.board.board import Board, check_receipt
    from evote.board.store import BallotColumns, BoardStore, Head

#: The names of the storage layer, imported on first use.
_STORAGE: dict[str, str] = {
    "Board": "evote.board.board",
    "check_receipt": "evote.board.board",
    "BallotColumns": "evote.board.store",
    "BoardStore": "evote.board.store",
    "Head": "evote.board.store",
}

__all__ = [
    "BallotColumns",
    "Board",
    "BoardEntry",
    "BoardStore",
    "CastFacts",
    "ChainHead",
    "Checkpoint",
    "EntryKind",
    "Head",
    "Receipt",
    "SetupRecord",
    "Verdict",
    "check_checkpoint",
    "check_consistent",
    "check_extends",
    "check_receipt",
    "check_receipt_signature",
    "decode_setup",
    "genesis_hash",
    "judge_cast",
    "link_hash",
    "payload_hash",
    "sign_checkpoint",
    "verify_chain",
]


__getattr__, __dir__ = lazy_names(__name__, _STORAGE, globals())
