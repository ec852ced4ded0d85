"""Cast throughput of the bulletin board, and the database's share of a cast.

Run as a script: ``python bench/bench_board.py [--ballots N] [--repeat R] [--backend B]``
(PostgreSQL too when ``EVOTE_TEST_POSTGRES_URL`` is set; B is ``both``, ``sqlite`` or
``postgresql``), or ``pytest bench/bench_board.py --benchmark-only`` for the single-process
cast and store append under pytest-benchmark.

Ballots are yes/no referendum ballots on ed25519, one per voter, generated before any timing.
Each configuration gets a fresh election in one database per backend (one SQLite file; one
PostgreSQL database), as a production board hosts many elections. Reported, as medians (the
machine may be shared: the load average is printed before and after):

* the database's share of a cast: the median time of the store's append alone (payload hash,
  lock, board checks, insert, commit) over the median time of a full cast (decode,
  ``check_ballot``, append, receipt), the two measured alternately, ballot by ballot, in one
  process, each run in a fresh election; with the median time of the append's COMMIT; the
  share reported against the target is the median of ``--repeat`` runs (each printed);
* the throughput of :meth:`Board.cast` (every check included) with 1 and 2 casting processes
  casting into the same election, timed from a barrier that all processes pass together to
  the last receipt; the median of ``--repeat`` runs, with each run's number of PostgreSQL
  casts that found the head moved and read their facts again;
* on SQLite, the cost of a bare ``COMMIT`` of a one-row transaction on this disk in WAL mode
  with ``synchronous=FULL`` (an fsync of the WAL) and ``NORMAL`` (no fsync at commit).

Targets (docs/performance.md): database share < 10 %; 2 processes >= 700 ballots/s on SQLite
and >= 500 on PostgreSQL. A machine with fewer than two free cores cannot reach the 2-process
target.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from evote.ballots.encrypted import decode_ballot  # noqa: E402
from evote.board import Board  # noqa: E402
from evote.board.board import ballot_columns  # noqa: E402
from evote.board.chain import EntryKind  # noqa: E402
from evote.board.storage import DriverTransaction  # noqa: E402
from tests.board.helpers import BOARD_KEY, BoardElection, make_election  # noqa: E402

SPAWN = multiprocessing.get_context("spawn")
TARGET_DB_SHARE = 0.10
TARGET_TWO_PROCESSES = {"sqlite": 700.0, "postgresql": 500.0}


def _prepared(url: str, ballots: int) -> tuple[BoardElection, list[bytes]]:
    """A fresh, open election on the board at ``url`` and its ballots' canonical bytes."""
    item = make_election(voters=ballots, election_id=f"bench-{secrets.token_hex(4)}")
    with Board(url, BOARD_KEY) as board:
        board.setup(item.election, item.ceremony)
        board.open_election(item.election.election_id)
    data = [item.ballot(voter).canonical_bytes() for voter in range(ballots)]
    return item, data


def _cast_worker(url: str, election_id: str, ballots: list[bytes], barrier: Any, out: Any) -> None:
    board = Board(url, BOARD_KEY)
    board.load_election(election_id)
    barrier.wait()
    started, cpu = time.perf_counter(), time.process_time()
    for data in ballots:
        board.cast(election_id, data)
    # PostgreSQL casts whose append found the head moved and read the facts again.
    retries = getattr(board.store, "cast_retries", 0)
    out.put((started, time.perf_counter(), retries, time.process_time() - cpu))
    board.dispose()


def throughput(url: str, ballots: int, processes: int) -> tuple[float, int]:
    """Ballots per second cast by ``processes`` processes together, and the casts' retries
    (PostgreSQL: appends that found the head moved and read the facts again)."""
    rate, retries, _ = throughput_and_cpu(url, ballots, processes)
    return rate, retries


def throughput_and_cpu(url: str, ballots: int, processes: int) -> tuple[float, int, float]:
    """:func:`throughput`, and the CPU seconds a cast (the casting processes' own, summed)."""
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
    elapsed = max(span[1] for span in spans) - min(span[0] for span in spans)
    cpu = sum(span[3] for span in spans) / ballots
    return float(ballots / elapsed), sum(span[2] for span in spans), cpu


@dataclass(frozen=True)
class Share:
    """Medians, in seconds, of a full cast, of a store append alone, and of its COMMIT.

    ``commit`` is None when no COMMIT was timed (every cast, on either database, commits its
    own transaction: the store's append ends with one).
    """

    full: float
    store_only: float
    commit: float | None


def database_share(url: str, ballots: int) -> Share:
    """The medians of a full cast and of a store append alone (and its COMMIT), one process.

    Casts and bare appends alternate, so that both see the same load and the same board size.
    The COMMIT (an fsync of the WAL on SQLite with synchronous=FULL) is timed inside the
    append by wrapping the store's transaction.
    """
    item, data = _prepared(url, 2 * ballots)
    election_id = item.election.election_id
    full: list[float] = []
    store_only: list[float] = []
    commits: list[float] = []
    commit = DriverTransaction.commit

    def timed_commit(transaction: DriverTransaction) -> None:
        started = time.perf_counter()
        commit(transaction)
        commits.append(time.perf_counter() - started)

    with Board(url, BOARD_KEY) as board:
        election = board.load_election(election_id)
        decoded = [decode_ballot(election, raw) for raw in data[ballots:]]
        columns = [(ballot.canonical_bytes(), ballot_columns(ballot)) for ballot in decoded]
        for raw, (payload, column) in zip(data[:ballots], columns, strict=True):
            started = time.perf_counter()
            board.cast(election_id, raw)
            middle = time.perf_counter()
            DriverTransaction.commit = timed_commit  # type: ignore[method-assign, assignment]
            try:
                board.store.append_ballot(election_id, EntryKind.BALLOT, payload, column, False)
            finally:
                DriverTransaction.commit = commit  # type: ignore[method-assign]
            full.append(middle - started)
            store_only.append(time.perf_counter() - middle)
    return Share(
        statistics.median(full),
        statistics.median(store_only),
        statistics.median(commits) if commits else None,
    )


def sqlite_commit_cost(directory: Path, synchronous: str, transactions: int = 600) -> float:
    """Median seconds of ``COMMIT`` of a one-row transaction (WAL mode, after a warm-up)."""
    connection = sqlite3.connect(directory / f"commit-{synchronous}.db", isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(f"PRAGMA synchronous={synchronous}")
        connection.execute("CREATE TABLE t (position INTEGER PRIMARY KEY, payload BLOB)")
        payload = secrets.token_bytes(1500)
        times = []
        for position in range(transactions):
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO t VALUES (?, ?)", (position, payload))
            started = time.perf_counter()
            connection.execute("COMMIT")
            times.append(time.perf_counter() - started)
        return statistics.median(times[transactions // 3 :])
    finally:
        connection.close()


def _load() -> str:
    return "load average " + " ".join(f"{value:.2f}" for value in os.getloadavg())


def report(name: str, url: str, ballots: int, repeat: int) -> None:
    runs = [database_share(url, ballots) for _ in range(repeat)]
    shares = [run.store_only / run.full for run in runs]
    for measured, run_share in zip(runs, shares, strict=True):
        commit = (
            "commits included (autocommitted calls)"
            if measured.commit is None
            else f"of which COMMIT {measured.commit * 1e3:.3f} ms"
        )
        print(
            f"{name}: full cast {measured.full * 1e3:.3f} ms, database part "
            f"{measured.store_only * 1e3:.3f} ms {commit} (medians): share {run_share:.1%}",
            flush=True,
        )
    share = statistics.median(shares)
    print(
        f"{name}: database share {share:.1%} (median of {len(shares)} runs; target < "
        f"{TARGET_DB_SHARE:.0%}) {'ok' if share < TARGET_DB_SHARE else 'MISSED'}",
        flush=True,
    )
    for processes in (1, 2):
        runs_and_retries = [throughput(url, ballots, processes) for _ in range(repeat)]
        rates = [rate for rate, _ in runs_and_retries]
        rate = statistics.median(rates)
        line = (
            f"{name}: {processes} process(es): {rate:.0f} ballots/s "
            f"(median of {', '.join(f'{value:.0f}' for value in rates)}; retries "
            f"{', '.join(str(retries) for _, retries in runs_and_retries)})"
        )
        if processes == 2:
            target = TARGET_TWO_PROCESSES[name]
            line += f" (target >= {target:.0f}) {'ok' if rate >= target else 'MISSED'}"
        print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement")
    parser.add_argument("--backend", choices=("both", "sqlite", "postgresql"), default="both")
    arguments = parser.parse_args()
    print(
        f"{os.cpu_count()} CPUs, {_load()}; {arguments.ballots} ed25519 referendum ballots per run"
    )
    if arguments.backend != "postgresql":
        _report_sqlite(arguments.ballots, arguments.repeat)
    postgres = os.environ.get("EVOTE_TEST_POSTGRES_URL", "").strip()
    if arguments.backend == "sqlite":
        pass
    elif postgres:
        report("postgresql", postgres, arguments.ballots, arguments.repeat)
    else:
        print("postgresql: skipped (EVOTE_TEST_POSTGRES_URL is not set)")
    print(_load())


def _report_sqlite(ballots: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        for level in ("FULL", "NORMAL"):
            cost = sqlite_commit_cost(Path(directory), level)
            print(f"sqlite: bare COMMIT in WAL mode, synchronous={level}: {cost * 1e3:.3f} ms")
        # One file; each configuration is its own election in it, as on a production board.
        url = f"sqlite:///{Path(directory) / 'bench.db'}"
        report("sqlite", url, ballots, repeat)


def test_cast_one_process(benchmark: Any, tmp_path: Path) -> None:
    """pytest-benchmark: one full cast (check_ballot + board) on SQLite."""
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    item, data = _prepared(url, 300)
    ballots = iter(data)
    with Board(url, BOARD_KEY) as board:
        board.load_election(item.election.election_id)
        benchmark.pedantic(lambda: board.cast(item.election.election_id, next(ballots)), rounds=250)


def test_store_append_one_process(benchmark: Any, tmp_path: Path) -> None:
    """pytest-benchmark: the database part of a cast alone (lock, checks, insert, commit)."""
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    item, data = _prepared(url, 300)
    with Board(url, BOARD_KEY) as board:
        election = board.load_election(item.election.election_id)
        decoded = (decode_ballot(election, raw) for raw in data)
        columns = iter([(ballot.canonical_bytes(), ballot_columns(ballot)) for ballot in decoded])

        def append() -> None:
            payload, column = next(columns)
            board.store.append_ballot(
                item.election.election_id, EntryKind.BALLOT, payload, column, False
            )

        benchmark.pedantic(append, rounds=250)


def test_board_create(benchmark: Any, tmp_path: Path) -> None:
    """pytest-benchmark: a new SQLite board, from an empty file to an open Board (the schema)."""
    paths = iter(tmp_path / f"new-{number}.db" for number in range(10_000))
    benchmark.pedantic(lambda: Board(str(next(paths))).dispose(), rounds=40)


def test_board_open(benchmark: Any, tmp_path: Path) -> None:
    """pytest-benchmark: opening an existing SQLite board (its schema revision checked)."""
    location = str(tmp_path / "board.db")
    Board(location).dispose()
    benchmark.pedantic(lambda: Board(location).dispose(), rounds=200)


if __name__ == "__main__":
    main()
