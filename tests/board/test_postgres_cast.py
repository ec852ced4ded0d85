"""PostgreSQL's cast in two calls: the facts read without a lock, then the compare-and-append.

The board's behaviour (replays, retries, spoiled ballots, phases, concurrency) is tested on
both databases by the other board tests; these are what only the server-side functions have,
and the casts whose head moves between the two calls.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from evote.board import Board, EntryKind, rules
from evote.board import store as store_module
from evote.errors import ElectionNotOpen, StorageUnavailable
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


_FACTS = sa.text(
    "SELECT o_position FROM evote_board_cast_facts(:election, NULL, 'x', NULL, :marks)"
)
_APPEND = sa.text(
    "SELECT o_appended, o_position FROM evote_board_append_cast(:election, :head, 'spoiled',"
    " :payload, :digest, :chain, NULL, :code, :hash, :marks)"
)
_LOCK = sa.text("SELECT 1 FROM evote_board_elections WHERE election_id = :election FOR UPDATE")


def _append_values(head: int) -> dict[str, object]:
    return {"election": ELECTION, "head": head, "payload": b"{}", "digest": bytes(32),
            "chain": bytes(32), "code": secrets.token_hex(13), "hash": secrets.token_bytes(32),
            "marks": secrets.token_bytes(64)}  # fmt: skip


def test_facts_function_reads_without_the_election_lock(board: Board) -> None:
    """While another transaction holds the election's lock, the facts are still read: the
    call takes no lock (a lock_timeout would refuse it at once if it waited for one)."""
    with board.engine.connect() as holder, holder.begin():
        holder.execute(_LOCK, {"election": ELECTION}).one()
        with board.engine.connect() as other, other.begin():
            other.exec_driver_sql("SET LOCAL lock_timeout = '20ms'")
            found = other.execute(_FACTS, {"election": ELECTION, "marks": bytes(32)}).one()
    assert found == (2,)


def test_append_function_waits_for_the_election_lock(board: Board) -> None:
    """The append takes the election's row lock: with another transaction holding it, the
    append waits (here its lock_timeout refuses it) and nothing is appended."""
    with board.engine.connect() as holder, holder.begin():
        holder.execute(_LOCK, {"election": ELECTION}).one()
        with board.engine.connect() as other, other.begin():
            other.exec_driver_sql("SET LOCAL lock_timeout = '20ms'")
            with pytest.raises(sa.exc.OperationalError, match="lock timeout"):
                other.execute(_APPEND, _append_values(2))
    assert board.head(ELECTION).position == 2


def test_append_function_appends_only_at_the_expected_head(board: Board) -> None:
    """A head that moved since the facts were read: false, nothing appended, and the facts of
    the head now; the head the caller expects: true, the entry at the next position with its
    marks."""
    values = _append_values(1)
    with board.engine.begin() as connection:
        assert tuple(connection.execute(_APPEND, values).one()) == (False, 2)
        assert tuple(connection.execute(_APPEND, _append_values(3)).one()) == (False, 2)
    assert board.head(ELECTION).position == 2
    values = _append_values(2)
    with board.engine.begin() as connection:
        assert tuple(connection.execute(_APPEND, values).one()) == (True, None)
        marks = connection.execute(
            sa.text("SELECT mark, position FROM evote_board_marks ORDER BY mark")
        ).all()
    entry = board.store.entry_at(ELECTION, 3)
    assert entry.kind is EntryKind.SPOILED and entry.ballot_hash == values["hash"]
    marks_sent = values["marks"]
    assert isinstance(marks_sent, bytes)
    assert marks == sorted([(marks_sent[:32], 3), (marks_sent[32:], 3)])


def test_append_function_of_an_unknown_election_appends_nothing(board: Board) -> None:
    with board.engine.begin() as connection:
        values = _append_values(2) | {"election": "nobody"}
        assert connection.execute(_APPEND, values).all() == []


@contextmanager
def _between_the_two_calls(
    monkeypatch: pytest.MonkeyPatch, meanwhile: Callable[[int], None]
) -> Iterator[list[int]]:
    """Run ``meanwhile(attempt)`` after each judgement of the patched board's casts, that is
    between its facts call and its append (other casts inside ``meanwhile`` run unhooked).
    Yields the attempts seen."""
    judge = rules.judge_cast
    attempts: list[int] = []
    inside: list[bool] = []

    def judge_then_interfere(facts: rules.CastFacts) -> rules.Verdict:
        verdict = judge(facts)
        if not inside:
            attempts.append(facts.head_position)
            inside.append(True)
            try:
                meanwhile(len(attempts))
            finally:
                inside.clear()
        return verdict

    monkeypatch.setattr(rules, "judge_cast", judge_then_interfere)
    yield attempts
    monkeypatch.undo()


def test_a_cast_whose_head_moved_reads_the_facts_again_and_goes_in_after(
    postgres_url: str, board: Board, item: BoardElection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another ballot goes in between the facts and the append: the append refuses with the
    facts as they are now, the cast is judged again and goes in after it, and the chain links
    through both."""
    retries = board.store.cast_retries
    with Board(postgres_url, BOARD_KEY) as other:
        other.load_election(ELECTION)

        def other_votes(attempt: int) -> None:
            if attempt == 1:
                assert other.cast(ELECTION, item.ballot(1)).position == 3

        with _between_the_two_calls(monkeypatch, other_votes) as attempts:
            receipt = board.cast(ELECTION, item.ballot(0))
    assert attempts == [2, 3]  # judged at head 2, then again at head 3
    assert receipt.position == 4
    assert board.store.cast_retries == retries + 1
    assert board.verify(ELECTION).position == 4
    assert [entry.kind for entry in board.store.entries(ELECTION, 3)] == [EntryKind.BALLOT] * 2


def test_the_same_ballot_appended_meanwhile_is_a_retry_with_the_same_receipt(
    postgres_url: str, board: Board, item: BoardElection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same ballot cast by another process between the two calls: the facts the refused
    append returns name it, and the cast answers as a retry, with the receipt of that entry."""
    ballot = item.ballot(0)
    with Board(postgres_url, BOARD_KEY) as other:
        other.load_election(ELECTION)
        first: list[object] = []

        def same_ballot_meanwhile(attempt: int) -> None:
            if attempt == 1:
                first.append(other.cast(ELECTION, ballot))

        with _between_the_two_calls(monkeypatch, same_ballot_meanwhile):
            receipt = board.cast(ELECTION, ballot)
    assert first == [receipt]
    assert receipt.position == 3
    assert board.head(ELECTION).position == 3


def test_an_election_closed_meanwhile_refuses_the_cast(
    postgres_url: str, board: Board, item: BoardElection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The close goes in between the facts (open) and the append: the judge, asked again,
    refuses, and nothing is appended after the close."""
    with Board(postgres_url, BOARD_KEY) as other:
        other.load_election(ELECTION)

        def close(attempt: int) -> None:
            if attempt == 1:
                other.close_election(ELECTION)

        with (
            _between_the_two_calls(monkeypatch, close),
            pytest.raises(ElectionNotOpen, match="closed"),
        ):
            board.cast(ELECTION, item.ballot(0))
    assert board.store.entry_at(ELECTION, board.head(ELECTION).position).kind is EntryKind.CLOSE
    assert board.head(ELECTION).position == 3


def test_a_head_that_never_settles_is_storage_unavailable(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After CAST_ATTEMPTS moved heads in a row the cast gives up, having appended nothing."""
    item = make_election(voters=4)
    with Board(postgres_url, BOARD_KEY) as board, Board(postgres_url, BOARD_KEY) as other:
        board.setup(item.election, item.ceremony)
        board.open_election(ELECTION)
        other.load_election(ELECTION)
        monkeypatch.setattr(store_module, "CAST_ATTEMPTS", 3)

        def another_voter(attempt: int) -> None:
            other.cast(ELECTION, item.ballot(attempt))

        ballot = item.ballot(0)
        with (
            _between_the_two_calls(monkeypatch, another_voter),
            pytest.raises(StorageUnavailable, match="head moved at each of 3 attempts"),
        ):
            board.cast(ELECTION, ballot)
        assert board.head(ELECTION).position == 5  # the other three ballots only
        assert board.store.entry_by_ballot_hash(ELECTION, ballot.ballot_hash()) is None
        assert board.cast(ELECTION, ballot).position == 6


def test_a_refused_cast_inserts_nothing(board: Board, item: BoardElection) -> None:
    """A refused cast (the election closed) leaves the head as it was."""
    board.close_election(ELECTION)
    head = board.head(ELECTION)
    with pytest.raises(ElectionNotOpen, match="closed"):
        board.cast(ELECTION, item.ballot(0))
    assert board.head(ELECTION) == head
    assert board.entry_at(ELECTION, head.position).kind is EntryKind.CLOSE


def test_connections_go_back_to_the_pool_out_of_autocommit(
    board: Board, item: BoardElection
) -> None:
    """A cast's connection runs in autocommit; the pool's other users (the events' write
    transactions, whose row lock must last until their COMMIT) never get it so: given back
    after a refused cast, or when the store closes, it is in transactions again."""
    first = item.ballot(0)
    board.cast(ELECTION, first)
    ((_, _, kept),) = board.store.driver._kept
    assert kept.driver_connection.autocommit is True
    board.close_election(ELECTION)
    with pytest.raises(ElectionNotOpen):
        board.cast(ELECTION, item.ballot(1))  # refused: its connection goes back to the pool
    assert board.store.driver._kept == []
    assert board.engine.pool.checkedout() == 0
    assert _pooled_autocommit_flags(board) == [False] * board.engine.pool.checkedin()
    board.cast(ELECTION, first)  # a retry: answered, and its connection kept
    assert len(board.store.driver._kept) == 1
    board.store.close()
    assert _pooled_autocommit_flags(board) == [False] * board.engine.pool.checkedin()


def _pooled_autocommit_flags(board: Board) -> list[bool]:
    """The autocommit flag of every connection idle in the pool (all checked out at once)."""
    taken = [board.engine.raw_connection() for _ in range(board.engine.pool.checkedin())]
    assert taken  # the cast's connection, at least, is back in the pool
    try:
        return [bool(raw.driver_connection.autocommit) for raw in taken]  # type: ignore[union-attr]
    finally:
        for raw in taken:
            raw.close()
