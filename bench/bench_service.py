"""The voting service over loopback: cast throughput, latency and lookups, against the board.

Run as a script: ``python bench/bench_service.py [--ballots N] [--seconds S] [--repeat R]``
(PostgreSQL too when ``EVOTE_TEST_POSTGRES_URL`` is set). For each backend it starts a real
``evote serve --workers 2`` on a free loopback port (rate limits off, as a load test from one
address needs), on a fresh open election, and drives it with an asyncio client (httpx, a
fixed number of concurrent connections, HTTP/1.1 keep-alive), and with a minimal asyncio
HTTP/1.1 client (:class:`RawConnection`) whose own CPU cost is small: on two shared cores the
load generator competes with the two workers, and httpx costs about as much CPU a request as
the cast it sends:

* casts: the ballots, yes/no referendum ballots on ed25519 encrypted before any timing (the
  voter's device's job), POSTed once each; every check of the board runs on each (spec 10.4);
  throughput from the first request to the last answer, and the p50 and p99 latency;
* lookups: GETs of the receipts' tracking codes (each a status: counted or superseded);
* the reference: the in-process cast throughput of 2 processes on the same backend
  (bench/bench_board.py's ``throughput_and_cpu``), run just before the service in each
  repetition, and the service's share of it (the median of the repetitions' shares);
* the CPU a cast of the in-process casters, of the service's worker processes during the
  casts (from Linux's /proc; how the casts split between the workers too) and of the client,
  and the CPU share, in-process CPU / (workers' + client's CPU): the throughput share that
  two cores doing nothing else give when both are CPU-bound, which an oversubscribed machine
  does not change (its scheduler gives CPU per runnable thread, and the service runs more
  threads than the reference, so that its throughput share there can exceed 100 %).

Bounded in count (``--ballots``) and in time (``--seconds`` per phase: a phase stops sending
when it is up, and its rate counts what was answered). Each figure is the median of
``--repeat`` runs. The client runs on the same machine as the two workers: on 2 cores it takes
CPU from them, which the figures include.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_board import _prepared, throughput_and_cpu  # noqa: E402
from evote.cli.workspace import ElectionDir, write_secret  # noqa: E402
from tests.board.helpers import BOARD_KEY  # noqa: E402

TARGET_SHARE = 0.80
JSON = {"content-type": "application/json"}


@dataclass(frozen=True)
class Run:
    casts_per_second: float
    p50_ms: float
    p99_ms: float
    lookups_per_second: float
    refused: int
    client_cpu_ms: float
    #: The worker processes' CPU during the casts, a cast accepted (NaN where /proc is not).
    workers_cpu_ms: float
    #: The accepted casts' shares of the workers (how evenly the connections spread).
    worker_shares: tuple[float, ...]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _start(url: str, key_file: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    command = [
        sys.executable, "-m", "evote.cli", "serve", "--database", url, "--board-key",
        str(key_file), "--port", str(port), "--workers", str(workers), "--cast-rate", "0",
        "--lookup-rate", "0", "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        if process.poll() is not None:
            raise SystemExit(f"evote serve exited with {process.returncode}")
        try:
            httpx.get(f"{base}/api/v1/elections", timeout=5)
        except httpx.TransportError:
            time.sleep(0.1)
        else:
            return process, base
    process.kill()
    raise SystemExit("evote serve did not listen")


def _workers_cpu(server: int) -> dict[int, float]:
    """The CPU seconds so far of each child of the server's supervisor (its workers), from
    Linux's /proc; empty elsewhere."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    used: dict[int, float] = {}
    try:
        children = Path(f"/proc/{server}/task/{server}/children").read_text().split()
        for child in map(int, children):
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            used[child] = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    except (OSError, ValueError, IndexError):
        return {}
    return used


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


#: One request: (path, body or None for a GET) -> (status, body).
Send = Callable[[str, "bytes | None"], Awaitable[tuple[int, bytes]]]


class RawConnection:
    """A minimal HTTP/1.1 client on one keep-alive connection (asyncio streams): requests
    written as prepared bytes, answers read by Content-Length. It costs the machine's two
    cores a few tens of microseconds a request where httpx costs about as much as a cast,
    so that the figures measure the service rather than the load generator."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> RawConnection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def send(self, path: str, body: bytes | None) -> tuple[int, bytes]:
        if body is None:
            head = f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
            self.writer.write(head)
        else:
            head = (f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json"
                    f"\r\nContent-Length: {len(body)}\r\n\r\n").encode()  # fmt: skip
            self.writer.write(head + body)
        await self.writer.drain()
        header = await self.reader.readuntil(b"\r\n\r\n")
        status = int(header[9:12])
        length = 0
        for line in header.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def _drive(
    senders: list[Send], requests: list[tuple[str, bytes | None]], seconds: float
) -> tuple[float, list[float], list[tuple[int, bytes]]]:
    """Send ``requests``, one connection per sender, each waiting for its answer."""
    queue = list(reversed(requests))
    latencies: list[float] = []
    answers: list[tuple[int, bytes]] = []
    started = time.perf_counter()
    deadline = started + seconds

    async def worker(send: Send) -> None:
        while queue and time.perf_counter() < deadline:
            path, body = queue.pop()
            sent = time.perf_counter()
            answers.append(await send(path, body))
            latencies.append(time.perf_counter() - sent)

    await asyncio.gather(*(worker(send) for send in senders))
    return time.perf_counter() - started, latencies, answers


async def _phases(
    senders: list[Send], election_id: str, ballots: list[bytes], seconds: float, server: int
) -> Run:
    path = f"/api/v1/elections/{election_id}/ballots"
    cpu, workers_before = time.process_time(), _workers_cpu(server)
    elapsed, latencies, answers = await _drive(senders, [(path, data) for data in ballots],
                                               seconds)  # fmt: skip
    client_cpu = (time.process_time() - cpu) / max(1, len(answers))
    workers_after = _workers_cpu(server)
    accepted = [body for status, body in answers if status == 201]
    spent = {pid: workers_after[pid] - workers_before.get(pid, 0.0) for pid in workers_after}
    # The supervisor's other child (multiprocessing's resource tracker) spends nothing.
    busy = sorted((value for value in spent.values() if value > 0.01), reverse=True)
    total = sum(busy)
    codes = [json.loads(body)["tracking_code"] for body in accepted]
    look_elapsed, _, looked = await _drive(senders, [(f"{path}/{c}", None) for c in codes],
                                           seconds)  # fmt: skip
    quantiles = statistics.quantiles(latencies, n=100)
    return Run(
        casts_per_second=len(accepted) / elapsed,
        p50_ms=statistics.median(latencies) * 1e3,
        p99_ms=quantiles[98] * 1e3,
        lookups_per_second=sum(1 for status, _ in looked if status == 200) / look_elapsed,
        refused=len(answers) - len(accepted),
        client_cpu_ms=client_cpu * 1e3,
        workers_cpu_ms=total / max(1, len(accepted)) * 1e3 if busy else math.nan,
        worker_shares=tuple(value / total for value in busy) if busy else (),
    )


async def _one_run(
    base: str, election_id: str, ballots: list[bytes], concurrency: int, seconds: float,
    client: str, server: int,
) -> Run:  # fmt: skip
    if client == "raw":
        host, port = base.removeprefix("http://").split(":")
        connections = [await RawConnection.open(host, int(port)) for _ in range(concurrency)]
        try:
            return await _phases(
                [c.send for c in connections], election_id, ballots, seconds, server
            )
        finally:
            for connection in connections:
                await connection.close()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as shared:

        async def send(path: str, body: bytes | None) -> tuple[int, bytes]:
            if body is None:
                answer = await shared.get(path)
            else:
                answer = await shared.post(path, content=body, headers=JSON)
            return answer.status_code, answer.content

        return await _phases([send] * concurrency, election_id, ballots, seconds, server)


def service_run(
    url: str, ballots: int, workers: int, concurrency: int, seconds: float, scratch: Path,
    client: str,
) -> Run:  # fmt: skip
    item, data = _prepared(url, ballots)
    key_file = write_secret(scratch / "board-key.json", ElectionDir.signing_key_bytes(BOARD_KEY))
    process, base = _start(url, key_file, workers)
    try:
        return asyncio.run(
            _one_run(
                base, item.election.election_id, data, concurrency, seconds, client, process.pid
            )
        )
    finally:
        _stop(process)


def report(
    name: str, url: str, ballots: int, repeat: int, concurrency: int, seconds: float,
    scratch: Path, clients: list[str],
) -> None:  # fmt: skip
    print(f"{name}: {_load()}", flush=True)
    runs: dict[str, list[Run]] = {client: [] for client in clients}
    reference: list[float] = []
    reference_cpu: list[float] = []
    for _ in range(repeat):
        # Interleaved: on a shared machine the load moves from minute to minute, and the share
        # is judged between runs that saw about the same load.
        rate, _, cpu = throughput_and_cpu(url, ballots, 2)
        reference.append(rate)
        reference_cpu.append(cpu * 1e3)
        print(f"{name}: in-process, 2 processes: {rate:.0f} casts/s, CPU {cpu * 1e3:.2f} ms a"
              " cast", flush=True)  # fmt: skip
        for client in clients:
            run = service_run(url, ballots, 2, concurrency, seconds, scratch, client)
            runs[client].append(run)
            print(
                f"{name}: service, 2 workers, {concurrency} connections, {client} client:"
                f" {run.casts_per_second:.0f} casts/s, p50 {run.p50_ms:.1f} ms, p99"
                f" {run.p99_ms:.1f} ms, {run.lookups_per_second:.0f} lookups/s,"
                f" {run.refused} refused; CPU a cast: the workers {run.workers_cpu_ms:.2f} ms"
                f" (shared {' / '.join(f'{share:.0%}' for share in run.worker_shares)}), the"
                f" client {run.client_cpu_ms:.2f} ms",
                flush=True,
            )
    for client, client_runs in runs.items():
        casts = statistics.median(run.casts_per_second for run in client_runs)
        share = statistics.median(
            run.casts_per_second / base for run, base in zip(client_runs, reference, strict=True)
        )
        cpu_share = statistics.median(
            base / (run.workers_cpu_ms + run.client_cpu_ms)
            for run, base in zip(client_runs, reference_cpu, strict=True)
        )
        print(
            f"{name}, {client} client: medians: {casts:.0f} casts/s, p50"
            f" {statistics.median(run.p50_ms for run in client_runs):.1f} ms, p99"
            f" {statistics.median(run.p99_ms for run in client_runs):.1f} ms,"
            f" {statistics.median(run.lookups_per_second for run in client_runs):.0f}"
            f" lookups/s; {share:.0%} of in-process (median of the runs' shares; in-process"
            f" median {statistics.median(reference):.0f} casts/s; target >= {TARGET_SHARE:.0%})"
            f" {'ok' if share >= TARGET_SHARE else 'MISSED'}; CPU a cast: in-process"
            f" {statistics.median(reference_cpu):.2f} ms, the service's workers"
            f" {statistics.median(run.workers_cpu_ms for run in client_runs):.2f} ms and the"
            f" client {statistics.median(run.client_cpu_ms for run in client_runs):.2f} ms, a"
            f" CPU share of {cpu_share:.0%}; {_load()}",
            flush=True,
        )


@contextmanager
def _fresh_database(server: str) -> Iterator[str]:
    """A new database on the server (its role may create databases), dropped afterwards: the
    server's own database may be in use by others, whose schema this run must not meet."""
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"evote_bench_{secrets.token_hex(6)}"
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _load() -> str:
    return "load average " + " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--ballots", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=30.0, help="bound of each phase")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8, help="connections")
    parser.add_argument("--client", choices=["httpx", "raw", "both"], default="both")
    args = parser.parse_args()
    clients = ["httpx", "raw"] if args.client == "both" else [args.client]
    with tempfile.TemporaryDirectory(prefix="evote-bench-service-") as scratch:
        directory = Path(scratch)
        report("sqlite", str(directory / "board.sqlite"), args.ballots, args.repeat,
               args.concurrency, args.seconds, directory, clients)  # fmt: skip
        server = os.environ.get("EVOTE_TEST_POSTGRES_URL", "").strip()
        if server:
            with _fresh_database(server) as url:
                report("postgresql", url, args.ballots, args.repeat, args.concurrency,
                       args.seconds, directory, clients)  # fmt: skip


if __name__ == "__main__":
    main()
