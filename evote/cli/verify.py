"""``evote verify RECORD`` and ``evote verify-ballot RECORD [TRACKING_CODE] [--receipt FILE]``.

``verify`` re-runs every numbered step of docs/spec.md section 11 on a published record and prints
the record's anchors in full (election id, fingerprint, board key, last checkpoint), then a
table (step, items checked, verdict, seconds) and every Benaloh audit's verdict, or JSON with
``--json``. ``--fingerprint`` and ``--checkpoint`` pin the record to what the officers announced
and what the auditor saved (steps 11.2 and 11.6); ``--save-checkpoint`` writes the record's last
checkpoint for a later run. Exit status (docs/spec.md section 11): 0 when every step passes; 1
when the record was read and something in it is wrong, always named by its step (a file's size
or hash, a document, the chain, a signature, a proof, a failed audit, another fingerprint...);
2 when nothing could be judged (bad arguments, no such path, permission denied, neither a
directory nor an archive, no record.json): 2 means "try again", never "forged". Ballots are
checked on a process pool (``--jobs``, all cores by default) or on a Dask cluster (``--dask``,
with the ``evote[dask]`` extra).

``verify-ballot`` tells a voter whether the ballot with their tracking code (or their signed
receipt) is on the board and counted (0), or absent, spoiled, not valid or on a record that is
wrong (1); 2 as for ``verify``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from evote import jsonstrict
from evote.ballots.encrypted import normalise_tracking_code
from evote.board.checkpoint import Checkpoint
from evote.board.receipt import Receipt
from evote.cli.progress import Progress
from evote.cli.workspace import write_public
from evote.errors import EvoteError, InvalidInput, UnreadableRecord
from evote.record.load import load_record
from evote.verify.cluster import DaskExecutor
from evote.verify.report import BallotState, VerificationReport, checkpoint_summary
from evote.verify.verifier import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_MAX_PENDING,
    FINGERPRINT_BYTES,
    read_record,
    unread_report,
    verify_record,
)
from evote.verify.voter import verify_ballot_on_record

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_UNREADABLE = 2


class ProgressBars:
    """Turns ``progress(label, done, total)`` calls into one bar per label on standard error."""

    def __init__(self) -> None:
        self.bar: Progress | None = None

    def __call__(self, label: str, done: int, total: int) -> None:
        if self.bar is None or self.bar.label != label:
            self.close()
            self.bar = Progress(label, total).__enter__()
        self.bar.advance(done - self.bar.done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@contextmanager
def ballot_executor(jobs: int | None, dask_address: str | None) -> Iterator[Executor | None]:
    """A Dask client's executor, a process pool of ``jobs``, or None (this process) for 1."""
    if dask_address is not None:
        try:
            # Imported on demand: Dask is an optional extra, evote[dask].
            distributed: Any = importlib.import_module("distributed")
        except ImportError:
            raise InvalidInput(
                "--dask needs the distributed package: pip install 'evote[dask]'"
            ) from None
        client = distributed.Client(dask_address)
        try:
            yield DaskExecutor(client)
        finally:
            client.close()
        return
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers < 1:
        raise InvalidInput(f"--jobs {workers}: give at least 1")
    if workers == 1:
        yield None
        return
    with ProcessPoolExecutor(workers) as pool:
        yield pool


def tasks_in_flight(executor: Executor | None, asked: int | None) -> int:
    """Tasks to keep submitted: as asked, else two per worker thread of a cluster (so that
    none waits between two tasks), else the default (enough for one machine's cores)."""
    if asked is not None:
        return asked
    if isinstance(executor, DaskExecutor):
        return max(DEFAULT_MAX_PENDING, 2 * executor.worker_threads())
    return DEFAULT_MAX_PENDING


def format_anchors(report: VerificationReport) -> list[str]:
    """The record's anchors, in full, to compare with what the officers announced."""
    lines = [f"election     {report.election_id or '(not read: see step 11.0)'}"]
    anchors = report.anchors
    if anchors is None:
        return lines
    lines.append(f"fingerprint  {anchors.fingerprint.hex()}")
    lines.append(f"board key    {anchors.board_key.hex()}")
    last = anchors.last_checkpoint
    if last is None:
        lines.append("last checkpoint: none")
    else:
        summary = checkpoint_summary(last)
        lines.append(
            f"last checkpoint: position {summary['position']}, chain hash"
            f" {summary['chain_hash']}, time {summary['time']} ({summary['timestamp']})"
        )
    if anchors.expected_fingerprint is not None:
        lines.append(f"announced fingerprint given: {anchors.expected_fingerprint.hex()}")
    if anchors.held:
        lines.append(f"held checkpoints given: {', '.join(anchors.held)}")
    return lines


def format_report(report: VerificationReport) -> str:
    lines = [*format_anchors(report), ""]
    lines.append(f"{'step':<6} {'check':<28} {'items':>9}  {'verdict':<8} {'seconds':>8}")
    for step in report.steps:
        lines.append(
            f"{step.number:<6} {step.name:<28} {step.items:>9}  {step.status.value:<8}"
            f" {step.seconds:8.2f}"
        )
    if report.audits:
        lines.append("")
        lines.append("Benaloh audits (spoiled ballots):")
    for audit in report.audits:
        code = audit.tracking_code or "(undecodable)"
        lines.append(f"  position {audit.position:<8} {code}  {audit.verdict}")
    notes = [step for step in report.steps if step.error is not None]
    if notes:
        lines.append("")
    for step in notes:
        lines.append(f"{step.number} {step.name}: {step.error}")
    lines.append("")
    if report.ok:
        verdict = "record verified" if report.complete else "record verified so far (see skipped)"
    else:
        failed = ", ".join(step.number for step in report.failed())
        verdict = f"VERIFICATION FAILED at step(s) {failed}"
    lines.append(verdict)
    return "\n".join(lines)


def exit_status(report: VerificationReport, require_complete: bool = False) -> int:
    if not report.readable:
        return EXIT_UNREADABLE
    if not report.ok or (require_complete and not report.complete):
        return EXIT_CHECK_FAILED
    return EXIT_OK


def _handle_verify(args: argparse.Namespace) -> int:
    if args.chunk_size < 1:
        raise InvalidInput(f"--chunk-size {args.chunk_size}: give at least 1")
    if args.in_flight is not None and args.in_flight < 1:
        raise InvalidInput(f"--in-flight {args.in_flight}: give at least 1")
    expected = None if args.fingerprint is None else parse_fingerprint(args.fingerprint)
    held = {name: read_checkpoint_file(Path(name)) for name in args.checkpoint or ()}
    # UnreadableRecord (exit 2) propagates; a record read and wrong is a failed step 11.0.
    record, loaded = read_record(Path(args.record))
    bars = None if args.json else ProgressBars()
    try:
        if record is None:
            report = unread_report(loaded)
        else:
            with ballot_executor(args.jobs, args.dask) as executor:
                report = verify_record(
                    record, executor=executor, progress=bars, chunk_size=args.chunk_size,
                    max_pending=tasks_in_flight(executor, args.in_flight), loaded=loaded,
                    expected_fingerprint=expected, held_checkpoints=held,
                )  # fmt: skip
    finally:
        if bars is not None:
            bars.close()
    if args.json:
        print(json.dumps(report.to_json_obj(), indent=2))
    else:
        print(format_report(report))
    status = exit_status(report, args.complete)
    if args.save_checkpoint is not None:
        save_last_checkpoint(report, Path(args.save_checkpoint), status)
    return status


def parse_fingerprint(text: str) -> bytes:
    """An announced fingerprint: 64 hexadecimal digits, any case (InvalidInput otherwise)."""
    digits = text.strip()
    if len(digits) != 2 * FINGERPRINT_BYTES or digits.strip("0123456789abcdefABCDEF"):
        raise InvalidInput(
            f"--fingerprint {text!r}: expected {2 * FINGERPRINT_BYTES} hexadecimal digits"
        )
    return bytes.fromhex(digits)


def read_checkpoint_file(path: Path) -> Checkpoint:
    """A checkpoint an auditor saved: the JSON object of one checkpoint (docs/spec.md 10.4).

    Read strictly (exact fields, types, base64), whitespace allowed; its signature and place
    on the board are checked by the verifier (step 11.6). InvalidInput naming the file.
    """
    return Checkpoint.from_json_obj(
        _read_json_file(path, "--checkpoint"), f"--checkpoint {path}: checkpoint"
    )


def save_last_checkpoint(report: VerificationReport, path: Path, status: int) -> None:
    """Write the record's last checkpoint to ``path`` (canonical JSON and a newline), but only
    when the record verified: an auditor keeps nothing from a record that failed."""
    last = None if report.anchors is None else report.anchors.last_checkpoint
    if status != EXIT_OK or last is None:
        print(
            f"evote: --save-checkpoint {path}: not written: the record did not verify",
            file=sys.stderr,
        )
        return
    write_public(path, jsonstrict.dumps(last.to_json_obj()) + b"\n")
    # On standard error: standard output holds the report (JSON with --json).
    print(
        f"last checkpoint saved to {path} (pass it to a later run with --checkpoint {path})",
        file=sys.stderr,
    )


def read_receipt_file(path: Path) -> Receipt:
    """A voter's signed receipt (the JSON ``evote cast --receipt`` writes), read strictly."""
    return Receipt.from_json_obj(_read_json_file(path, "--receipt"), f"--receipt {path}: receipt")


def _read_json_file(path: Path, option: str) -> Any:
    """The JSON value of a file an auditor or voter kept (InvalidInput naming the option)."""
    try:
        data = path.read_bytes()
    except OSError as fault:
        raise InvalidInput(f"{option} {path}: cannot be read ({fault.strerror})") from None
    return jsonstrict.loads(data, f"{option} {path}")


def _ballot_code(args: argparse.Namespace, receipt: Receipt | None) -> str:
    """The tracking code asked about: given, or the receipt's (both must then agree)."""
    if receipt is None:
        if args.tracking_code is None:
            raise InvalidInput("verify-ballot: give a TRACKING_CODE or --receipt FILE")
        normalise_tracking_code(args.tracking_code)  # mistyped: bad input (2), not a fault
        return str(args.tracking_code)
    if args.tracking_code is not None and normalise_tracking_code(
        args.tracking_code
    ) != normalise_tracking_code(receipt.tracking_code):
        raise InvalidInput(
            f"verify-ballot: tracking code {args.tracking_code} is not the receipt's"
            f" {receipt.tracking_code}"
        )
    return receipt.tracking_code


def _handle_verify_ballot(args: argparse.Namespace) -> int:
    receipt = None if args.receipt is None else read_receipt_file(Path(args.receipt))
    code = _ballot_code(args, receipt)
    try:
        # UnreadableRecord (2) propagates: nothing was judged. Read and wrong is a fault (1).
        status = verify_ballot_on_record(load_record(Path(args.record)), code, receipt)
    except UnreadableRecord:
        raise
    except EvoteError as error:
        message = f"{type(error).__name__}: {error}"
        if args.json:
            print(json.dumps({"tracking_code": code, "state": "invalid",
                              "error": message}, indent=2))  # fmt: skip
        else:
            print(f"ballot {code}: FAILS its check: {message}")
        return EXIT_CHECK_FAILED
    if args.json:
        print(json.dumps(status.to_json_obj(), indent=2))
    else:
        print(_describe(status.to_json_obj()))
    counted = status.state in (BallotState.COUNTED, BallotState.SUPERSEDED)
    return EXIT_OK if counted else EXIT_CHECK_FAILED


def _describe(status: dict[str, Any]) -> str:
    code, state, position = status["tracking_code"], status["state"], status["position"]
    receipt = status.get("receipt")
    if state == BallotState.ABSENT and receipt is not None:
        return (
            f"ballot {code}: ABSENT: the board signed a receipt for this ballot at position"
            f" {receipt['position']} with chain hash {receipt['chain_hash']}, and the record"
            " does not hold it: evidence that the board dropped a ballot it accepted"
        )
    if state == BallotState.COUNTED:
        return f"ballot {code}: on the board at position {position}, and counted"
    if state == BallotState.SUPERSEDED:
        return (
            f"ballot {code}: on the board at position {position}, superseded by the same"
            f" credential's later ballot {status['counted_tracking_code']} at position"
            f" {status['superseded_by']}, which is counted"
        )
    if state == BallotState.SPOILED:
        return f"ballot {code}: spoiled (audited) at position {position}; never counted"
    return f"ballot {code}: NOT on the board"


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "verify",
        help="check every step of a published election record",
        description="Check every step of a published election record (docs/spec.md section"
        " 11). Exit status: 0 verified; 1 the record was read and something in it is wrong"
        " (the report names the step); 2 nothing could be judged (bad arguments, no such"
        " path, permission denied, not a directory or an archive, no record.json).",
    )
    parser.add_argument("record", help="the record: a directory, .tar.gz or .zip")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--jobs", type=int, help="processes that check ballots (all cores)")
    parser.add_argument("--dask", metavar="ADDRESS", help="check ballots on this Dask scheduler")
    parser.add_argument(
        "--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE,
        help=f"ballots per task ({DEFAULT_CHUNK_SIZE})",
    )  # fmt: skip
    parser.add_argument(
        "--in-flight", type=int,
        help=f"tasks submitted ahead (two per Dask worker thread; else {DEFAULT_MAX_PENDING})",
    )  # fmt: skip
    parser.add_argument(
        "--complete", action="store_true", help="fail unless the record reaches the result"
    )
    parser.add_argument(
        "--fingerprint", metavar="HEX",
        help="the fingerprint the officers announced (64 hex digits): step 11.2 fails otherwise",
    )  # fmt: skip
    parser.add_argument(
        "--checkpoint", metavar="FILE", action="append",
        help="a checkpoint saved earlier (JSON; repeatable): step 11.6 fails unless it is"
        " signed by the election's board key and the record's board extends it",
    )  # fmt: skip
    parser.add_argument(
        "--save-checkpoint", metavar="FILE",
        help="once the record verifies, write its last checkpoint to FILE (for --checkpoint)",
    )  # fmt: skip
    handler: Callable[[argparse.Namespace], int] = _handle_verify
    parser.set_defaults(handler=handler)

    ballot = commands.add_parser(
        "verify-ballot", help="check that a ballot is on the record's board and counted"
    )
    ballot.add_argument("record", help="the record: a directory, .tar.gz or .zip")
    ballot.add_argument(
        "tracking_code", nargs="?",
        help="the ballot's tracking code (XXXX-XXXX-...); optional with --receipt",
    )  # fmt: skip
    ballot.add_argument(
        "--receipt", metavar="FILE",
        help="the board's signed receipt ('evote cast --receipt'): its signature is checked"
        " with the election's board key, and its ballot must be on the record",
    )  # fmt: skip
    ballot.add_argument("--json", action="store_true", help="print the answer as JSON")
    ballot_handler: Callable[[argparse.Namespace], int] = _handle_verify_ballot
    ballot.set_defaults(handler=ballot_handler)
