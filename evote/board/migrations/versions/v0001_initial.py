"""Revision 0001: the board's schema as evote 0.1.0 made it, on SQLite and PostgreSQL.

Four tables keyed by election id (docs/spec.md section 10.1): the elections, the hash-chained
entries, the ciphertext marks (sections 6.7 and 10.1) and the signed checkpoints; triggers that
abort any UPDATE or DELETE of them (and TRUNCATE on PostgreSQL); on PostgreSQL, the cast in one
statement (``evote_board_cast``) and its helpers.

Every statement is frozen here, never imported from :mod:`evote.board.schema`: what this
revision creates must stay what it created when a later release changes the models. A board
made before evote versioned its schema is recognised as this revision when its tables are
these (:data:`TABLES` is what :func:`evote.board.migrations.upgrade` compares it with).
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from alembic import op

revision: Final = "0001"
down_revision: Final = None
branch_labels: Final = None
depends_on: Final = None

#: Table name: (column names in order, index names). What a board made before versioning
#: must have to be taken for this revision.
TABLES: Final = {
    "evote_board_elections": (("election_id", "fingerprint", "launch_code"), ()),
    "evote_board_entries": (
        ("election_id", "position", "kind", "payload", "payload_hash", "chain_hash",
         "credential", "tracking_code", "ballot_hash"),
        ("evote_board_entries_by_code_uq", "evote_board_entries_credential_ix"),
    ),
    "evote_board_marks": (("election_id", "mark", "position"), ()),
    "evote_board_checkpoints": (
        ("election_id", "serial", "position", "chain_hash", "timestamp", "board_key",
         "signature"),
        (),
    ),
}  # fmt: skip

#: The PostgreSQL functions of this revision, as ``regprocedure`` names them: a board made
#: before versioning with any other ``evote_board_*`` function (a former cast) is not this one.
POSTGRES_FUNCTIONS: Final = frozenset({
    "evote_board_cast(text,text,bytea,bytea,bytea,text,bytea,text,boolean,bytea,bytea,bytea,bytea)",
    "evote_board_int_item(bigint)",
    "evote_board_refuse_change()",
})  # fmt: skip

_APPEND_ONLY = "evote board tables are append-only"

_POSTGRES_REFUSE_CHANGE = """
CREATE OR REPLACE FUNCTION evote_board_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE =
        'evote board tables are append-only: ' || TG_OP || ' on ' || TG_TABLE_NAME || ' refused';
END;
$$ LANGUAGE plpgsql
"""

_POSTGRES_INT_ITEM = """
CREATE OR REPLACE FUNCTION evote_board_int_item(value bigint) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    magnitude bytea := int8send(value);
BEGIN
    IF value < 1 THEN
        RAISE EXCEPTION USING MESSAGE =
            'evote_board_int_item: ' || value || ' is not a board position';
    END IF;
    WHILE get_byte(magnitude, 0) = 0 LOOP
        magnitude := substring(magnitude FROM 2);
    END LOOP;
    RETURN '\\x0300'::bytea || int4send(length(magnitude)) || magnitude;
END
$$
"""

_POSTGRES_CAST = """
CREATE OR REPLACE FUNCTION evote_board_cast(
    p_election text, p_kind text, p_payload bytea, p_payload_hash bytea, p_credential bytea,
    p_tracking_code text, p_ballot_hash bytea, p_allowed_heads text,
    p_one_per_credential boolean, p_link_before bytea, p_link_between bytea, p_link_after bytea,
    p_marks bytea
) RETURNS TABLE (
    o_inserted boolean, o_position bigint, o_chain_hash bytea, o_kind text,
    o_same bigint, o_clash bigint, o_last bigint, o_previous_hash bytea
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
    SELECT head.position, head.chain_hash, head.kind,
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
      INTO o_position, o_previous_hash, o_kind, o_same, o_clash, o_last
      FROM evote_board_entries AS head
     WHERE head.election_id = p_election
     ORDER BY head.position DESC LIMIT 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    o_chain_hash := o_previous_hash;
    o_inserted := false;
    IF o_same IS NOT NULL OR o_clash IS NOT NULL
       OR NOT (o_kind = ANY (string_to_array(p_allowed_heads, ' ')))
       OR (p_one_per_credential AND p_kind = 'ballot' AND o_last IS NOT NULL) THEN
        RETURN NEXT;
        RETURN;
    END IF;
    o_position := o_position + 1;
    o_chain_hash := substring(sha512(p_link_before || evote_board_int_item(o_position)
                                     || p_link_between || o_previous_hash || p_link_after)
                              FROM 1 FOR 32);
    o_kind := p_kind;
    INSERT INTO evote_board_entries (election_id, position, kind, payload, payload_hash,
                                     chain_hash, credential, tracking_code, ballot_hash)
    VALUES (p_election, o_position, p_kind, p_payload, p_payload_hash, o_chain_hash,
            p_credential, p_tracking_code, p_ballot_hash);
    INSERT INTO evote_board_marks (election_id, mark, position)
    SELECT p_election, substring(p_marks FROM 32 * slot + 1 FOR 32), o_position
      FROM generate_series(0, length(p_marks) / 32 - 1) AS slot;
    o_inserted := true;
    RETURN NEXT;
END
$$
"""


def _create_tables() -> None:
    op.create_table(
        "evote_board_elections",
        sa.Column("election_id", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.LargeBinary(32), nullable=False),
        sa.Column("launch_code", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("election_id"),
    )
    op.create_table(
        "evote_board_entries",
        sa.Column("election_id", sa.String(200), nullable=False),
        sa.Column("position", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("payload_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("chain_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("credential", sa.LargeBinary(600), nullable=True),
        sa.Column("tracking_code", sa.String(100), nullable=True),
        sa.Column("ballot_hash", sa.LargeBinary(32), nullable=True),
        sa.CheckConstraint("position >= 1", name="evote_board_entries_position_ck"),
        sa.ForeignKeyConstraint(["election_id"], ["evote_board_elections.election_id"]),
        sa.PrimaryKeyConstraint("election_id", "position", name="evote_board_entries_pk"),
    )
    op.create_index(
        "evote_board_entries_by_code_uq",
        "evote_board_entries",
        ["tracking_code", "election_id"],
        unique=True,
    )
    op.create_index(
        "evote_board_entries_credential_ix",
        "evote_board_entries",
        ["election_id", "credential", "position"],
    )
    op.create_table(
        "evote_board_marks",
        sa.Column("election_id", sa.String(200), nullable=False),
        sa.Column("mark", sa.LargeBinary(32), nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.ForeignKeyConstraint(["election_id"], ["evote_board_elections.election_id"]),
        sa.PrimaryKeyConstraint("election_id", "mark", name="evote_board_marks_pk"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "evote_board_checkpoints",
        sa.Column("election_id", sa.String(200), nullable=False),
        sa.Column("serial", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("chain_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("board_key", sa.LargeBinary(32), nullable=False),
        sa.Column("signature", sa.LargeBinary(64), nullable=False),
        sa.ForeignKeyConstraint(["election_id"], ["evote_board_elections.election_id"]),
        sa.PrimaryKeyConstraint("election_id", "serial", name="evote_board_checkpoints_pk"),
    )


def create_guards() -> None:
    """The append-only triggers and, on PostgreSQL, the functions (all CREATE OR REPLACE or
    IF NOT EXISTS: also run when a board made before versioning is taken for this revision)."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for function in (_POSTGRES_REFUSE_CHANGE, _POSTGRES_INT_ITEM, _POSTGRES_CAST):
            op.execute(function)
        for table in TABLES:
            op.execute(
                f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON"
                f" {table} FOR EACH ROW EXECUTE FUNCTION evote_board_refuse_change()"
            )
            op.execute(
                f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
                " FOR EACH STATEMENT EXECUTE FUNCTION evote_board_refuse_change()"
            )
    elif dialect == "sqlite":
        refuse = f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END"
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} {refuse}"
            )
            op.execute(
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} {refuse}"
            )


def upgrade() -> None:
    _create_tables()
    create_guards()


def downgrade() -> None:
    """There is no way down: it would drop board entries, which nothing may ever do."""
    raise NotImplementedError("evote board migrations are never reversed")
