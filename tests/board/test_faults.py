"""Concurrent casting from several processes, a process killed mid-cast, a full disk."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from evote.board import Board, EntryKind
from evote.errors import StorageUnavailable
from tests.board.helpers import (
    BOARD_KEY,
    BoardElection,
    cap_sqlite_pages,
    cast_and_die,
    dump_tables,
    make_election,
)

ELECTION = "board-test"
SPAWN = multiprocessing.get_context("spawn")


def _cast_all(url: str, ballots: list[bytes], barrier: Any, results: Any) -> None:
    """Child process: wait for the others, then cast; report (tracking code, position)."""
    board = Board(url, BOARD_KEY)
    board.load_election(ELECTION)
    barrier.wait(timeout=120)
    receipts = [board.cast(ELECTION, data) for data in ballots]
    results.put([(receipt.tracking_code, receipt.position) for receipt in receipts])
    board.dispose()


def test_concurrent_casts_from_several_processes(database_url: str) -> None:
    voters, workers = 16, 4
    item = make_election(voters=voters)
    with Board(database_url, BOARD_KEY) as board:
        board.setup(item.election, item.ceremony)
        board.open_election(ELECTION)
    # Each voter votes twice; a voter's two ballots go to different processes so that the
    # revote races its first ballot. Which one counts is decided by board order alone.
    ballots = [(voter, item.ballot(voter, "yes")) for voter in range(voters)]
    ballots += [(voter, item.ballot(voter, "no")) for voter in range(voters)]
    shares: list[list[bytes]] = [[] for _ in range(workers)]
    credential_of: dict[str, bytes] = {}
    for index, (voter, ballot) in enumerate(ballots):
        shares[(voter + index // voters) % workers].append(ballot.canonical_bytes())
        credential_of[ballot.tracking_code] = ballot.credential.to_bytes()
    barrier = SPAWN.Barrier(workers)
    results = SPAWN.Queue()
    processes = [
        SPAWN.Process(target=_cast_all, args=(database_url, share, barrier, results))
        for share in shares
    ]
    for process in processes:
        process.start()
    receipts = [pair for _ in processes for pair in results.get(timeout=300)]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0

    assert len(receipts) == len(ballots)
    positions = sorted(position for _, position in receipts)
    assert positions == list(range(3, 3 + len(ballots)))  # setup, open, then no gap, no repeat
    with Board(database_url, BOARD_KEY) as board:
        head = board.verify(ELECTION)
        assert head.position == 2 + len(ballots)
        on_board = {e.tracking_code: e.position for e in board.ballot_entries(ELECTION)}
        assert on_board == dict(receipts)
        last: dict[bytes, int] = defaultdict(int)
        for code, position in receipts:
            last[credential_of[code]] = max(last[credential_of[code]], position)
        counted = [entry.position for entry in board.counted_entries(ELECTION)]
        assert counted == sorted(last.values())
        assert len(counted) == voters


def _open_board_with_one_ballot(url: str) -> tuple[BoardElection, dict[str, Any]]:
    """An open election of 3 voters with voter 0's ballot cast; the tables' rows then."""
    item = make_election(voters=3)
    with Board(url, BOARD_KEY) as board:
        board.setup(item.election, item.ceremony)
        board.open_election(ELECTION)
        board.cast(ELECTION, item.ballot(0))
    return item, dump_tables(url)


def test_process_killed_mid_cast_leaves_no_half_entry(database_url: str) -> None:
    item, before = _open_board_with_one_ballot(database_url)
    doomed = item.ballot(1)
    process = SPAWN.Process(
        target=cast_and_die, args=(database_url, ELECTION, doomed.canonical_bytes())
    )
    process.start()
    process.join(timeout=120)
    assert process.exitcode == -signal.SIGKILL
    assert dump_tables(database_url) == before
    with Board(database_url, BOARD_KEY) as board:
        assert board.verify(ELECTION).position == 3
        receipt = board.cast(ELECTION, doomed)  # the same ballot goes through after restart
        assert receipt.position == 4
        board.cast(ELECTION, item.ballot(2))
        assert board.verify(ELECTION).position == 5


def test_full_disk_refuses_then_recovers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'full.db'}"
    item = make_election(voters=1)
    board = Board(url, BOARD_KEY)
    board.setup(item.election, item.ceremony)
    board.open_election(ELECTION)
    board.cast(ELECTION, item.ballot(0))
    give_space_back = cap_sqlite_pages(board.engine, 2)
    refused = None
    for _ in range(200):
        ballot = item.ballot(0)
        before = dump_tables(url)
        try:
            board.cast(ELECTION, ballot)
        except StorageUnavailable as fault:
            assert "full" in str(fault)
            refused = ballot
            break
    assert refused is not None, "the capped database never filled up"
    assert dump_tables(url) == before
    head = board.verify(ELECTION)
    assert board.head(ELECTION).kind is EntryKind.BALLOT
    give_space_back()
    receipt = board.cast(ELECTION, refused)
    assert receipt.position == head.position + 1
    assert board.verify(ELECTION).position == receipt.position
    assert [e.position for e in board.counted_entries(ELECTION)] == [receipt.position]
    board.dispose()


def test_locked_database_is_storage_unavailable(tmp_path: Path) -> None:
    """A writer that holds the lock past the busy timeout: refused, nothing written."""
    item = make_election(voters=1)
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    with Board(url, BOARD_KEY) as board:
        board.setup(item.election, item.ceremony)
        board.open_election(ELECTION)
    before = dump_tables(url)
    holder = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with Board(url, BOARD_KEY, busy_timeout=0.2) as board, holder.connect() as connection:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        with pytest.raises(StorageUnavailable, match="locked"):
            board.cast(ELECTION, item.ballot(0))
        connection.exec_driver_sql("ROLLBACK")
        assert dump_tables(url) == before
        assert board.cast(ELECTION, item.ballot(0)).position == 3
    holder.dispose()


def _cast_one(url: str, data: bytes) -> None:
    """Child process: cast one ballot (killed by the test while the cast waits)."""
    Board(url, BOARD_KEY).cast(ELECTION, data)


def _backend_waiting_on_lock(url: str) -> int | None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND query LIKE '%evote_board_append_cast%'"
                )
            ).scalar()
    finally:
        engine.dispose()


def _wait_for(probe: Any, what: str) -> Any:
    for _ in range(600):
        found = probe()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.postgres
def test_postgres_client_killed_mid_cast(_postgres_database_url: str) -> None:
    """The client dies while its cast waits on the election's lock inside the server.

    The cast read its facts without the lock and waits in its append call, one autocommitted
    statement that the server finishes once the lock is free (it notices the lost client only
    when it answers): the whole entry goes in, or nothing does if the server gave up first,
    never part of it. As for a client that dies after sending COMMIT, the voter's recast of
    the same ballot is then a retry: position 4 either way, and casting goes on.
    """
    database_url = _postgres_database_url
    item, before = _open_board_with_one_ballot(database_url)
    doomed = item.ballot(1)
    holder = sa.create_engine(database_url)
    try:
        with holder.connect() as connection, connection.begin():
            connection.execute(
                sa.text(
                    "SELECT election_id FROM evote_board_elections WHERE election_id = :e"
                    " FOR UPDATE"
                ),
                {"e": ELECTION},
            )
            process = SPAWN.Process(target=_cast_one, args=(database_url, doomed.canonical_bytes()))
            process.start()
            backend = _wait_for(lambda: _backend_waiting_on_lock(database_url), "the cast")
            os.kill(process.pid, signal.SIGKILL)
            process.join(timeout=60)
            assert process.exitcode == -signal.SIGKILL
    finally:
        holder.dispose()
    _wait_for(lambda: _backend_gone(database_url, backend), "the dead client's backend")
    after = dump_tables(database_url)
    entries = before["evote_board_entries"]
    added = [row for row in after["evote_board_entries"] if row not in entries]
    marks_added = len(after["evote_board_marks"]) - len(before["evote_board_marks"])
    assert [(row[1], row[-1]) for row in added] in ([], [(4, doomed.ballot_hash())])
    assert marks_added == 2 * len(added)  # the entry with both its marks, or nothing
    with Board(database_url, BOARD_KEY) as board:
        assert board.verify(ELECTION).position == 3 + len(added)
        receipt = board.cast(ELECTION, doomed)
        assert receipt.position == 4
        assert board.cast(ELECTION, item.ballot(2)).position == 5
        assert board.verify(ELECTION).position == 5


def _backend_gone(url: str, pid: int) -> bool:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            ).scalar()
            return found == 0
    finally:
        engine.dispose()
