"""``evote election init|attach-ceremony|open|close`` and ``evote cast`` (tests, demonstrations).

The officer's steps on the election directory (:mod:`evote.cli.workspace`); the runbook is
docs/ceremony.md. Opening records the election on the board (the setup entry binds the
manifest, the joint key, the ceremony digest and the credential list through the fingerprint)
and opens it; nothing in the directory can change the election afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey

from evote import jsonstrict
from evote.ballots.credentials import CredentialKey
from evote.ballots.encrypted import encrypt_ballot
from evote.ballots.manifest import manifest_from_json
from evote.ballots.plaintext import PlaintextBallot
from evote.board.board import Board
from evote.board.chain import EntryKind
from evote.board.receipt import Receipt
from evote.board.storage import check_storage
from evote.ceremony.dkg import check_ceremony_result
from evote.ceremony.wire import ceremony_result_from_json, ceremony_result_to_json
from evote.cli.workspace import (
    BOARD_KEY_FILE,
    CEREMONY_FILE,
    CONFIG_FILE,
    MANIFEST_FILE,
    ElectionDir,
    check_ceremony_matches,
    read_file,
    require_kind,
    write_public,
    write_secret,
)
from evote.errors import ContextMismatch, ElectionNotOpen, InvalidInput, UnknownElection

Handler = Callable[[argparse.Namespace], int]


def _election_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--election", required=True, metavar="DIR", help="the election directory")


# -- init -------------------------------------------------------------------------------------


def _init(args: argparse.Namespace) -> int:
    """Write the manifest, the board key, then election.json (last: it marks the directory).

    A stop before election.json leaves a directory that the same command completes: it keeps
    a board key already written and the manifest if it is the same one.
    """
    manifest_path = Path(args.manifest)
    manifest = manifest_from_json(
        read_file(manifest_path, "manifest", "see examples/*.json for the format")
    )
    target = Path(args.election)
    if (target / CONFIG_FILE).exists():
        raise InvalidInput(
            f"{target}: an election directory is already there; choose another --election"
        )
    left = _half_initialised(target, manifest.to_json())
    if left:
        print(f"found: {target} was left half-initialised ({', '.join(left)}): completing it")
    elif target.exists() and any(target.iterdir()):
        raise InvalidInput(f"{target}: the directory is not empty; choose a new --election")
    if args.database is not None:
        check_storage(args.database)  # a wrong URL, password or server: said now, not later
    target.mkdir(parents=True, exist_ok=True)
    write_public(target / MANIFEST_FILE, manifest.to_json())
    if not (target / BOARD_KEY_FILE).exists():
        write_secret(target / BOARD_KEY_FILE, ElectionDir.signing_key_bytes(SigningKey.generate()))
    write_public(
        target / CONFIG_FILE, ElectionDir.config_bytes(manifest.election_id, args.database)
    )
    print(
        f"election {manifest.election_id!r} ({manifest.group.name},"
        f" {len(manifest.questions)} questions) initialised in {target}"
    )
    print(f"manifest digest {manifest.digest().hex()}")
    print(f"secret: {target / BOARD_KEY_FILE} (the board's signing key, mode 0600)")
    print(
        "next: the trustees run the key ceremony ('evote trustee init ...'); the registrar"
        " runs 'evote credentials generate'"
    )
    return 0


def _half_initialised(target: Path, manifest_bytes: bytes) -> list[str]:
    """The files an interrupted ``election init`` of this manifest left in ``target``.

    Empty if ``target`` holds anything else (another manifest, other files): then it is not
    ours to complete.
    """
    if not target.is_dir():
        return []
    names = sorted(path.name for path in target.iterdir())
    if not names or not set(names) <= {MANIFEST_FILE, BOARD_KEY_FILE}:
        return []
    manifest = target / MANIFEST_FILE
    if manifest.exists() and manifest.read_bytes() != manifest_bytes:
        return []
    return names


# -- attach-ceremony --------------------------------------------------------------------------


def _attach_ceremony(args: argparse.Namespace) -> int:
    election_dir = ElectionDir(args.election)
    manifest = election_dir.manifest()
    source = Path(args.ceremony)
    data = read_file(source, "ceremony result", "it is written by 'evote ceremony finalize'")
    require_kind(data, source, "ceremony-result", "'evote election attach-ceremony'")
    ceremony = ceremony_result_from_json(data, str(source))
    check_ceremony_result(ceremony)
    check_ceremony_matches(ceremony, manifest, str(source))
    election_dir.refuse_if_on_board("its ceremony result")
    target = election_dir.path / CEREMONY_FILE
    changed = target.exists() and target.read_bytes() != ceremony_result_to_json(ceremony)
    if changed and not args.replace:
        raise InvalidInput(
            f"{target}: another ceremony result is attached; pass --replace to change it"
        )
    write_public(target, ceremony_result_to_json(ceremony))
    setup = ceremony.setup
    print(f"ceremony of {setup.trustee_count} trustees (threshold {setup.threshold}) attached")
    print(f"joint public key {ceremony.joint_key.to_bytes().hex()}")
    print(f"transcript hash  {ceremony.transcript_hash.hex()}")
    print(
        "check: every trustee confirmed this transcript hash ('evote trustee receive' printed it)"
    )
    return 0


# -- open / close -----------------------------------------------------------------------------


def _open(args: argparse.Namespace) -> int:
    election_dir = ElectionDir(args.election)
    election = election_dir.election()
    ceremony = election_dir.ceremony()
    with election_dir.board(signing=True) as board:
        # Two board writes, the setup entry then the open event: after a stop between them
        # the same command finds the setup entry and opens.
        try:
            head = board.head(election.election_id)
        except UnknownElection:
            board.setup(election, ceremony)
            head = board.head(election.election_id)
        else:
            if head.kind is EntryKind.SETUP:
                print("found: the election is on the board but not open: opening it")
        recorded = board.load_election(election.election_id)
        if recorded.fingerprint != election.fingerprint:
            raise ContextMismatch(
                f"election {election.election_id!r}: the board holds fingerprint"
                f" {recorded.fingerprint.hex()}, the files in {election_dir.path} give"
                f" {election.fingerprint.hex()}: restore the files the election was set up with"
            )
        if head.kind is not EntryKind.SETUP:
            raise ElectionNotOpen(
                f"election {election.election_id!r} was opened already (last event:"
                f" {head.kind.value}); nothing to do"
            )
        checkpoint = board.open_election(election.election_id)
        launch_code = board.setup_record(election.election_id).launch_code
    _warn_outside_dates(election.manifest.opens, election.manifest.closes, _now())
    print(f"election {election.election_id!r} is open")
    print(f"fingerprint {election.fingerprint.hex()}")
    print(f"board key {election.board_key.hex()}")
    print(f"launch code {launch_code}; {len(election.credentials)} credentials")
    print(f"checkpoint at position {checkpoint.position}, chain hash {checkpoint.chain_hash.hex()}")
    return 0


def _now() -> datetime:
    return datetime.now(UTC)


def _warn_outside_dates(opens: datetime, closes: datetime, now: datetime) -> None:
    """A warning on stderr, not an error: the officer may open early on purpose (a rehearsal)."""
    if opens <= now <= closes:
        return
    when = "before the manifest's opening date" if now < opens else "after its closing date"
    print(
        f"evote: warning: opened at {now.isoformat(timespec='seconds')}, {when}: the manifest"
        f" says the election opens {opens.isoformat()} and closes {closes.isoformat()}",
        file=sys.stderr,
    )


def _close(args: argparse.Namespace) -> int:
    election_dir = ElectionDir(args.election)
    with election_dir.board(signing=True) as board:
        head = election_dir.head(board)
        if head.kind is EntryKind.SETUP:
            raise ElectionNotOpen(
                f"election {election_dir.election_id!r} is not open yet: run"
                f" 'evote election open --election {election_dir.path}' first"
            )
        if not head.is_open:
            raise ElectionNotOpen(
                f"election {election_dir.election_id!r} is closed already (last event:"
                f" {head.kind.value}); next: 'evote tally --election {election_dir.path}'"
            )
        checkpoint = board.close_election(election_dir.election_id)
        cast = sum(1 for _ in board.ballot_entries(election_dir.election_id))
        counted = sum(1 for _ in board.counted_entries(election_dir.election_id))
    print(
        f"election {election_dir.election_id!r} is closed: {cast} ballots cast,"
        f" {counted} counted (the last of each credential)"
    )
    print(f"checkpoint at position {checkpoint.position}, chain hash {checkpoint.chain_hash.hex()}")
    print(f"next: 'evote tally --election {election_dir.path}'")
    return 0


# -- cast (for tests and demonstrations) ------------------------------------------------------


def _choices(text: str) -> dict[str, Any]:
    try:
        # fsencode: the argument's own bytes, so that invalid UTF-8 is named as such.
        value = jsonstrict.loads(os.fsencode(text), "--choices")
    except InvalidInput as error:
        example = """'{"question-id": ["option-id"]}'"""
        raise InvalidInput(f"{error}; give an object such as {example}") from None
    if not isinstance(value, dict):
        raise InvalidInput('--choices: expected a JSON object such as \'{"q": ["yes"]}\'')
    return value


def cast_ballot(board: Board, election_id: str, code: str, choices: dict[str, Any]) -> Receipt:
    """Encrypt and cast one ballot; return the board's signed receipt."""
    election = board.load_election(election_id)
    key = CredentialKey.derive(election.group, election_id, code)
    plaintext = PlaintextBallot.from_selection(election.manifest, choices)
    return board.cast(election_id, encrypt_ballot(election, key, plaintext))


def _cast(args: argparse.Namespace) -> int:
    election_dir = ElectionDir(args.election)
    code = os.environ.get(args.credential_env)
    if not code:
        raise InvalidInput(
            f"--credential-env {args.credential_env}: the environment variable is not set"
        )
    choices = _choices(args.choices)
    with election_dir.board(signing=True) as board:
        election_dir.head(board)
        receipt = cast_ballot(board, election_dir.election_id, code, choices)
    if args.receipt is not None:
        # The voter's proof that the board accepted the ballot (docs/spec.md section 10.5).
        write_public(Path(args.receipt), jsonstrict.dumps(receipt.to_json_obj()) + b"\n")
    print(
        jsonstrict.dumps(
            {
                "tracking_code": receipt.tracking_code,
                "position": receipt.position,
                "chain_hash": jsonstrict.b64encode(receipt.chain_hash),
            }
        ).decode()
    )
    return 0


# -- registration -----------------------------------------------------------------------------


def register(commands: Any) -> None:
    election = commands.add_parser("election", help="the officer's election steps")
    steps = election.add_subparsers(dest="step", metavar="STEP", required=True)

    init = steps.add_parser("init", help="create the election directory from a manifest")
    init.add_argument("manifest", metavar="MANIFEST", help="the manifest (JSON)")
    _election_option(init)
    init.add_argument(
        "--database",
        metavar="URL",
        help="a PostgreSQL URL for the board (default: board.sqlite in the directory); keep"
        " the password in ~/.pgpass, not in the URL",
    )
    init_handler: Handler = _init
    init.set_defaults(handler=init_handler)

    attach = steps.add_parser("attach-ceremony", help="attach the key ceremony's result")
    attach.add_argument("ceremony", metavar="CEREMONY", help="the ceremony result file")
    _election_option(attach)
    attach.add_argument("--replace", action="store_true", help="replace another attached result")
    attach_handler: Handler = _attach_ceremony
    attach.set_defaults(handler=attach_handler)

    opening = steps.add_parser("open", help="record the election on the board and open it")
    _election_option(opening)
    open_handler: Handler = _open
    opening.set_defaults(handler=open_handler)

    closing = steps.add_parser("close", help="close the election: no more ballots")
    _election_option(closing)
    close_handler: Handler = _close
    closing.set_defaults(handler=close_handler)


def register_cast(commands: Any) -> None:
    cast = commands.add_parser(
        "cast", help="encrypt and cast one ballot (for tests and demonstrations only)"
    )
    _election_option(cast)
    cast.add_argument(
        "--credential-env",
        required=True,
        metavar="NAME",
        help="the environment variable that holds the voter's credential code",
    )
    cast.add_argument(
        "--choices",
        required=True,
        metavar="JSON",
        help='the choices, e.g. \'{"tram-north": ["yes"]}\'; scores as {"q": {"option": 3}},'
        ' grades as {"q": {"option": "grade-id", ...}} (every option), a ranking as'
        ' {"q": ["option-3", "option-1"]} (most preferred first; [] ranks none); a question'
        " left out is blank if it allows blank, and refused if not (score, budget, grades and"
        " ranking questions, 'blank': false)",
    )
    cast.add_argument(
        "--receipt",
        metavar="FILE",
        help="write the board's signed receipt (JSON) to FILE, for 'evote verify-ballot --receipt'",
    )
    cast_handler: Handler = _cast
    cast.set_defaults(handler=cast_handler)
