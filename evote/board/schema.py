"""The board's tables (SQLAlchemy 2 declarative models) and their append-only guards.

Four tables, every row keyed by its election id so that one database holds many elections:

* ``evote_board_elections``: one row per election, inserted at setup and never changed. Casting
  locks it (``SELECT ... FOR UPDATE`` on PostgreSQL, in the cast's append call) to serialise
  the head of that election's chain; the head itself is read from the entries, so the row
  never needs an update.
* ``evote_board_entries``: the hash-chained entries (docs/spec.md section 10.1).
* ``evote_board_marks``: the mark of every ciphertext of every ballot and spoiled ballot
  (docs/spec.md sections 6.7 and 10.1), keyed (election_id, mark): no alpha, hence no nonce,
  is ever on an election's board twice.
* ``evote_board_checkpoints``: the signed checkpoints the board published.

Nothing is ever updated or deleted. Two guards back that up besides the code itself: database
triggers, created with the schema on SQLite and PostgreSQL, that abort any UPDATE or DELETE
(and TRUNCATE on PostgreSQL) of the four tables; and an engine event listener
(:func:`install_statement_guard`) that refuses such statements before they reach the database.

These models are what the code queries; the database itself is made and changed only by the
migrations of :mod:`evote.board.migrations` (which also hold the triggers and the PostgreSQL
functions). A test checks that the migrated schema and these models agree.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from evote.errors import BoardIntegrityError

ELECTION_ID_LENGTH = 200
KIND_LENGTH = 16
TRACKING_CODE_LENGTH = 100


class Base(DeclarativeBase):
    """Declarative base of the board's models (their own metadata, nothing else in it)."""


class ElectionRow(Base):
    """One election hosted by the board."""

    __tablename__ = "evote_board_elections"

    election_id: Mapped[str] = mapped_column(sa.String(ELECTION_ID_LENGTH), primary_key=True)
    fingerprint: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    launch_code: Mapped[str] = mapped_column(sa.String(200))


class EntryRow(Base):
    """One entry of an election's hash chain; the ballot columns are NULL for events."""

    __tablename__ = "evote_board_entries"
    __table_args__ = (
        sa.PrimaryKeyConstraint("election_id", "position", name="evote_board_entries_pk"),
        sa.Index("evote_board_entries_credential_ix", "election_id", "credential", "position"),
        # Code first: lookups name the code alone (evote.board.store explains why).
        # The tracking code is the ballot hash's first 104 bits, so this index also finds a
        # ballot by its hash, and its uniqueness implies the hash's: no hash index, which would
        # be one more b-tree written at every cast.
        sa.Index("evote_board_entries_by_code_uq", "tracking_code", "election_id", unique=True),
        sa.CheckConstraint("position >= 1", name="evote_board_entries_position_ck"),
    )

    election_id: Mapped[str] = mapped_column(
        sa.String(ELECTION_ID_LENGTH), sa.ForeignKey(ElectionRow.election_id)
    )
    position: Mapped[int] = mapped_column(sa.BigInteger, autoincrement=False)
    kind: Mapped[str] = mapped_column(sa.String(KIND_LENGTH))
    payload: Mapped[bytes] = mapped_column(sa.LargeBinary)
    payload_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    chain_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    credential: Mapped[bytes | None] = mapped_column(sa.LargeBinary(600))
    tracking_code: Mapped[str | None] = mapped_column(sa.String(TRACKING_CODE_LENGTH))
    ballot_hash: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32))


class MarkRow(Base):
    """The mark of one ciphertext (its alpha's hash) of the ballot entry at ``position``.

    The primary key makes a mark unique within an election: a cast looks its ballot's marks up
    by it, and a mark inserted twice (which the checks before the insert exclude) would fail.
    """

    __tablename__ = "evote_board_marks"
    __table_args__ = (
        sa.PrimaryKeyConstraint("election_id", "mark", name="evote_board_marks_pk"),
        # SQLite: the primary key is the table's only b-tree (no rowid table beside it).
        {"sqlite_with_rowid": False},
    )

    election_id: Mapped[str] = mapped_column(
        sa.String(ELECTION_ID_LENGTH), sa.ForeignKey(ElectionRow.election_id)
    )
    mark: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    position: Mapped[int] = mapped_column(sa.BigInteger)


class CheckpointRow(Base):
    """A checkpoint the board signed and published."""

    __tablename__ = "evote_board_checkpoints"
    __table_args__ = (
        sa.PrimaryKeyConstraint("election_id", "serial", name="evote_board_checkpoints_pk"),
    )

    election_id: Mapped[str] = mapped_column(
        sa.String(ELECTION_ID_LENGTH), sa.ForeignKey(ElectionRow.election_id)
    )
    serial: Mapped[int] = mapped_column(sa.BigInteger, autoincrement=False)
    position: Mapped[int] = mapped_column(sa.BigInteger)
    chain_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    timestamp: Mapped[int] = mapped_column(sa.BigInteger)
    board_key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    signature: Mapped[bytes] = mapped_column(sa.LargeBinary(64))


elections_table: sa.Table = ElectionRow.__table__  # type: ignore[assignment]
entries_table: sa.Table = EntryRow.__table__  # type: ignore[assignment]
marks_table: sa.Table = MarkRow.__table__  # type: ignore[assignment]
checkpoints_table: sa.Table = CheckpointRow.__table__  # type: ignore[assignment]
BOARD_TABLES = (elections_table, entries_table, marks_table, checkpoints_table)
BOARD_TABLE_NAMES = frozenset(table.name for table in BOARD_TABLES)

APPEND_ONLY_MESSAGE = "evote board tables are append-only"

_CHANGE_STATEMENT = re.compile(
    r"^\s*(UPDATE|DELETE|TRUNCATE|REPLACE|INSERT\s+OR\s+REPLACE)\b", re.I
)


def refuse_board_change(statement: str) -> None:
    """Raise :class:`BoardIntegrityError` if ``statement`` would change or drop board rows."""
    if _CHANGE_STATEMENT.match(statement) and any(name in statement for name in BOARD_TABLE_NAMES):
        raise BoardIntegrityError(
            f"{APPEND_ONLY_MESSAGE}: refused {statement.split(maxsplit=1)[0]}"
        )


def install_statement_guard(engine: sa.Engine) -> None:
    """Refuse, on ``engine``, any SQL statement that updates or deletes board rows."""

    def before_cursor_execute(
        connection: sa.Connection,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        refuse_board_change(statement)

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
