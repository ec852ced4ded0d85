"""Layer H of the threat model: operations (a crash, concurrency, a full disk, the close).

The cast path is the board under the event; the verify path exports the record after it and
verifies it: nothing lost, nothing half-written, every receipt on the board. Processes only
where the row needs them (spawned, so that each has its own database connections).
"""

from __future__ import annotations

import multiprocessing
import signal
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey

from evote.board.board import Board
from evote.board.chain import EntryKind
from evote.errors import ElectionNotOpen, StorageUnavailable
from evote.record import export_record
from tests.attacks.conftest import World
from tests.attacks.records import verify
from tests.board.helpers import cap_sqlite_pages, cast_and_die

SPAWN = multiprocessing.get_context("spawn")


def _url(directory: Path) -> str:
    return f"sqlite:///{directory / 'board.db'}"


def _export_and_verify(board: Board, world: World, directory: Path) -> None:
    record = export_record(board, world.election_id, directory / "record")
    report = verify(record)
    assert report.ok, [(s.number, s.error) for s in report.steps if not s.ok]


@pytest.mark.attack("H1", path="both")
def test_h1_crash_mid_cast_leaves_no_half_entry(world: World, tmp_path: Path) -> None:
    with world.new_board(tmp_path) as board:
        board.cast(world.election_id, world.ballot(0))
        doomed = world.ballot(1)
        child = SPAWN.Process(
            target=cast_and_die,
            args=(
                _url(tmp_path),
                world.election_id,
                doomed.canonical_bytes(),
                bytes(world.board_key),
            ),
        )
        child.start()
        child.join(timeout=120)
        assert child.exitcode == -signal.SIGKILL
        assert board.verify(world.election_id).position == 3
        assert board.cast(world.election_id, doomed).position == 4  # goes through on retry
        _export_and_verify(board, world, tmp_path)


def _cast_many(url: str, seed: bytes, election_id: str, ballots: list[bytes], out: Any) -> None:
    with Board(url, SigningKey(seed)) as board:
        out.put([board.cast(election_id, data).position for data in ballots])


@pytest.mark.attack("H2", path="both")
def test_h2_concurrent_casting_loses_nothing(world: World, tmp_path: Path) -> None:
    with world.new_board(tmp_path) as board:
        ballots = [[world.ballot(v, "yes").canonical_bytes()] for v in range(4)]
        ballots[0].append(world.ballot(0, "no").canonical_bytes())  # a revote races the others
        out = SPAWN.Queue()
        children = [
            SPAWN.Process(
                target=_cast_many,
                args=(_url(tmp_path), bytes(world.board_key), world.election_id, share, out),
            )
            for share in ballots
        ]
        for child in children:
            child.start()
        positions = sorted(p for _ in children for p in out.get(timeout=300))
        for child in children:
            child.join(timeout=60)
            assert child.exitcode == 0
        assert positions == list(range(3, 3 + 5))
        assert board.verify(world.election_id).position == 7
        assert len(list(board.counted_entries(world.election_id))) == 4
        _export_and_verify(board, world, tmp_path)


@pytest.mark.attack("H3", path="both")
def test_h3_disk_full_refuses_then_resumes(world: World, tmp_path: Path) -> None:
    board = world.new_board(tmp_path)
    board.cast(world.election_id, world.ballot(0))
    give_space_back = cap_sqlite_pages(board.engine, 1)
    refused = None
    accepted = 0
    for _ in range(100):
        ballot = world.ballot(1 + accepted % 3, "yes" if accepted % 2 else "no")
        before = board.head(world.election_id)
        try:
            board.cast(world.election_id, ballot)
            accepted += 1
        except StorageUnavailable:
            refused = ballot
            assert board.head(world.election_id) == before
            break
    assert refused is not None, "the capped database never filled up"
    board.verify(world.election_id)
    give_space_back()
    receipt = board.cast(world.election_id, refused)
    assert receipt.position == board.head(world.election_id).position
    _export_and_verify(board, world, tmp_path)
    board.dispose()


def _cast_until_closed(
    url: str, seed: bytes, election_id: str, ballots: list[bytes], out: Any
) -> None:
    """Child: cast one ballot after another; report each receipt or the refusal."""
    outcomes: list[tuple[int, int | None]] = []
    with Board(url, SigningKey(seed)) as board:
        for index, data in enumerate(ballots):
            try:
                outcomes.append((index, board.cast(election_id, data).position))
            except ElectionNotOpen:
                outcomes.append((index, None))
    out.put(outcomes)


@pytest.mark.attack("H4", path="both")
def test_h4_ballot_racing_the_close(world: World, tmp_path: Path) -> None:
    with world.new_board(tmp_path) as board:
        # Revotes of the four voters, alternating: each ballot is a new one.
        ballots = [world.ballot(i % 4, "yes" if (i // 4) % 2 else "no") for i in range(24)]
        out = SPAWN.Queue()
        child = SPAWN.Process(
            target=_cast_until_closed,
            args=(
                _url(tmp_path),
                bytes(world.board_key),
                world.election_id,
                [b.canonical_bytes() for b in ballots],
                out,
            ),
        )
        child.start()
        while board.head(world.election_id).position < 4 and child.is_alive():  # a few first
            pass
        close = board.close_election(world.election_id).position
        outcomes = out.get(timeout=300)
        child.join(timeout=60)
        assert child.exitcode == 0
        on_board = {e.tracking_code: e.position for e in board.ballot_entries(world.election_id)}
        for index, position in outcomes:
            code = ballots[index].tracking_code
            if position is None:
                assert code not in on_board  # refused: absent
            else:
                assert on_board[code] == position < close  # receipt: before the close
        assert all(position < close for position in on_board.values())
        assert len(on_board) == sum(1 for _, p in outcomes if p is not None)
        assert board.head(world.election_id).kind is EntryKind.CLOSE
        _export_and_verify(board, world, tmp_path)
