"""The cast's database path: its statements, its indexes, its transaction and its faults."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import secrets
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from evote.ballots.encrypted import check_ballot, tracking_code
from evote.board import Board, EntryKind
from evote.board.board import ballot_columns
from evote.board.schema import elections_table, entries_table, marks_table
from evote.board.storage import DriverStatement, DriverTransaction, compile_for_driver
from evote.board.store import BallotColumns, CastStatements
from evote.errors import (
    BoardIntegrityError,
    DuplicateBallot,
    StorageUnavailable,
    UnknownElection,
)
from tests.board.helpers import BOARD_KEY, BoardElection, dump_tables, make_election

KEY = BOARD_KEY
ELECTION = "board-test"
TABLE = entries_table.name


@pytest.fixture(scope="module")
def referendum() -> BoardElection:
    return make_election(voters=4)


@pytest.fixture
def board(database_url: str, referendum: BoardElection) -> Iterator[Board]:
    with Board(database_url, KEY) as opened:
        opened.setup(referendum.election, referendum.ceremony)
        opened.open_election(ELECTION)
        yield opened


def _url(board: Board) -> str:
    return board.engine.url.render_as_string(hide_password=False)


def _names(statements: CastStatements) -> dict[str, str]:
    named: dict[str, DriverStatement | None] = {
        "check": statements.check,
        "entry_at": statements.entry_at,
        "last_of_credential": statements.last_of_credential,
        "insert": statements.insert,
        "insert_marks": statements.insert_marks,
        "append": statements.append,
    }
    return {statement.sql: name for name, statement in named.items() if statement is not None}


@pytest.fixture
def statements_run(board: Board, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the statements each cast runs, in order (lock, check, insert...)."""
    names = _names(board.store.cast_statements)
    seen: list[str] = []
    first, run = DriverTransaction.first, DriverTransaction.run

    def recording_first(self: DriverTransaction, statement: DriverStatement, values: Any) -> Any:
        seen.append(names[statement.sql])
        return first(self, statement, values)

    def recording_run(self: DriverTransaction, statement: DriverStatement, values: Any) -> None:
        seen.append(names[statement.sql])
        run(self, statement, values)

    monkeypatch.setattr(DriverTransaction, "first", recording_first)
    monkeypatch.setattr(DriverTransaction, "run", recording_run)
    return seen


def test_a_cast_is_one_check_query_and_one_insert(
    board: Board, referendum: BoardElection, statements_run: list[str]
) -> None:
    """The check query, then the INSERTs; on PostgreSQL, the facts in one call, then the
    compare-and-append of the entry and its marks in another."""
    ballot = referendum.ballot(0)
    receipt = board.cast(ELECTION, ballot)
    in_database = board.engine.dialect.name == "postgresql"
    inserts = ["check", "append"] if in_database else ["check", "insert", "insert_marks"]
    assert statements_run == inserts
    statements_run.clear()
    assert board.cast(ELECTION, ballot) == receipt  # a retry reads the entry back
    assert statements_run == ["check", "entry_at"]
    statements_run.clear()
    board.spoil(ELECTION, *referendum.spoiled(1))
    assert statements_run == inserts


def test_sqlite_cast_sends_five_statements(tmp_path: Any, referendum: BoardElection) -> None:
    url = f"sqlite:///{tmp_path / 'trace.db'}"
    with Board(url, KEY) as board:
        board.setup(referendum.election, referendum.ceremony)
        board.open_election(ELECTION)
        sent: list[str] = []

        @event.listens_for(board.engine, "connect")
        def trace(dbapi_connection: Any, record: Any) -> None:
            dbapi_connection.set_trace_callback(sent.append)

        board.engine.dispose()
        board.cast(ELECTION, referendum.ballot(0))
    words = [" ".join(statement.split()[:2]).upper() for statement in sent]
    # The new connection's PRAGMAs come first; then the transaction.
    cast = words[words.index("BEGIN IMMEDIATE") :]
    # The check query and the marks' INSERT start with the CTE that splits the marks.
    assert cast == [
        "BEGIN IMMEDIATE", "WITH RECURSIVE", "INSERT INTO", "WITH RECURSIVE", "COMMIT"
    ]  # fmt: skip
    assert "SELECT head.position" in sent[sent.index("BEGIN IMMEDIATE") + 1]
    assert "INSERT INTO evote_board_marks" in sent[sent.index("BEGIN IMMEDIATE") + 3]


def test_ballot_is_checked_before_the_transaction(
    board: Board, referendum: BoardElection, monkeypatch: pytest.MonkeyPatch
) -> None:
    order: list[str] = []
    begin = DriverTransaction.__init__

    def checking(*args: Any) -> None:
        order.append("check_ballot")
        check_ballot(*args)

    def beginning(self: DriverTransaction, connection: Any, cursor: Any = None) -> None:
        order.append("transaction")
        begin(self, connection, cursor)

    monkeypatch.setattr("evote.board.board.check_ballot", checking)
    monkeypatch.setattr(DriverTransaction, "__init__", beginning)
    board.cast(ELECTION, referendum.ballot(0))
    assert order == ["check_ballot", "transaction"]


def test_compiled_statements_pass_the_append_only_guard(board: Board) -> None:
    dialect = board.engine.dialect
    for change in (
        sa.update(entries_table).values(kind="ballot"),
        sa.delete(entries_table).where(entries_table.c.position == 3),
        sa.delete(elections_table),
    ):
        with pytest.raises(BoardIntegrityError, match="append-only"):
            compile_for_driver(change, dialect)


def test_store_refuses_an_unknown_election(board: Board, referendum: BoardElection) -> None:
    columns = ballot_columns(referendum.ballot(0))
    before = dump_tables(_url(board))
    with pytest.raises(UnknownElection):
        board.store.append_ballot("no-such-vote", EntryKind.BALLOT, b"{}", columns, False)
    assert dump_tables(_url(board)) == before


def test_retry_is_judged_by_the_existing_entry_credential(
    board: Board, referendum: BoardElection
) -> None:
    first = referendum.ballot(0)
    receipt = board.cast(ELECTION, first)
    board.cast(ELECTION, referendum.ballot(1))
    # Same hash, another credential (whose last ballot is elsewhere): still a retry of `first`.
    columns = ballot_columns(first)
    crafted = BallotColumns(
        referendum.ballot(1).credential.to_bytes(), columns.ballot_hash, columns.marks
    )
    entry, existed = board.store.append_ballot(
        ELECTION, EntryKind.BALLOT, first.canonical_bytes(), crafted, False
    )
    assert existed
    assert entry.position == receipt.position


def marks_at(connection: sa.Connection, election_id: str, position: int) -> list[bytes]:
    """The ciphertext marks the board holds for the entry at ``position``."""
    rows = connection.execute(
        sa.select(marks_table.c.mark).where(
            marks_table.c.election_id == election_id, marks_table.c.position == position
        )
    )
    return [bytes(row[0]) for row in rows]


def _copy_into_other_election(board: Board, entry_position: int, kind: EntryKind) -> str:
    """Insert, straight into the tables, an election whose entry repeats one of ours."""
    other = f"other-{secrets.token_hex(4)}"
    source = board.entry_at(ELECTION, entry_position)
    with board.engine.begin() as connection:
        connection.execute(
            sa.insert(elections_table).values(
                election_id=other, fingerprint=b"\x00" * 32, launch_code="x"
            )
        )
        connection.execute(
            sa.insert(entries_table).values(
                election_id=other,
                position=1,
                kind=kind.value,
                payload=b"{}",
                payload_hash=b"\x00" * 32,
                chain_hash=b"\x00" * 32,
                credential=None if kind is EntryKind.SPOILED else source.credential,
                tracking_code=source.tracking_code,
                ballot_hash=source.ballot_hash,
            )
        )
        connection.execute(
            sa.insert(marks_table),
            [
                {"election_id": other, "mark": mark, "position": 1}
                for mark in marks_at(connection, ELECTION, entry_position)
            ],
        )
    return other


def test_entries_of_another_election_never_count_as_ours(
    board: Board, referendum: BoardElection
) -> None:
    """The hash lookups search all elections (for the index); only ours may match."""
    ballot = referendum.ballot(2)
    receipt = board.cast(ELECTION, ballot)
    # Another election holds a spoiled entry with our ballot's hash, tracking code and marks.
    other = _copy_into_other_election(board, receipt.position, EntryKind.SPOILED)
    assert board.cast(ELECTION, ballot) == receipt  # a retry, not a replay
    assert board.ballot_by_tracking_code(ELECTION, receipt.tracking_code).position == 3
    assert board.ballot_by_tracking_code(other, receipt.tracking_code).position == 1
    found = board.store.entry_by_ballot_hash(other, receipt.ballot_hash)
    assert found is not None
    assert found.election_id == other
    # And a spoiled entry there with the marks of a ballot not cast here yet.
    waiting = referendum.ballot(0)
    with board.engine.begin() as connection:
        connection.execute(
            sa.insert(entries_table).values(
                election_id=other,
                position=2,
                kind=EntryKind.SPOILED.value,
                payload=b"{}",
                payload_hash=b"\x00" * 32,
                chain_hash=b"\x00" * 32,
                tracking_code="another-code",
                ballot_hash=b"\x01" * 32,
            )
        )
        connection.execute(
            sa.insert(marks_table),
            [
                {"election_id": other, "mark": mark, "position": 2}
                for mark in ballot_columns(waiting).marks
            ],
        )
    assert board.cast(ELECTION, waiting).position == receipt.position + 1
    assert board.verify(ELECTION).position == receipt.position + 1


def _bulk_election(connection: sa.Connection, election_id: str, entries: int) -> None:
    """An election of ``entries`` ballot entries with random hashes (not a valid chain)."""
    connection.execute(
        sa.insert(elections_table).values(
            election_id=election_id, fingerprint=b"\x00" * 32, launch_code="x"
        )
    )
    connection.execute(
        sa.insert(entries_table),
        [
            {
                "election_id": election_id,
                "position": position,
                "kind": EntryKind.BALLOT.value if position > 1 else EntryKind.OPEN.value,
                "payload": b"{}",
                "payload_hash": b"\x00" * 32,
                "chain_hash": b"\x00" * 32,
                "credential": secrets.token_bytes(32) if position > 1 else None,
                "tracking_code": secrets.token_hex(8) if position > 1 else None,
                "ballot_hash": secrets.token_bytes(32) if position > 1 else None,
            }
            for position in range(1, entries + 1)
        ],
    )
    connection.execute(
        sa.insert(marks_table),
        [
            {"election_id": election_id, "mark": secrets.token_bytes(32), "position": position}
            for position in range(2, entries + 1)
            for _ in range(2)
        ],
    )


def _plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child)


def test_check_query_looks_up_by_index_even_for_an_unknown_election(database_url: str) -> None:
    """No lookup walks the election's entries, even where the planner misjudges its size.

    PostgreSQL estimates an election missing from its statistics at one row; an index that
    merely starts with election_id then looks as good as the hash's own index. The election
    here was inserted after ANALYZE, as a new election is on a busy board.
    """
    with Board(database_url, BOARD_KEY) as board:
        with board.engine.begin() as connection:
            _bulk_election(connection, "known-a", 2000)
            _bulk_election(connection, "known-b", 2000)
        if board.engine.dialect.name == "postgresql":
            with board.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    "ANALYZE evote_board_entries"
                )
        with board.engine.begin() as connection:
            _bulk_election(connection, "new", 2000)
        check = board.store.cast_statements.check
        values = {
            "election_id": "new",
            "tracking_code": secrets.token_hex(8),
            "ballot_hash": secrets.token_bytes(32),
            "marks": secrets.token_bytes(96),
            "credential": secrets.token_bytes(32),
        }
        raw = board.engine.raw_connection()
        try:
            cursor = raw.driver_connection.cursor()  # type: ignore[union-attr]
            if board.engine.dialect.name == "postgresql":
                cursor.execute(
                    "EXPLAIN (ANALYZE, FORMAT JSON) " + check.sql, check.parameters(values)
                )
                document = cursor.fetchone()[0]
                plan = (json.loads(document) if isinstance(document, str) else document)[0]
                nodes = list(_plan_nodes(plan["Plan"]))
                assert all(node["Node Type"] != "Seq Scan" for node in nodes)
                assert all(node.get("Rows Removed by Filter", 0) <= 1 for node in nodes), nodes
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + check.sql, check.parameters(values))
                steps = [row[3] for row in cursor.fetchall()]
                # The board's tables (the CTE that splits the marks has its own steps).
                tables = ("head", "same", "clash", "mine")
                searches = [s for s in steps if s.partition(" ")[2].split(" ")[0] in tables]
                assert len(searches) == 4, steps
                assert all(s.startswith("SEARCH") and " USING " in s for s in searches), steps
                # The marks table is WITHOUT ROWID: its primary key is the table itself.
                assert any(
                    s.startswith("SEARCH clash USING PRIMARY KEY (election_id=? AND mark=?)")
                    for s in steps
                ), steps
        finally:
            raw.close()


@pytest.mark.postgres
def test_lost_connection_mid_cast_is_storage_unavailable(
    database_url: str, referendum: BoardElection, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("terminates a PostgreSQL backend")
    with Board(database_url, KEY) as board:
        board.setup(referendum.election, referendum.ceremony)
        board.open_election(ELECTION)
        before = dump_tables(database_url)
        first = DriverTransaction.first

        def cut_then_run(self: DriverTransaction, statement: DriverStatement, values: Any) -> Any:
            pid = self._connection.info.backend_pid
            admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
            try:
                with admin.connect() as connection:
                    connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            finally:
                admin.dispose()
            return first(self, statement, values)

        monkeypatch.setattr(DriverTransaction, "first", cut_then_run)
        with pytest.raises(StorageUnavailable, match="refused the write"):
            board.cast(ELECTION, referendum.ballot(0))
        monkeypatch.undo()
        assert dump_tables(database_url) == before
        # The dead connection went out of the pool: the next cast gets a live one.
        assert board.cast(ELECTION, referendum.ballot(0)).position == 3


def test_insert_refused_by_a_unique_index_is_a_duplicate(
    board: Board, referendum: BoardElection
) -> None:
    """A unique index refusing the INSERT is DuplicateBallot, and the transaction rolls back."""
    first = referendum.ballot(0)
    receipt = board.cast(ELECTION, first)
    other = referendum.ballot(1)
    columns = ballot_columns(other)
    # Another hash with the first ballot's 104 leading bits, hence its tracking code.
    colliding = first.ballot_hash()[:13] + bytes(19)
    assert colliding != first.ballot_hash()
    clash = BallotColumns(columns.credential, colliding, (b"m" * 32,))
    assert clash.tracking_code == first.tracking_code
    before = dump_tables(_url(board))
    with pytest.raises(DuplicateBallot, match="tracking code or hash"):
        board.store.append_ballot(ELECTION, EntryKind.BALLOT, other.canonical_bytes(), clash, False)
    assert dump_tables(_url(board)) == before
    assert board.cast(ELECTION, other).position == receipt.position + 1


def test_ballot_columns_derive_the_tracking_code_from_the_hash(referendum: BoardElection) -> None:
    """Lookups by hash go through the code's index: no column set can carry another code."""
    ballot = referendum.ballot(0)
    columns = ballot_columns(ballot)
    assert columns.tracking_code == tracking_code(columns.ballot_hash) == ballot.tracking_code
    other = ballot_columns(referendum.ballot(1))
    with pytest.raises(ValueError, match="tracking_code"):
        dataclasses.replace(columns, tracking_code=other.tracking_code)  # type: ignore[call-arg]
    assert dataclasses.replace(columns, ballot_hash=other.ballot_hash).tracking_code == (
        other.tracking_code
    )


def test_board_with_the_former_hash_index_still_casts_and_finds(
    database_url: str, referendum: BoardElection
) -> None:
    """A board created before the hash index was dropped keeps it; nothing relies on it."""
    with Board(database_url, KEY) as board:
        with board.engine.begin() as connection:
            connection.exec_driver_sql(
                f"CREATE UNIQUE INDEX evote_board_entries_by_hash_uq ON {TABLE} "
                "(ballot_hash, election_id)"
            )
        board.setup(referendum.election, referendum.ceremony)
        board.open_election(ELECTION)
        ballot = referendum.ballot(0)
        receipt = board.cast(ELECTION, ballot)
        assert board.cast(ELECTION, ballot) == receipt
        found = board.store.entry_by_ballot_hash(ELECTION, receipt.ballot_hash)
        assert found is not None and found.position == receipt.position


def test_casts_reuse_one_kept_connection_and_give_it_back(
    board: Board, referendum: BoardElection
) -> None:
    """Casts write on one connection kept out of the pool; closing the store returns it."""
    checkouts: list[int] = []
    event.listen(board.engine.pool, "checkout", lambda *args: checkouts.append(1))
    for voter in range(3):
        board.cast(ELECTION, referendum.ballot(voter))
    assert len(checkouts) <= 1
    assert board.engine.pool.checkedout() == 1
    board.store.close()
    assert board.engine.pool.checkedout() == 0
    assert board.cast(ELECTION, referendum.ballot(3)).position == 6


def test_a_kept_connection_of_a_disposed_pool_is_not_reused(
    board: Board, referendum: BoardElection
) -> None:
    """After engine.dispose() (new connection settings, a fork) casts use the new pool."""
    board.cast(ELECTION, referendum.ballot(0))
    connected: list[int] = []
    event.listen(board.engine, "connect", lambda *args: connected.append(1))
    board.engine.dispose()
    board.cast(ELECTION, referendum.ballot(1))
    assert connected == [1]
    assert board.verify(ELECTION).position == 4


def test_a_failed_write_does_not_keep_its_connection(
    board: Board, referendum: BoardElection, monkeypatch: pytest.MonkeyPatch
) -> None:
    board.cast(ELECTION, referendum.ballot(0))
    kept = board.store.driver._kept
    assert len(kept) == 1
    fault = board.engine.dialect.loaded_dbapi.OperationalError("disk I/O error")

    def failing(self: DriverTransaction, statement: DriverStatement, values: Any) -> Any:
        raise fault

    monkeypatch.setattr(DriverTransaction, "first", failing)
    with pytest.raises(StorageUnavailable, match="disk I/O error"):
        board.cast(ELECTION, referendum.ballot(1))
    assert not kept
    monkeypatch.undo()
    assert board.cast(ELECTION, referendum.ballot(1)).position == 4


def test_threads_casting_on_one_board_share_its_connections_safely(database_url: str) -> None:
    """Four threads cast through one Board: each ballot lands once, the chain verifies."""
    voters = 12
    item = make_election(voters=voters, election_id="threads")
    with Board(database_url, KEY) as board:
        board.setup(item.election, item.ceremony)
        board.open_election("threads")
        failures: list[BaseException] = []

        def cast_share(first: int) -> None:
            try:
                for voter in range(first, voters, 4):
                    board.cast("threads", item.ballot(voter))
            except BaseException as error:  # reported by the assertion below
                failures.append(error)

        workers = [threading.Thread(target=cast_share, args=(first,)) for first in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert failures == []
        assert board.verify("threads").position == 2 + voters
        assert sum(1 for _ in board.counted_ballots("threads")) == voters


def _left_alone(connection: Any) -> bool:
    """Whether the child left the parent's kept connection as the parent keeps it: open, idle,
    outside any transaction (psycopg: neither closed nor in a transaction)."""
    if hasattr(connection, "info") and hasattr(connection, "closed"):
        idle = connection.info.transaction_status == connection.info.transaction_status.IDLE
        return not connection.closed and idle
    return connection.in_transaction is False


def _cast_in_child(
    board: Board, ballot: Any, inherited: Any, idle: Any, dispose_first: bool, out: Any
) -> None:
    kept = board.store.driver._kept
    try:
        if dispose_first:
            board.dispose()  # must leave the parent's connections (kept, idle) alone
        read = board.engine.raw_connection()  # unless disposed, the parent's idle one is there
        own_read = read.driver_connection is not idle
        read.close()
        alone = _left_alone(inherited)
        position = board.cast(ELECTION, ballot).position
        ((process, _, pooled),) = kept
        fresh = process == os.getpid() and pooled.driver_connection is not inherited
        out.put((position, fresh and own_read, board.verify(ELECTION).position, alone))
    except BaseException as error:  # reported by the parent's assertion
        out.put(repr(error))


def test_a_forked_child_never_uses_its_parent_s_connections(
    board: Board, referendum: BoardElection
) -> None:
    """A Board opened before a fork (a preloading portal): a child opens its own sessions and
    leaves the parent's alone, whether it casts at once or first disposes of the board; the
    parent and its children keep casting on one board."""
    board.cast(ELECTION, referendum.ballot(0))
    ((_, _, pooled),) = board.store.driver._kept
    read = board.engine.raw_connection()  # left idle in the pool the children inherit
    idle = read.driver_connection
    read.close()
    context = multiprocessing.get_context("fork")
    for voter, dispose_first in ((1, False), (2, True)):
        out = context.Queue()
        child = context.Process(
            target=_cast_in_child,
            args=(
                board,
                referendum.ballot(voter),
                pooled.driver_connection,
                idle,
                dispose_first,
                out,
            ),
        )
        child.start()
        result = out.get(timeout=120)
        child.join(timeout=120)
        assert result == (voter + 3, True, voter + 3, True), (dispose_first, result)
    assert board.cast(ELECTION, referendum.ballot(3)).position == 6
    assert board.verify(ELECTION).position == 6
    assert sum(1 for _ in board.counted_ballots(ELECTION)) == 4
