"""``evote demo``: a whole metropolis vote on the embedded SQLite board.

A referendum and a participatory budget, or the election of any manifest given with
``--manifest`` (its voters' choices drawn by :mod:`evote.cli.simulated`); a key ceremony of 3
trustees with threshold 2; credentials for every simulated voter; ballots encrypted on all
cores and cast on the board (some voters revote, one audits a ballot with a Benaloh
challenge); the tally decrypted with one trustee absent and published; the record exported and
checked by the auditor's verifier. The same election, open and waiting for voters, is what
``evote serve --demo`` serves (:func:`prepare_served_demo`).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Final

from nacl.signing import SigningKey

from evote import jsonstrict
from evote.ballots.audit import check_audit, spoil_ballot
from evote.ballots.credentials import Registrar, RegistrationResult
from evote.ballots.encrypted import encrypt_ballot, encrypt_ballot_for_audit
from evote.ballots.manifest import (
    BudgetQuestion,
    GradesQuestion,
    Manifest,
    Option,
    Question,
    RankingQuestion,
    SingleChoiceQuestion,
    WinnerRule,
    manifest_from_json,
)
from evote.ballots.plaintext import PlaintextBallot
from evote.board.board import Board
from evote.ceremony.dkg import CeremonyResult, Trustee, TrusteeShare, run_ceremony
from evote.ceremony.wire import ceremony_result_to_json
from evote.cli.progress import Progress
from evote.cli.results import mixnet_lines
from evote.cli.simulated import random_selection
from evote.cli.verify import ProgressBars, ballot_executor, format_report
from evote.cli.workspace import BOARD_FILE, BOARD_KEY_FILE, ElectionDir, read_file, write_secret
from evote.crypto.groups import DEFAULT_GROUP, Group, all_groups, group_by_name
from evote.election import Election
from evote.errors import BoardIntegrityError, EvoteError, InvalidInput
from evote.record import export_record, load_record
from evote.service.settings import read_board_key
from evote.tally import ElectionResult
from evote.tally.result import QuestionResult
from evote.tally.wire import result_to_json
from evote.tallying import board_ceremony, run_tally
from evote.verify import VerificationReport, verify_record

ELECTION_ID = "metropolis-2027"
TRUSTEES = 3
THRESHOLD = 2
ABSENT_TRUSTEE = 2
REVOTE_SHARE = 0.1

# Costs in thousands of euros: the spend proof then has 10 bits per side instead of 20.
PROJECTS = (
    ("bike-lanes", "Protected bike lanes", "Pistes cyclables protégées", 420),
    ("school-gardens", "Gardens in ten schools", "Potagers dans dix écoles", 85),
    ("library-sundays", "Libraries open on Sunday", "Bibliothèques ouvertes le dimanche", 160),
    ("street-trees", "Five hundred street trees", "Cinq cents arbres d'alignement", 250),
    ("skate-park", "A skate park in the north", "Un skatepark au nord", 190),
    ("fountains", "Benches and water fountains", "Bancs et fontaines à eau", 60),
)
BUDGET = 1000


def _text(english: str, french: str) -> dict[str, str]:
    return {"en": english, "fr": french}


def demo_manifest(group: Group) -> Manifest:
    """The demo's vote: a referendum (blank allowed) and a participatory budget."""
    opens = datetime.now(UTC).replace(microsecond=0)
    referendum = SingleChoiceQuestion(
        "tram-north",
        _text("Build the northern tram line?", "Construire la ligne de tram nord ?"),
        (Option("yes", _text("Yes", "Oui")), Option("no", _text("No", "Non"))),
        True,
    )
    budget = BudgetQuestion(
        "budget-2027",
        _text("Participatory budget (thousand euros)", "Budget participatif (milliers d'euros)"),
        tuple(Option(pid, _text(en, fr), cost) for pid, en, fr, cost in PROJECTS),
        BUDGET,
        0,
        None,
        4,
        WinnerRule.GREEDY_BY_VOTES,
    )
    return Manifest(
        election_id=ELECTION_ID,
        title=_text("Metropolis vote 2027", "Votation métropolitaine 2027"),
        opens=opens,
        closes=opens + timedelta(days=14),
        questions=(referendum, budget),
        group_name=group.name,
    )


def random_choices(rng: random.Random) -> dict[str, Any]:
    """A simulated voter's valid choices (a plain dict, cheap to send to a worker process)."""
    roll = rng.random()
    referendum: list[str] | None = None if roll < 0.05 else ["yes"] if roll < 0.6 else ["no"]
    chosen: list[str] = []
    spent = 0
    for pid, _, _, cost in rng.sample(PROJECTS, k=len(PROJECTS)):
        if len(chosen) < 4 and spent + cost <= BUDGET and rng.random() < 0.6:
            chosen.append(pid)
            spent += cost
    return {"tram-north": referendum, "budget-2027": chosen}


# -- ballot generation on all cores -----------------------------------------------------------

_WORKER: dict[str, Election] = {}


def _init_worker(election: Election) -> None:
    _WORKER["election"] = election


def _encrypt_for(job: tuple[str, dict[str, Any]]) -> bytes:
    election = _WORKER["election"]
    code, choices = job
    plaintext = PlaintextBallot.from_selection(election.manifest, choices)
    return encrypt_ballot(election, code, plaintext).canonical_bytes()


# -- the phases -------------------------------------------------------------------------------


@dataclass
class Timings:
    phases: list[tuple[str, float]] = field(default_factory=list)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        print(f"-- {name}", flush=True)
        yield
        self.phases.append((name, time.perf_counter() - started))


@dataclass(frozen=True)
class DemoOutcome:
    result: ElectionResult
    accepted: int
    revotes: int
    board_path: Path


#: A simulated voter's choices: ``{question id: selection}`` for the demo's manifest.
Chooser = Callable[[random.Random], dict[str, Any]]


def _simulated_choices(manifest: Manifest, rng: random.Random) -> dict[str, Any]:
    return dict(random_selection(manifest, rng))


def _ceremony(group: Group, election_id: str) -> tuple[CeremonyResult, tuple[Trustee, ...]]:
    result, trustees = run_ceremony(group, election_id, TRUSTEES, THRESHOLD)
    print(f"   joint key {result.joint_key.to_bytes().hex()[:16]}..., transcript"
          f" {result.transcript_hash.hex()[:16]}..., {TRUSTEES} trustees, threshold {THRESHOLD}")
    return result, trustees


def _register(group: Group, election_id: str, voters: int) -> RegistrationResult:
    voter_ids = [f"voter-{number:07d}" for number in range(1, voters + 1)]
    return Registrar.generate(group, election_id, voter_ids)


def _generate_ballots(
    election: Election, jobs: list[tuple[str, dict[str, Any]]], workers: int
) -> Iterator[bytes]:
    if workers <= 1:
        _init_worker(election)
        yield from map(_encrypt_for, jobs)
        return
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(election,)) as pool:
        yield from pool.map(_encrypt_for, jobs, chunksize=16)


def _benaloh_audit(
    board: Board, election: Election, code: str, rng: random.Random, choose: Chooser
) -> None:
    """One voter challenges their device: the spoiled ballot is opened and can never be cast."""
    plaintext = PlaintextBallot.from_selection(election.manifest, choose(rng))
    ballot, secrets = encrypt_ballot_for_audit(election, code, plaintext)
    audited = spoil_ballot(ballot, secrets)
    board.spoil(election.election_id, ballot, audited)
    check_audit(election, ballot, audited)
    try:
        board.cast(election.election_id, ballot)
    except EvoteError as refused:
        print(f"   Benaloh audit: ballot {ballot.tracking_code} opened and checked;"
              f" casting it again is refused ({type(refused).__name__})")
    else:
        raise InvalidInput("the board accepted a spoiled ballot")


def _vote(
    board: Board,
    election: Election,
    codes: list[str],
    workers: int,
    rng: random.Random,
    choose: Chooser,
) -> tuple[int, int]:
    revoters = rng.sample(codes, k=int(len(codes) * REVOTE_SHARE))
    jobs = [(code, choose(rng)) for code in codes + revoters]
    accepted = 0
    with Progress("encrypt and cast", len(jobs)) as bar:
        for data in _generate_ballots(election, jobs, workers):
            board.cast(election.election_id, data)
            accepted += 1
            bar.advance()
    _benaloh_audit(board, election, codes[0], rng, choose)
    return accepted, len(revoters)


def _tally(board: Board, election: Election, trustees: tuple[Trustee, ...]) -> ElectionResult:
    present = [trustee for trustee in trustees if trustee.index != ABSENT_TRUSTEE]
    result = run_tally(board, election.election_id, [trustee.share() for trustee in present])
    print(f"   trustees {[t.index for t in present]} decrypted; trustee {ABSENT_TRUSTEE} absent")
    return result


def run_demo(
    voters: int,
    group: Group,
    out: Path,
    workers: int,
    seed: int | None = None,
    manifest: Manifest | None = None,
) -> DemoOutcome:
    """Run the whole election; the board (SQLite) and the result are written in ``out``.

    The election is the demo's own (:func:`demo_manifest` on ``group``) unless ``manifest``
    is given: then its questions, its election id and its group, and voters' choices drawn by
    :func:`evote.cli.simulated.random_selection`.
    """
    if manifest is not None and manifest.group_name != group.name:
        raise InvalidInput(
            f"the manifest is on {manifest.group_name}, not {group.name}: leave --group out"
        )
    if voters < 2:
        raise InvalidInput(f"--voters {voters}: the demo needs at least 2 voters")
    # The demo's own costs are in thousands of euros; a manifest's in units it does not name.
    unit = " k€" if manifest is None else ""
    out.mkdir(parents=True, exist_ok=True)
    board_path = out / "board.sqlite"
    if board_path.exists():
        raise InvalidInput(f"{board_path} exists already: choose another --out directory")
    made = [path for path in _demo_files(out) if not os.path.lexists(path)]
    try:
        rng = random.Random(seed)  # noqa: S311 - simulated voters' choices, not cryptography
        timings = Timings()
        choose: Chooser
        if manifest is None:
            manifest, choose = demo_manifest(group), random_choices
        else:
            choose = partial(_simulated_choices, manifest)
        election_id = manifest.election_id
        with timings.phase("key ceremony"):
            ceremony, trustees = _ceremony(group, election_id)
        with timings.phase(f"credentials for {voters} voters"):
            registration = _register(group, election_id, voters)
        board_key = SigningKey.generate()
        election = Election.create(manifest, ceremony, registration.credential_list, board_key)
        (out / "ceremony.json").write_bytes(ceremony_result_to_json(ceremony))
        with Board(str(board_path), board_key) as board:
            with timings.phase("board setup and opening"):
                board.setup(election, ceremony)
                board.open_election(election_id)
            with timings.phase("voting"):
                accepted, revotes = _vote(
                    board, election, list(registration.codes.values()), workers, rng, choose
                )
            with timings.phase("closing"):
                board.close_election(election_id)
            with timings.phase("tally"):
                result = _tally(board, election, trustees)
            with timings.phase("export of the record"):
                record_path = export_record(
                    board, election_id, out / "record", archive=out / "record.tar.gz"
                )
        with timings.phase("evote verify"):
            report = _verify(record_path, workers)
        # The record's result.json, byte for byte: a result has one format.
        (out / "result.json").write_bytes(result_to_json(result) + b"\n")
    except BaseException:
        # A demo stopped halfway leaves nothing of its own: the same command runs again.
        _remove(made)
        raise
    print("\n" + format_report(report))
    if not report.ok or not report.complete:
        raise BoardIntegrityError("the demo's own record does not verify: see the table above")
    _print_result(manifest, result, accepted, revotes, unit)
    _print_timings(timings)
    return DemoOutcome(result, accepted, revotes, board_path)


def _demo_files(out: Path) -> list[Path]:
    """Everything the demo writes in ``out``."""
    board = out / "board.sqlite"
    sqlite_side_files = [out / f"board.sqlite{suffix}" for suffix in ("-wal", "-shm", "-journal")]
    return [board, *sqlite_side_files, out / "ceremony.json", out / "record", out / "record.tar.gz",
            out / "result.json"]  # fmt: skip


def _remove(paths: list[Path]) -> None:
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.lexists(path):
            path.unlink()


def _verify(record_path: Path, workers: int) -> VerificationReport:
    """What an auditor runs: ``evote verify`` on the exported record, on all cores."""
    record = load_record(record_path)
    bars = ProgressBars()
    try:
        with ballot_executor(workers, None) as executor:
            return verify_record(record, executor=executor, progress=bars)
    finally:
        bars.close()


def _print_result(
    manifest: Manifest, result: ElectionResult, accepted: int, revotes: int, unit: str
) -> None:
    print(f"\n{manifest.title['en']}: {accepted} ballots cast ({revotes} revotes),"
          f" {result.turnout.ballots} counted")
    for question, outcome in zip(manifest.questions, result.questions, strict=True):
        print(f"\n  {question.title['en']}")
        if question.counted_by_mixnet:
            _print_mixnet_question(question, outcome)
            continue
        for option, (_, votes) in zip(question.options, outcome.counts, strict=True):
            cost = f"  ({option.cost}{unit})" if option.cost else ""
            mark = "  *" if option.id in outcome.winners else ""
            print(f"    {option.label['en']:<32} {votes:>8}{cost}{mark}")
        if outcome.blank is not None:
            print(f"    {'blank':<32} {outcome.blank:>8}")
        if outcome.spent is not None:
            print(f"    funded (*): {', '.join(outcome.winners)}; spent {outcome.spent}{unit}")


def _print_mixnet_question(question: Question, outcome: QuestionResult) -> None:
    """Per option its ballots per grade (best first) or per rank, then the rule's outcome: the
    table `evote results` prints (one function for both)."""
    if isinstance(question, (GradesQuestion, RankingQuestion)):
        for line in mixnet_lines(question, outcome, "en"):
            print("    " + line)


def _print_timings(timings: Timings) -> None:
    print("\nphase                              seconds")
    for name, seconds in timings.phases:
        print(f"  {name:<32} {seconds:8.2f}")


def _handle(args: argparse.Namespace) -> int:
    manifest = None
    if args.manifest is not None:
        manifest = manifest_from_json(
            read_file(Path(args.manifest), "manifest", "see examples/*.json for the format")
        )
    group_name = args.group or (manifest.group_name if manifest else DEFAULT_GROUP.name)
    group = group_by_name(group_name)
    if args.voters < 2:
        raise InvalidInput(f"--voters {args.voters}: the demo needs at least 2 voters")
    workers = args.jobs if args.jobs is not None else (os.cpu_count() or 1)
    if workers < 1:
        raise InvalidInput(f"--jobs {workers}: give at least 1")
    if args.out is None:
        with tempfile.TemporaryDirectory(prefix="evote-demo-") as scratch:
            run_demo(args.voters, group, Path(scratch), workers, args.seed, manifest)
    else:
        run_demo(args.voters, group, Path(args.out), workers, args.seed, manifest)
        print(f"\nboard, ceremony and result kept in {args.out}")
    return 0


def register(commands: Any) -> None:
    parser = commands.add_parser("demo", help="run a whole election on a local SQLite board")
    parser.add_argument("--voters", type=int, default=1000, help="simulated voters (1000)")
    parser.add_argument(
        "--manifest",
        help="run this manifest's election (default: the demo's referendum and budget)",
    )
    parser.add_argument(
        "--group",
        choices=[group.name for group in all_groups()],
        help="the group (ed25519; with --manifest, the manifest's)",
    )
    parser.add_argument("--out", help="keep the board and the record in this directory")
    parser.add_argument("--jobs", type=int, help="processes that encrypt ballots (all cores)")
    parser.add_argument("--seed", type=int, help="seed of the simulated voters' choices")
    handler: Callable[[argparse.Namespace], int] = _handle
    parser.set_defaults(handler=handler)


# -- the served demo (evote serve --demo) -----------------------------------------------------
#
# The same election, open, on an embedded SQLite board in a directory, with a one-process key
# ceremony; its voters' credential codes go to ``demo-codes.txt``, one a line, written last: a
# directory that has it holds a complete demo and is reused as it is. The trustees' secret
# shares go to ``demo-only-trustee-shares.json``, so that ``evote serve --demo
# --close-and-tally`` can tally it: a real election never keeps them together (each trustee's
# share stays in their own passphrase-sealed key file, docs/ceremony.md).

CODES_FILE: Final = "demo-codes.txt"
SHARES_FILE: Final = "demo-only-trustee-shares.json"
SHARES_KIND: Final = "evote-demo-only-trustee-shares"
DEMO_GROUP: Final = "ed25519"
_READ: Final = jsonstrict.Reader(InvalidInput)


@dataclass(frozen=True, slots=True)
class ServedDemo:
    database: Path
    board_key: Path
    codes: Path
    election_id: str
    reused: bool


def prepare_served_demo(directory: Path, voters: int) -> ServedDemo:
    """The demo in ``directory``: reused if complete, else made anew (and opened)."""
    if voters < 1:
        raise InvalidInput(f"--demo-voters {voters}: give at least 1")
    directory.mkdir(parents=True, exist_ok=True)
    database, key_file, codes_file = (
        directory / BOARD_FILE, directory / BOARD_KEY_FILE, directory / CODES_FILE,
    )  # fmt: skip
    if codes_file.is_file() and database.is_file() and key_file.is_file():
        return ServedDemo(database, key_file, codes_file, ELECTION_ID, reused=True)
    if codes_file.exists():
        raise InvalidInput(
            f"{directory}: has {CODES_FILE} without its board or key; choose another --data"
        )
    # A demo stopped halfway: its board, key and shares are of no use without the codes.
    for leftover in (database, key_file, directory / SHARES_FILE):
        leftover.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    group = group_by_name(DEMO_GROUP)
    ceremony, trustees = run_ceremony(group, ELECTION_ID, TRUSTEES, THRESHOLD)
    voter_ids = [f"voter-{number:05d}" for number in range(1, voters + 1)]
    registration = Registrar.generate(group, ELECTION_ID, voter_ids)
    board_key = SigningKey.generate()
    election = Election.create(
        demo_manifest(group), ceremony, registration.credential_list, board_key
    )
    write_secret(key_file, ElectionDir.signing_key_bytes(board_key))
    with Board(str(database), board_key) as board:
        board.setup(election, ceremony)
        board.open_election(ELECTION_ID)
    write_secret(directory / SHARES_FILE, demo_shares_bytes([t.share() for t in trustees]))
    codes = "".join(f"{registration.codes[voter]}\n" for voter in voter_ids)
    write_secret(codes_file, codes.encode())
    return ServedDemo(database, key_file, codes_file, ELECTION_ID, reused=False)


def demo_shares_bytes(shares: Sequence[TrusteeShare]) -> bytes:
    """The demo's trustees' secret shares in one file (a demo only: see :data:`SHARES_FILE`)."""
    return jsonstrict.dumps(
        {
            "kind": SHARES_KIND,
            "warning": "DEMO ONLY: every trustee's secret share in one file, so that anyone"
            " holding it can decrypt every ballot; a real election never does this",
            "election_id": ELECTION_ID,
            "group": shares[0].group.name,
            "shares": [
                {"index": share.index, "share": Group.scalar_to_bytes(share.share).hex()}
                for share in shares
            ],
        }
    )


def read_demo_shares(path: Path, ceremony: CeremonyResult) -> list[TrusteeShare]:
    """The shares :func:`demo_shares_bytes` wrote, each with its verification key from the
    board's ceremony (the tally checks every share against it, docs/spec.md 9.2)."""
    where = str(path)
    if not path.is_file():
        raise InvalidInput(
            f"{path}: missing; this demo was made before its trustees' shares were kept:"
            " remove its --data directory and start 'evote serve --demo' again"
        )
    obj = _READ.object(
        jsonstrict.loads(path.read_bytes(), where), where,
        ("kind", "warning", "election_id", "group", "shares"),
    )  # fmt: skip
    if obj["kind"] != SHARES_KIND:
        _READ.fail(f"{where}.kind", f"expected {SHARES_KIND!r}")
    group = ceremony.group
    if obj["election_id"] != ELECTION_ID or obj["group"] != group.name:
        _READ.fail(where, f"not the shares of the demo election on {group.name}")
    shares = []
    for number, item in enumerate(_READ.array(obj["shares"], f"{where}.shares", 1, TRUSTEES)):
        here = f"{where}.shares[{number}]"
        fields = _READ.object(item, here, ("index", "share"))
        index = _READ.integer(fields["index"], f"{here}.index", 1, TRUSTEES)
        text = _READ.string(fields["share"], f"{here}.share", 64)
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            _READ.fail(f"{here}.share", "expected 64 hexadecimal digits")
        scalar = group.scalar_from_bytes(raw, f"{here}.share")
        shares.append(TrusteeShare(group, index, scalar, ceremony.verification_key(index)))
    return shares


def close_and_tally_served_demo(directory: Path) -> ElectionResult:
    """Close the served demo (if open) and tally it with the kept shares, trustee
    :data:`ABSENT_TRUSTEE` absent; publish the tally and the result on its board.

    Run again, it returns the published result (:func:`evote.tallying.run_tally` resumes).
    """
    database, key_file = directory / BOARD_FILE, directory / BOARD_KEY_FILE
    if not (directory / CODES_FILE).is_file() or not database.is_file():
        raise InvalidInput(f"{directory}: no served demo here ('evote serve --demo' makes one)")
    board_key = read_board_key(key_file)
    with Board(str(database), board_key) as board:
        election = board.load_election(ELECTION_ID)
        ceremony = board_ceremony(board, election)
        shares = read_demo_shares(directory / SHARES_FILE, ceremony)
        if board.head(ELECTION_ID).is_open:
            board.close_election(ELECTION_ID)
        present = [share for share in shares if share.index != ABSENT_TRUSTEE]
        return run_tally(board, ELECTION_ID, present)
