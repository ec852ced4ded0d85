"""Revision 0003: a PostgreSQL cast is two autocommitted calls, compare-and-append.

Revision 0002's cast ran in one transaction of four round trips (BEGIN; the facts, under the
election's row lock; the INSERT; COMMIT). From this revision a cast on PostgreSQL is two calls,
each its own transaction, and the judge (:func:`evote.board.rules.judge_cast`) still decides
alone, in the client, between them:

1. ``evote_board_cast_facts``, replaced here by a plain read: the same row as before (the head
   and the positions the judge's facts name), from one snapshot, without taking the lock;
2. ``evote_board_append_cast``, new: it takes the election's row lock, and appends the entry
   and its marks only if the head is still at the position the facts were read at; it returns
   one row: whether it appended and, when it did not, the facts as ``evote_board_cast_facts``
   returns them now (it calls that function), so that the client judges again without another
   round trip. It checks nothing else and decides nothing: the board is append-only, so an
   unchanged head means the facts are unchanged (docs/architecture.md, "The cast path").

No table, column or row changes; SQLite has no functions and nothing to do. The DDL is frozen
here, as in every revision.
"""

from __future__ import annotations

from typing import Final

from alembic import op

revision: Final = "0003"
down_revision: Final = "0002"
branch_labels: Final = None
depends_on: Final = None

#: The PostgreSQL functions of this revision, as ``regprocedure`` names them.
POSTGRES_FUNCTIONS: Final = frozenset({
    "evote_board_append_cast(text,bigint,text,bytea,bytea,bytea,bytea,text,bytea,bytea)",
    "evote_board_cast_facts(text,bytea,text,bytea,bytea)",
    "evote_board_refuse_change()",
})  # fmt: skip

# One statement, hence one snapshot: the head and the lookups are of one state of the board.
_POSTGRES_CAST_FACTS = """
CREATE OR REPLACE FUNCTION evote_board_cast_facts(
    p_election text, p_credential bytea, p_tracking_code text, p_ballot_hash bytea,
    p_marks bytea
) RETURNS TABLE (
    o_position bigint, o_chain_hash bytea, o_kind text, o_same bigint, o_clash bigint,
    o_last bigint
)
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    RETURN QUERY
    SELECT head.position, head.chain_hash, CAST(head.kind AS text),
        (SELECT max(CASE WHEN same.election_id = p_election
                          AND same.ballot_hash = p_ballot_hash THEN same.position END)
           FROM evote_board_entries AS same WHERE same.tracking_code = p_tracking_code),
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

_POSTGRES_APPEND_CAST = """
CREATE FUNCTION evote_board_append_cast(
    p_election text, p_expected_head_position bigint, p_kind text, p_payload bytea,
    p_payload_hash bytea, p_chain_hash bytea, p_credential bytea, p_tracking_code text,
    p_ballot_hash bytea, p_marks bytea
) RETURNS TABLE (
    o_appended boolean, o_position bigint, o_chain_hash bytea, o_kind text, o_same bigint,
    o_clash bigint, o_last bigint
)
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_head bigint;
BEGIN
    PERFORM 1 FROM evote_board_elections AS e WHERE e.election_id = p_election FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT head.position INTO v_head FROM evote_board_entries AS head
     WHERE head.election_id = p_election ORDER BY head.position DESC LIMIT 1;
    IF v_head IS DISTINCT FROM p_expected_head_position THEN
        RETURN QUERY SELECT false, facts.* FROM evote_board_cast_facts(
            p_election, p_credential, p_tracking_code, p_ballot_hash, p_marks) AS facts;
        RETURN;
    END IF;
    INSERT INTO evote_board_entries (election_id, position, kind, payload, payload_hash,
        chain_hash, credential, tracking_code, ballot_hash)
    VALUES (p_election, v_head + 1, p_kind, p_payload, p_payload_hash, p_chain_hash,
        p_credential, p_tracking_code, p_ballot_hash);
    INSERT INTO evote_board_marks (election_id, mark, position)
    SELECT p_election, substring(p_marks FROM 32 * slot + 1 FOR 32), v_head + 1
      FROM generate_series(0, length(p_marks) / 32 - 1) AS slot;
    RETURN QUERY SELECT true, NULL::bigint, NULL::bytea, NULL::text, NULL::bigint,
        NULL::bigint, NULL::bigint;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_POSTGRES_CAST_FACTS)
        op.execute(_POSTGRES_APPEND_CAST)


def downgrade() -> None:
    """There is no way down: migrations are never reversed."""
    raise NotImplementedError("evote board migrations are never reversed")
