"""The board's tables (SQLAlchemy 2 declarative models) and their append-only guards.

Four tables, every row keyed by its election id so that one database holds many elections:

* ``evote_board_elections``: one row per election, inserted at setup and never changed. Casting
  locks it (``SELECT ... FOR UPDATE`` on PostgreSQL) to serialise the head of that election's
  chain; the head itself is read from the entries, so the row never needs an update.
* ``evote_board_entries``: the hash-chained entries (docs/spec.md section 10.1).
* ``evote_board_marks``: the mark of every ciphertext of every ballot and spoiled ballot
  (docs/spec.md sections 6.7 and 10.1), keyed (election_id, mark): no alpha, hence no nonce,
  is ever on an election's board twice.
* ``evote_board_checkpoints``: the signed checkpoints the board published.

Nothing is ever updated or deleted. Two guards back that up besides the code itself: database
triggers, created with the schema on SQLite and PostgreSQL, that abort any UPDATE or DELETE
(and TRUNCATE on PostgreSQL) of the four tables; and an engine event listener
(:func:`install_statement_guard`) that refuses such statements before they reach the database.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.schema import CreateIndex

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
        # Code first: lookups name the code alone (evote.board.store explains why). A board
        # made before these indexes had (election_id, ...) ones; create_schema adds these.
        # The tracking code is the ballot hash's first 104 bits, so this index also finds a
        # ballot by its hash, and its uniqueness implies the hash's: boards made before kept
        # a (ballot_hash, election_id) index too, one more b-tree written at every cast.
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

_POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION evote_board_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE =
        '{APPEND_ONLY_MESSAGE}: ' || TG_OP || ' on ' || TG_TABLE_NAME || ' refused';
END;
$$ LANGUAGE plpgsql
"""


# The lock and the lookups of a cast in one statement, hence one round trip, inside the cast's
# transaction (evote.board.store explains the lookups, which are its check query's; the board's
# judge, evote.board.rules, decides on the row returned, then the client inserts in the same
# transaction). Statements of a VOLATILE function at READ COMMITTED each take a new snapshot:
# the head is read after the election's row lock is held. It changes nothing; the lock lasts
# until the transaction ends. No row: no such election.
_POSTGRES_CAST_FACTS = """
CREATE OR REPLACE FUNCTION evote_board_cast_facts(
    p_election text, p_credential bytea, p_tracking_code text, p_ballot_hash bytea,
    p_marks bytea
) RETURNS TABLE (
    o_position bigint, o_chain_hash bytea, o_kind text, o_same bigint, o_clash bigint,
    o_last bigint
)
LANGUAGE plpgsql VOLATILE
-- Its lookups are by index whatever the values, so one generic plan serves every cast (the
-- custom plans PL/pgSQL tries first cost a planning of four queries per cast).
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    PERFORM 1 FROM evote_board_elections AS e WHERE e.election_id = p_election FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT head.position, head.chain_hash, CAST(head.kind AS text),
        (SELECT max(CASE WHEN same.election_id = p_election
                          AND same.ballot_hash = p_ballot_hash THEN same.position END)
           FROM evote_board_entries AS same WHERE same.tracking_code = p_tracking_code),
        -- p_marks: the ballot's 32-byte ciphertext marks, concatenated (one bytea, not an
        -- array: no array adaptation per cast); one primary-key lookup per mark, correlated,
        -- so that no plan can join by walking the election's marks.
        (SELECT min((SELECT clash.position FROM evote_board_marks AS clash
                      WHERE clash.election_id = p_election
                        AND clash.mark = substring(p_marks FROM 32 * slot + 1 FOR 32)))
           FROM generate_series(0, length(p_marks) / 32 - 1) AS slot),
        (SELECT max(mine.position) FROM evote_board_entries AS mine
           WHERE mine.election_id = p_election AND mine.credential = p_credential
             AND mine.kind = 'ballot')
      FROM evote_board_entries AS head
     WHERE head.election_id = p_election
     ORDER BY head.position DESC LIMIT 1;
END
$$
"""
# Former cast functions, which decided on the server what evote.board.rules now decides: its
# allowed heads as a text[], then one whole-ballot marker instead of the ciphertext marks, then
# the function that inserted when its own copy of the rules allowed (with its helper for the
# link hash's integer item). Stale, dropped.
_POSTGRES_FORMER_CASTS = (
    """
DROP FUNCTION IF EXISTS evote_board_cast(text, text, bytea, bytea, bytea, text, bytea, bytea,
                                         text[], boolean, bytea, bytea, bytea)
""",
    """
DROP FUNCTION IF EXISTS evote_board_cast(text, text, bytea, bytea, bytea, text, bytea, bytea,
                                         text, boolean, bytea, bytea, bytea)
""",
    """
DROP FUNCTION IF EXISTS evote_board_cast(text, text, bytea, bytea, bytea, text, bytea, text,
                                         boolean, bytea, bytea, bytea, bytea)
""",
    "DROP FUNCTION IF EXISTS evote_board_int_item(bigint)",
)
POSTGRES_FUNCTIONS = (_POSTGRES_FUNCTION, *_POSTGRES_FORMER_CASTS, _POSTGRES_CAST_FACTS)


def _postgres_triggers(table: str) -> list[str]:
    return [
        f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION evote_board_refuse_change()",
        f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION evote_board_refuse_change()",
    ]


def _sqlite_triggers(table: str) -> list[str]:
    refuse = f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} {refuse}",
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} {refuse}",
    ]


def create_schema(engine: sa.Engine) -> None:
    """Create the board's tables, indexes and append-only triggers if missing (idempotent).

    Indexes are also created on tables that already exist, so that a board made by an earlier
    version gets the indexes its queries now rely on (on a large board the first opening then
    builds them, and PostgreSQL holds off writes meanwhile).
    """
    with engine.begin() as connection:
        Base.metadata.create_all(connection)
        if connection.dialect.name == "postgresql":
            # Two processes creating the schema at once would race on CREATE OR REPLACE.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(2025051701)")
            for function in POSTGRES_FUNCTIONS:
                connection.exec_driver_sql(function)
            for table in BOARD_TABLE_NAMES:
                for statement in _postgres_triggers(table):
                    connection.exec_driver_sql(statement)
        elif connection.dialect.name == "sqlite":
            for table in BOARD_TABLE_NAMES:
                for statement in _sqlite_triggers(table):
                    connection.exec_driver_sql(statement)
        for index in sorted(entries_table.indexes, key=lambda index: str(index.name)):
            connection.execute(CreateIndex(index, if_not_exists=True))


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
