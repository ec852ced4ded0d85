"""Cast throughput of the bulletin board, and the database's share of a cast.

Run as a script: ``python bench/bench_board.py [--ballots N]`` (PostgreSQL too when
``EVOTE_TEST_POSTGRES_URL`` is set), or ``pytest bench/bench_board.py --benchmark-only`` for
the single-process cast under pytest-benchmark.

Ballots are yes/no referendum ballots on ed25519, one per voter, generated before any timing.
Each configuration gets a fresh election (a fresh SQLite file; a fresh election id on
PostgreSQL, which hosts many elections in one database). Reported:

* throughput of :meth:`Board.cast` (every check included) with 1 and 2 casting processes,
  timed from a barrier that all processes pass together to the last receipt;
* the database's share of a cast: the time of the store's append alone (lock, board checks,
  insert, commit) over the time of a full cast, in one process.

Targets (issue 5): database share < 10 %; 2 processes >= 700 ballots/s on SQLite and >= 500 on
PostgreSQL. A machine with fewer than two free cores cannot reach the 2-process target.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from evote.board import Board  # noqa: E402
from evote.board.board import ballot_columns  # noqa: E402
from evote.board.chain import EntryKind  # noqa: E402
from tests.board.helpers import TRUSTEES, BoardElection, make_election  # noqa: E402

SPAWN = multiprocessing.get_context("spawn")
TARGET_DB_SHARE = 0.10
TARGET_TWO_PROCESSES = {"sqlite": 700.0, "postgresql": 500.0}


def _prepared(url: str, ballots: int) -> tuple[BoardElection, list[bytes]]:
    """A fresh, open election on the board at ``url`` and its ballots' canonical bytes."""
    item = make_election(voters=ballots, election_id=f"bench-{secrets.token_hex(4)}")
    with Board(url, SigningKey.generate()) as board:
        board.setup(item.election, TRUSTEES)
        board.open_election(item.election.election_id)
    data = [item.ballot(voter).canonical_bytes() for voter in range(ballots)]
    return item, data


def _cast_worker(url: str, election_id: str, ballots: list[bytes], barrier: Any, out: Any) -> None:
    board = Board(url)
    board.load_election(election_id)
    barrier.wait()
    started = time.perf_counter()
    for data in ballots:
        board.cast(election_id, data)
    out.put((started, time.perf_counter()))
    board.dispose()


def throughput(url: str, ballots: int, processes: int) -> float:
    """Ballots per second cast by ``processes`` processes together."""
    item, data = _prepared(url, ballots)
    barrier = SPAWN.Barrier(processes)
    out = SPAWN.Queue()
    shares = [data[index::processes] for index in range(processes)]
    workers = [
        SPAWN.Process(
            target=_cast_worker, args=(url, item.election.election_id, share, barrier, out)
        )
        for share in shares
    ]
    for worker in workers:
        worker.start()
    spans = [out.get() for _ in workers]
    for worker in workers:
        worker.join()
    elapsed = max(end for _, end in spans) - min(start for start, _ in spans)
    return ballots / elapsed


def database_share(url: str, ballots: int) -> tuple[float, float]:
    """(seconds per full cast, seconds per store append alone), in one process."""
    item, data = _prepared(url, 2 * ballots)
    election_id = item.election.election_id
    with Board(url) as board:
        election = board.load_election(election_id)
        from evote.ballots.encrypted import decode_ballot  # noqa: PLC0415

        decoded = [decode_ballot(election, raw) for raw in data[ballots:]]
        columns = [(ballot.canonical_bytes(), ballot_columns(ballot)) for ballot in decoded]
        started = time.perf_counter()
        for raw in data[:ballots]:
            board.cast(election_id, raw)
        full = (time.perf_counter() - started) / ballots
        started = time.perf_counter()
        for payload, column in columns:
            board.store.append_ballot(election_id, EntryKind.BALLOT, payload, column, False)
        store_only = (time.perf_counter() - started) / ballots
    return full, store_only


def report(name: str, url: str, ballots: int) -> None:
    full, store_only = database_share(url, ballots)
    share = store_only / full
    print(
        f"{name}: full cast {full * 1e3:.2f} ms, database part {store_only * 1e3:.2f} ms: "
        f"share {share:.1%} (target < {TARGET_DB_SHARE:.0%}) "
        f"{'ok' if share < TARGET_DB_SHARE else 'MISSED'}"
    )
    for processes in (1, 2):
        rate = throughput(url, ballots, processes)
        line = f"{name}: {processes} process(es): {rate:.0f} ballots/s"
        if processes == 2:
            target = TARGET_TWO_PROCESSES[name]
            line += f" (target >= {target:.0f}) {'ok' if rate >= target else 'MISSED'}"
        print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=1000)
    arguments = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; {arguments.ballots} ed25519 referendum ballots per run")
    with tempfile.TemporaryDirectory() as directory:
        # One file; each configuration is its own election in it, as on a production board.
        report("sqlite", f"sqlite:///{Path(directory) / 'bench.db'}", arguments.ballots)
    postgres = os.environ.get("EVOTE_TEST_POSTGRES_URL", "").strip()
    if postgres:
        report("postgresql", postgres, arguments.ballots)
    else:
        print("postgresql: skipped (EVOTE_TEST_POSTGRES_URL is not set)")


def test_cast_one_process(benchmark: Any, tmp_path: Path) -> None:
    """pytest-benchmark: one full cast (check_ballot + board) on SQLite."""
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    item, data = _prepared(url, 300)
    ballots = iter(data)
    with Board(url) as board:
        board.load_election(item.election.election_id)
        benchmark.pedantic(lambda: board.cast(item.election.election_id, next(ballots)), rounds=250)


if __name__ == "__main__":
    main()
