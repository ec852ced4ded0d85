"""A city-wide referendum at scale: ``python -m bench.scale --voters 100000``.

Generates N referendum ballots with their credentials (on all cores; not counted in the
total), casts them on the board (SQLite, or PostgreSQL given ``--database URL``) from
``--workers`` processes, closes, tallies with 3 trustees (threshold 2, one absent), exports the
record and verifies it on all cores with ``evote verify`` in a fresh process, as an auditor
would. Prints per phase the time, the throughput, the peak resident memory (this process and
all its descendants) and the record's size, as a table and as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any, ClassVar, Protocol

from nacl.signing import SigningKey

from evote.ballots.credentials import Registrar
from evote.ballots.encrypted import encrypt_ballot
from evote.ballots.manifest import Manifest, Option, SingleChoiceQuestion
from evote.ballots.plaintext import PlaintextBallot
from evote.board.board import Board
from evote.ceremony.dkg import run_ceremony
from evote.crypto.groups import group_by_name
from evote.election import Election
from evote.record import export_record
from evote.tally import compute_decryption_share, compute_result, decrypt_counts
from evote.tally.aggregate import aggregate_payloads, share_election
from evote.tally.result import turnout_of
from evote.tallying import publish_result, publish_tally

ELECTION_ID = "scale-referendum"
CHUNK = 500


# -- memory -----------------------------------------------------------------------------------


def _memory_kib(pid: int, path: str, field_name: str) -> int:
    try:
        with open(f"/proc/{pid}/{path}", encoding="ascii") as status:
            for line in status:
                if line.startswith(field_name):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


def _rss_kib(pid: int) -> int:
    return _memory_kib(pid, "status", "VmRSS:")


def _pss_kib(pid: int) -> int:
    # Proportional set size: pages shared with forked workers counted once in all, where a sum
    # of RSS counts them once per process.
    return _memory_kib(pid, "smaps_rollup", "Pss:")


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as listing:
            return [int(child) for child in listing.read().split()]
    except OSError:
        return []


def _descendants(pid: int) -> list[int]:
    """Children, grandchildren...: the verifier's own pool runs two levels down."""
    found = _children(pid)
    for child in list(found):
        found.extend(_descendants(child))
    return found


class MemorySampler:
    """Samples the resident memory of this process plus its live children every 50 ms."""

    def __init__(self) -> None:
        self.peak_kib = 0
        self.peak_pss_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.05):
            processes = [me, *_descendants(me)]
            self.peak_kib = max(self.peak_kib, sum(_rss_kib(pid) for pid in processes))
            self.peak_pss_kib = max(self.peak_pss_kib, sum(_pss_kib(pid) for pid in processes))

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class PhaseFigures:
    name: str
    seconds: float
    items: int
    per_second: float
    peak_rss_mib: float
    peak_pss_mib: float
    counted: bool


@dataclass
class ScaleReport:
    voters: int
    group: str
    database: str
    workers: int
    phases: list[PhaseFigures] = field(default_factory=list)
    record_bytes: int = 0

    @contextmanager
    def phase(self, name: str, items: int, counted: bool = True) -> Iterator[None]:
        print(f"-- {name} ({items} items)", file=sys.stderr, flush=True)
        with MemorySampler() as sampler:
            started = time.perf_counter()
            yield
            seconds = time.perf_counter() - started
        self.phases.append(
            PhaseFigures(
                name, seconds, items, items / seconds if seconds else 0.0,
                sampler.peak_kib / 1024, sampler.peak_pss_kib / 1024, counted,
            )
        )

    @property
    def counted_seconds(self) -> float:
        return sum(phase.seconds for phase in self.phases if phase.counted)

    def table(self) -> str:
        rows = [
            f"{'phase':<28}{'seconds':>10}{'items/s':>12}{'peak RSS MiB':>14}{'peak PSS MiB':>14}"
        ]
        for phase in self.phases:
            mark = "" if phase.counted else "  (not counted)"
            rows.append(
                f"{phase.name:<28}{phase.seconds:>10.1f}{phase.per_second:>12.0f}"
                f"{phase.peak_rss_mib:>14.0f}{phase.peak_pss_mib:>14.0f}{mark}"
            )
        rows.append(f"{'total (counted phases)':<28}{self.counted_seconds:>10.1f}")
        rows.append(f"record size: {self.record_bytes / 2**20:.1f} MiB")
        return "\n".join(rows)


class BenchReport(Protocol):
    """A bench's report: a dataclass with phases whose counted ones add up to a total."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    @property
    def counted_seconds(self) -> float: ...

    def table(self) -> str: ...


def print_report(report: BenchReport, json_path: str | None) -> None:
    """The table on stdout, then the figures as one JSON line (and into ``json_path``)."""
    print(report.table())
    figures = asdict(report) | {"counted_seconds": report.counted_seconds}
    print(json.dumps(figures))
    if json_path:
        Path(json_path).write_text(json.dumps(figures, indent=2) + "\n")


# -- the election -----------------------------------------------------------------------------


def referendum_manifest(group_name: str) -> Manifest:
    opens = datetime.now(UTC).replace(microsecond=0)
    text = {"en": "Should the metropolis build the northern tram line?",
            "fr": "La métropole doit-elle construire la ligne de tram nord ?"}
    question = SingleChoiceQuestion(
        "tram",
        text,
        (Option("yes", {"en": "Yes", "fr": "Oui"}), Option("no", {"en": "No", "fr": "Non"})),
        False,
    )
    return Manifest(
        election_id=ELECTION_ID,
        title={"en": "Referendum", "fr": "Référendum"},
        opens=opens,
        closes=opens + timedelta(days=7),
        questions=(question,),
        group_name=group_name,
    )


_WORKER: dict[str, Any] = {}


def _init_encrypter(election: Election) -> None:
    _WORKER["election"] = election


def _encrypt_chunk(job: tuple[int, list[str]]) -> list[bytes]:
    seed, codes = job
    election: Election = _WORKER["election"]
    rng = random.Random(seed)  # simulated choices, not cryptography
    ballots = []
    for code in codes:
        choice = "yes" if rng.random() < 0.55 else "no"
        plaintext = PlaintextBallot.from_selection(election.manifest, {"tram": [choice]})
        ballots.append(encrypt_ballot(election, code, plaintext).canonical_bytes())
    return ballots


def _generate_voters(voters: int, group_name: str, public_key: Any, transcript_hash: bytes,
                     board_key: bytes, ballots_path: str, workers: int) -> Election:
    """Register ``voters`` voters and write one ballot per voter; the election (no secrets)."""
    group = group_by_name(group_name)
    registration = Registrar.generate(
        group, ELECTION_ID, [f"v{number}" for number in range(voters)]
    )
    election = Election(
        referendum_manifest(group_name), group, public_key,
        registration.credential_list, transcript_hash, board_key,
    )  # fmt: skip
    codes = list(registration.codes.values())
    del registration
    with open(ballots_path, "wb") as sink, ProcessPoolExecutor(
        workers, initializer=_init_encrypter, initargs=(election,)
    ) as pool:
        jobs = [(start, codes[start:start + CHUNK]) for start in range(0, voters, CHUNK)]
        for chunk in pool.map(_encrypt_chunk, jobs):
            for ballot in chunk:
                sink.write(ballot + b"\n")
    return election


def _cast_share(database: str, seed: bytes, ballots_path: str, worker: int, workers: int) -> int:
    cast = 0
    with Board(database, SigningKey(seed)) as board, open(ballots_path, "rb") as lines:
        for number, line in enumerate(lines):
            if number % workers == worker:
                board.cast(ELECTION_ID, line.rstrip(b"\n"))
                cast += 1
    return cast


def _directory_size(path: Path) -> int:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


def run_scale(voters: int, group_name: str, database: str | None, workers: int,
              out: Path) -> ScaleReport:
    group = group_by_name(group_name)
    database_location = database or str(out / "board.sqlite")
    report = ScaleReport(voters, group_name, "postgresql" if database else "sqlite", workers)
    ballots_path = out / "ballots.jsonl"
    ceremony, trustees = run_ceremony(group, ELECTION_ID, 3, 2)
    board_key = SigningKey.generate()
    # The simulated voters live in a child process: their codes and the registrar's working
    # memory would otherwise stay in this process's heap and in every pool it forks later.
    with report.phase("credentials and ballots", voters, counted=False), ProcessPoolExecutor(
        1, mp_context=get_context("spawn")
    ) as generator:
        election = generator.submit(
            _generate_voters, voters, group_name, ceremony.public_key,
            ceremony.transcript_hash, bytes(board_key.verify_key), str(ballots_path), workers,
        ).result()  # fmt: skip
    with Board(database_location, board_key) as board:
        board.setup(election, ceremony)
        board.open_election(ELECTION_ID)
        with report.phase(f"cast ({workers} processes)", voters):
            spawn = get_context("spawn")
            with ProcessPoolExecutor(workers, mp_context=spawn) as pool:
                futures = [
                    pool.submit(
                        _cast_share, database_location, bytes(board_key), str(ballots_path), k,
                        workers,
                    )
                    for k in range(workers)
                ]
                cast = sum(future.result() for future in futures)
            if cast != voters:
                raise RuntimeError(f"cast {cast} ballots of {voters}")
        board.close_election(ELECTION_ID)
        with report.phase(f"tally ({workers} processes)", voters):
            # The election shared before the pool forks: no task carries it.
            share_election(election)
            with ProcessPoolExecutor(workers) as pool:
                payloads = (entry.payload for entry in board.counted_entries(ELECTION_ID))
                tally = aggregate_payloads(election, payloads, executor=pool)
            context = election.proof_context()
            shares = []
            for trustee in trustees:
                if trustee.index == 2:
                    continue
                own = trustee.share()
                shares.append(compute_decryption_share(
                    group, own.share, own.index, own.verification_key, tally, context,
                ))
            counts, combined = decrypt_counts(
                election.manifest, tally, shares, 2, ceremony.verification_key_map(), context
            )
            result = compute_result(election.manifest, counts, turnout_of(tally))
        _publish_and_verify(
            report, board, election, ceremony, tally, shares, combined, result, out, workers
        )
    print(f"   result: {dict(result.questions[0].counts)}", file=sys.stderr)
    return report


def _publish_and_verify(report: ScaleReport, board: Board, election: Election, ceremony: Any,
                        tally: Any, shares: Any, combined: Any, result: Any, out: Path,
                        workers: int) -> None:
    publish_tally(board, election, ceremony, tally, shares, combined)
    publish_result(board, election, result)
    record_dir = out / "record"
    with report.phase("export record", report.voters):
        export_record(board, election.election_id, record_dir)
    report.record_bytes = _directory_size(record_dir)
    with report.phase(f"verify ({workers} processes)", report.voters):
        # As an auditor runs it, on a machine of their own: a fresh process, its own pool.
        verdict = subprocess.run(
            [sys.executable, "-c", "from evote.cli import main; raise SystemExit(main())",
             "verify", str(record_dir), "--json", "--jobs", str(workers)],
            capture_output=True, check=False,
        )  # fmt: skip
    if verdict.returncode != 0:
        tail = (verdict.stdout + verdict.stderr).decode(errors="replace")[-2000:]
        raise RuntimeError(f"evote verify exited with {verdict.returncode}: {tail}")
    report_json = json.loads(verdict.stdout)
    if not report_json.get("ok") or not report_json.get("complete"):
        raise RuntimeError(f"the record does not verify: {verdict.stdout[-2000:]!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--voters", type=int, default=10_000)
    parser.add_argument("--group", default="ed25519", choices=["ed25519", "modp4096"])
    parser.add_argument("--database", help="a PostgreSQL URL (default: SQLite in --out)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", help="working directory (default: a temporary one)")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        report = run_scale(args.voters, args.group, args.database, args.workers, out)
    else:
        with tempfile.TemporaryDirectory(prefix="evote-scale-") as scratch:
            report = run_scale(args.voters, args.group, args.database, args.workers,
                               Path(scratch))
    print_report(report, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
