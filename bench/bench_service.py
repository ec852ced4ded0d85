"""The voting service over loopback: cast throughput, latency and lookups, against the board.

Run as a script: ``python bench/bench_service.py [--ballots N] [--seconds S] [--repeat R]``
(PostgreSQL too when ``EVOTE_TEST_POSTGRES_URL`` is set). For each backend it starts a real
``evote serve --workers 2`` on a free loopback port (rate limits off, as a load test from one
address needs), on a fresh open election, and drives it with an asyncio client (httpx, a
fixed number of concurrent connections, HTTP/1.1 keep-alive):

* casts: the ballots, yes/no referendum ballots on ed25519 encrypted before any timing (the
  voter's device's job), POSTed once each; every check of the board runs on each (spec 10.4);
  throughput from the first request to the last answer, and the p50 and p99 latency;
* lookups: GETs of the receipts' tracking codes (each a status: counted or superseded);
* the reference: the in-process cast throughput of 2 processes on the same backend
  (bench/bench_board.py's ``throughput``), and the service's share of it.

Bounded in count (``--ballots``) and in time (``--seconds`` per phase: a phase stops sending
when it is up, and its rate counts what was answered). Each figure is the median of
``--repeat`` runs. The client runs on the same machine as the two workers: on 2 cores it takes
CPU from them, which the figures include.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_board import _prepared, throughput  # noqa: E402
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


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def _drive(
    client: httpx.AsyncClient, requests: list[tuple[str, bytes | None]], concurrency: int,
    seconds: float,
) -> tuple[float, list[float], list[httpx.Response]]:  # fmt: skip
    """Send ``requests`` (path, body or None for a GET) over ``concurrency`` connections."""
    queue = list(reversed(requests))
    latencies: list[float] = []
    answers: list[httpx.Response] = []
    started = time.perf_counter()
    deadline = started + seconds

    async def worker() -> None:
        while queue and time.perf_counter() < deadline:
            path, body = queue.pop()
            sent = time.perf_counter()
            if body is None:
                answer = await client.get(path)
            else:
                answer = await client.post(path, content=body, headers=JSON)
            latencies.append(time.perf_counter() - sent)
            answers.append(answer)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies, answers


async def _one_run(
    base: str, election_id: str, ballots: list[bytes], concurrency: int, seconds: float
) -> Run:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        path = f"/api/v1/elections/{election_id}/ballots"
        elapsed, latencies, answers = await _drive(
            client, [(path, data) for data in ballots], concurrency, seconds
        )
        accepted = [answer for answer in answers if answer.status_code == 201]
        codes = [answer.json()["tracking_code"] for answer in accepted]
        lookups = [(f"{path}/{code}", None) for code in codes]
        look_elapsed, _, looked = await _drive(client, lookups, concurrency, seconds)
    quantiles = statistics.quantiles(latencies, n=100)
    return Run(
        casts_per_second=len(accepted) / elapsed,
        p50_ms=statistics.median(latencies) * 1e3,
        p99_ms=quantiles[98] * 1e3,
        lookups_per_second=sum(1 for a in looked if a.status_code == 200) / look_elapsed,
        refused=len(answers) - len(accepted),
    )


def service_run(
    url: str, ballots: int, workers: int, concurrency: int, seconds: float, scratch: Path
) -> Run:
    item, data = _prepared(url, ballots)
    key_file = write_secret(scratch / "board-key.json", ElectionDir.signing_key_bytes(BOARD_KEY))
    process, base = _start(url, key_file, workers)
    try:
        return asyncio.run(
            _one_run(base, item.election.election_id, data, concurrency, seconds)
        )
    finally:
        _stop(process)


def report(
    name: str, url: str, ballots: int, repeat: int, concurrency: int, seconds: float,
    scratch: Path,
) -> None:  # fmt: skip
    print(f"{name}: {_load()}", flush=True)
    runs = []
    for _ in range(repeat):
        run = service_run(url, ballots, 2, concurrency, seconds, scratch)
        runs.append(run)
        print(
            f"{name}: service, 2 workers, {concurrency} connections: {run.casts_per_second:.0f}"
            f" casts/s, p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms,"
            f" {run.lookups_per_second:.0f} lookups/s, {run.refused} refused",
            flush=True,
        )
    reference = [throughput(url, ballots, 2) for _ in range(repeat)]
    print(f"{name}: in-process, 2 processes: {statistics.median(reference):.0f} casts/s"
          f" (runs {', '.join(f'{r:.0f}' for r in reference)})", flush=True)  # fmt: skip
    casts = statistics.median(run.casts_per_second for run in runs)
    share = casts / statistics.median(reference)
    print(
        f"{name}: medians: {casts:.0f} casts/s, p50"
        f" {statistics.median(run.p50_ms for run in runs):.1f} ms, p99"
        f" {statistics.median(run.p99_ms for run in runs):.1f} ms,"
        f" {statistics.median(run.lookups_per_second for run in runs):.0f} lookups/s;"
        f" {share:.0%} of in-process (target >= {TARGET_SHARE:.0%})"
        f" {'ok' if share >= TARGET_SHARE else 'MISSED'}; {_load()}",
        flush=True,
    )


def _load() -> str:
    return "load average " + " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--ballots", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=30.0, help="bound of each phase")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16, help="connections")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="evote-bench-service-") as scratch:
        directory = Path(scratch)
        report("sqlite", str(directory / "board.sqlite"), args.ballots, args.repeat,
               args.concurrency, args.seconds, directory)  # fmt: skip
        url = os.environ.get("EVOTE_TEST_POSTGRES_URL", "").strip()
        if url:
            report("postgresql", url, args.ballots, args.repeat, args.concurrency,
                   args.seconds, directory)  # fmt: skip


if __name__ == "__main__":
    main()
