"""Revision 0002: on PostgreSQL the board's one judge decides a cast, the server only looks up.

Revision 0001's ``evote_board_cast`` decided and inserted a cast on the server, a second copy
of the cast rules (docs/spec.md section 10.5). Those rules now live once, in
:func:`evote.board.rules.judge_cast`, which the board on both databases and the verifier's step
11.8 apply. On PostgreSQL the server still takes the election's row lock and runs the lookups in
one round trip: ``evote_board_cast_facts`` returns the facts the judge needs and decides
nothing; the client judges, then inserts in the same transaction.

The function that decided (and its helper ``evote_board_int_item``, which only it used) is
dropped, so that no copy of the rules is left on the server. No table, column or row changes;
SQLite has no functions and nothing to do. The DDL is frozen here, as in every revision.
"""

from __future__ import annotations

from typing import Final

from alembic import op

revision: Final = "0002"
down_revision: Final = "0001"
branch_labels: Final = None
depends_on: Final = None

#: The PostgreSQL functions of this revision, as ``regprocedure`` names them.
POSTGRES_FUNCTIONS: Final = frozenset({
    "evote_board_cast_facts(text,bytea,text,bytea,bytea)",
    "evote_board_refuse_change()",
})  # fmt: skip

_DROP_DECIDING_CAST = (
    "DROP FUNCTION IF EXISTS evote_board_cast(text, text, bytea, bytea, bytea, text, bytea, text,"
    " boolean, bytea, bytea, bytea, bytea)"
)
_DROP_INT_ITEM = "DROP FUNCTION IF EXISTS evote_board_int_item(bigint)"

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
    PERFORM 1 FROM evote_board_elections AS e WHERE e.election_id = p_election FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
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


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_DROP_DECIDING_CAST)
        op.execute(_DROP_INT_ITEM)
        op.execute(_POSTGRES_CAST_FACTS)


def downgrade() -> None:
    """There is no way down: migrations are never reversed."""
    raise NotImplementedError("evote board migrations are never reversed")
