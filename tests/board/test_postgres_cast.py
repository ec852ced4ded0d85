"""PostgreSQL's cast in one statement: its link hash, its index use, its cross-check.

The board's behaviour (replays, retries, spoiled ballots, phases, concurrency) is tested on
both databases by the other board tests; these are what only the server-side cast has.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from evote.board import Board, EntryKind
from evote.board import store as store_module
from evote.board.chain import LinkInput, link_hash
from evote.crypto.encoding import encode_item
from evote.errors import BoardIntegrityError, ElectionNotOpen
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


POSITIONS = [1, 2, 127, 128, 255, 256, 65535, 65536, 2**24, 2**31 - 1, 2**32, 2**40 + 7, 2**63 - 1]


def test_int_item_in_sql_is_the_encoder_s(board: Board) -> None:
    with board.engine.connect() as connection:
        for position in POSITIONS:
            found = connection.execute(
                sa.text("SELECT evote_board_int_item(:p)"), {"p": position}
            ).scalar()
            assert bytes(found) == encode_item(position), position


def test_int_item_refuses_what_is_not_a_position(board: Board) -> None:
    with (
        board.engine.connect() as connection,
        pytest.raises(sa.exc.DBAPIError, match="is not a board position"),
    ):
        connection.execute(sa.text("SELECT evote_board_int_item(0)")).scalar()


def test_link_hash_in_sql_is_the_chain_s(board: Board) -> None:
    with board.engine.connect() as connection:
        for position in POSITIONS:
            previous, digest = secrets.token_bytes(32), secrets.token_bytes(32)
            link = LinkInput.of(digest)
            found = connection.execute(
                sa.text(
                    "SELECT substring(sha512(:before || evote_board_int_item(:p) || :between"
                    " || :previous || :after) FROM 1 FOR 32)"
                ),
                {"before": link.before, "p": position, "between": link.between,
                 "previous": previous, "after": link.after},
            ).scalar()  # fmt: skip
            assert bytes(found) == link_hash(position, previous, digest), position


def test_a_wrong_link_from_the_database_gives_no_receipt(
    board: Board, item: BoardElection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client recomputes the link the database made: a mismatch is an integrity error."""

    honest_of = LinkInput.of

    def skewed(digest: bytes) -> LinkInput:
        honest = honest_of(digest)
        return LinkInput(honest.before, honest.between, honest.after + b"!")

    monkeypatch.setattr(store_module.LinkInput, "of", skewed)
    with pytest.raises(BoardIntegrityError, match="chain hash"):
        board.cast(ELECTION, item.ballot(0))
    monkeypatch.undo()
    with pytest.raises(BoardIntegrityError, match="chain hash"):
        board.verify(ELECTION)


def test_cast_function_reads_by_index_for_a_new_election(postgres_url: str) -> None:
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
                digest = secrets.token_bytes(32)
                link = LinkInput.of(digest)
                inserted = connection.execute(
                    sa.text(
                        "SELECT o_inserted FROM evote_board_cast('new', 'ballot', '\\x7b7d',"
                        " :digest, :credential, :code, :hash,"
                        " 'ballot open spoiled', false, :before, :between,"
                        " :after, :marks)"
                    ),
                    {"digest": digest, "credential": secrets.token_bytes(32),
                     "code": secrets.token_hex(8), "hash": secrets.token_bytes(32),
                     "marks": secrets.token_bytes(96), "before": link.before,
                     "between": link.between, "after": link.after},
                ).scalar()  # fmt: skip
                assert inserted is True
            scans_after, fetched_after = connection.execute(counters).one()
    fetched = (fetched_after or 0) - (fetched_before or 0)
    assert (scans_after or 0) - (scans_before or 0) == 0
    # The head of each cast is read by index (the counters do count), and nothing more is:
    # a walk of the election's 2000 entries would fetch them.
    assert casts <= fetched <= 2 * casts


def test_function_refuses_without_inserting(board: Board, item: BoardElection) -> None:
    """A refused cast (the election closed) returns the head and inserts nothing."""
    board.close_election(ELECTION)
    head = board.head(ELECTION)
    with pytest.raises(ElectionNotOpen, match="closed"):
        board.cast(ELECTION, item.ballot(0))
    assert board.head(ELECTION) == head
    assert board.entry_at(ELECTION, head.position).kind is EntryKind.CLOSE
