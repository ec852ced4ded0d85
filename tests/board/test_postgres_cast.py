"""PostgreSQL's lock and lookups of a cast in one statement: its index use, its lock, its schema.

The board's behaviour (replays, retries, spoiled ballots, phases, concurrency) is tested on
both databases by the other board tests; these are what only the server-side function has.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from evote.board import Board, EntryKind
from evote.errors import ElectionNotOpen
from tests.board.helpers import BOARD_KEY, BoardElection, make_election
from tests.board.test_cast_path import _bulk_election

ELECTION = "board-test"
pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres_url(_postgres_database_url: str) -> str:
    """A fresh PostgreSQL database (the tests skip when EVOTE_TEST_POSTGRES_URL is unset)."""
    return _postgres_database_url


@pytest.fixture(scope="module")
def item() -> BoardElection:
    return make_election(voters=3)


@pytest.fixture
def board(postgres_url: str, item: BoardElection) -> Iterator[Board]:
    with Board(postgres_url, BOARD_KEY) as opened:
        opened.setup(item.election, item.ceremony)
        opened.open_election(ELECTION)
        yield opened


def test_facts_function_reads_by_index_for_a_new_election(postgres_url: str) -> None:
    """No lookup of the cast walks an election's entries, even one the statistics miss.

    The function's queries run inside PL/pgSQL, out of EXPLAIN's reach; the transaction's own
    counters show what they read: no sequential scan, and one row fetched by index per cast
    (the head) beside the lookups that find nothing.
    """
    with Board(postgres_url, BOARD_KEY) as board:
        with board.engine.begin() as connection:
            _bulk_election(connection, "known-a", 2000)
            _bulk_election(connection, "known-b", 2000)
        with board.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "ANALYZE evote_board_entries"
            )
        with board.engine.begin() as connection:
            _bulk_election(connection, "new", 2000)
        casts = 12  # past PL/pgSQL's five custom plans, onto its generic plan
        with board.engine.connect() as connection, connection.begin():
            counters = sa.text(
                "SELECT seq_scan, idx_tup_fetch FROM pg_stat_xact_user_tables"
                " WHERE relname = 'evote_board_entries'"
            )
            scans_before, fetched_before = connection.execute(counters).one()
            for _ in range(casts):
                found = connection.execute(
                    sa.text(
                        "SELECT o_position, o_same, o_clash, o_last FROM evote_board_cast_facts("
                        "'new', :credential, :code, :hash, :marks)"
                    ),
                    {"credential": secrets.token_bytes(32), "code": secrets.token_hex(8),
                     "hash": secrets.token_bytes(32), "marks": secrets.token_bytes(96)},
                ).one()  # fmt: skip
                assert found == (2000, None, None, None)
            scans_after, fetched_after = connection.execute(counters).one()
    fetched = (fetched_after or 0) - (fetched_before or 0)
    assert (scans_after or 0) - (scans_before or 0) == 0
    # The head of each cast is read by index (the counters do count), and nothing more is:
    # a walk of the election's 2000 entries would fetch them.
    assert casts <= fetched <= 2 * casts


def test_facts_function_returns_no_row_for_an_unknown_election(board: Board) -> None:
    with board.engine.connect() as connection:
        found = connection.execute(
            sa.text("SELECT * FROM evote_board_cast_facts('nobody', NULL, 'x', NULL, :marks)"),
            {"marks": bytes(32)},
        ).all()
    assert found == []


def test_facts_function_holds_the_election_lock_until_the_transaction_ends(
    board: Board,
) -> None:
    """A second caller waits for the first's transaction: the judge decides under the lock."""
    call = sa.text(
        "SELECT o_position FROM evote_board_cast_facts(:election, NULL, 'x', NULL, :marks)"
    )
    values = {"election": ELECTION, "marks": bytes(32)}
    waited = threading.Event()
    with board.engine.connect() as first, first.begin():
        first.execute(call, values).one()

        def second() -> None:
            with board.engine.connect() as other, other.begin():
                other.execute(call, values).one()
                waited.set()

        thread = threading.Thread(target=second)
        thread.start()
        # Still locked by the open transaction: the second call cannot have returned.
        assert not waited.wait(0.5)
    thread.join()
    assert waited.is_set()


def test_a_refused_cast_inserts_nothing(board: Board, item: BoardElection) -> None:
    """A refused cast (the election closed) leaves the head as it was."""
    board.close_election(ELECTION)
    head = board.head(ELECTION)
    with pytest.raises(ElectionNotOpen, match="closed"):
        board.cast(ELECTION, item.ballot(0))
    assert board.head(ELECTION) == head
    assert board.entry_at(ELECTION, head.position).kind is EntryKind.CLOSE
