"""``evote tally``, ``evote tally combine`` and ``evote publish``: the officer's last steps.

``evote tally`` multiplies the counted ballots of a closed election into the encrypted tally
and writes it for the trustees; each present trustee returns a decryption share
(``evote trustee decrypt``); ``evote tally combine`` checks the shares, combines any t valid
ones, solves the counts, computes the result and puts the tally and the result on the board;
``evote publish`` exports the election record that anyone can verify (``evote verify``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evote.board.board import Board
from evote.board.chain import EntryKind
from evote.board.store import Head
from evote.cli.workspace import (
    ElectionDir,
    collect_inputs,
    read_file,
    require_election_option,
    short_hex,
    tally_from_json,
    tally_to_json,
    write_public,
)
from evote.election import Election
from evote.errors import ContextMismatch, ElectionNotOpen
from evote.record import export_record, publish_result, publish_tally
from evote.tally.aggregate import EncryptedTally, aggregate
from evote.tally.decryption import DecryptionShare
from evote.tally.result import check_result, compute_result, decrypt_counts, turnout_of
from evote.tally.wire import decryption_share_from_json, result_to_json

Handler = Callable[[argparse.Namespace], int]


def _require_closed(election_dir: ElectionDir, head: Head) -> None:
    if head.kind is EntryKind.SETUP:
        raise ElectionNotOpen(
            f"election {election_dir.election_id!r} was never opened: run 'evote election open"
            f" --election {election_dir.path}', let the voters vote, then close it"
        )
    if head.is_open:
        raise ElectionNotOpen(
            f"election {election_dir.election_id!r} is still open: run 'evote election close"
            f" --election {election_dir.path}' first"
        )


def _board_tally(board: Board, election_dir: ElectionDir) -> tuple[Election, EncryptedTally]:
    election = board.load_election(election_dir.election_id)
    return election, aggregate(election, board.counted_ballots(election_dir.election_id))


# -- tally ------------------------------------------------------------------------------------


def _tally(args: argparse.Namespace) -> int:
    election_dir = ElectionDir(require_election_option(args))
    with election_dir.board() as board:
        _require_closed(election_dir, election_dir.head(board))
        election, tally = _board_tally(board, election_dir)
    path = write_public(election_dir.tally_path, tally_to_json(election, tally))
    print(
        f"encrypted tally of {tally.ballot_count} counted ballots (total weight"
        f" {tally.total_weight}), election fingerprint {election.fingerprint.hex()}"
    )
    print(f"wrote {path}")
    print(
        "next: give it and ceremony.json to the trustees; each present trustee runs"
        " 'evote trustee decrypt'; then 'evote tally combine'"
    )
    return 0


# -- combine ----------------------------------------------------------------------------------


def _read_shares(paths: list[Path], election: Election) -> list[DecryptionShare]:
    shares = []
    for path in paths:
        data = read_file(
            path, "decryption share", "a trustee writes it with 'evote trustee decrypt'"
        )
        shares.append(
            decryption_share_from_json(data, election.group, election.election_id, str(path))
        )
    return shares


def _combine(args: argparse.Namespace) -> int:
    election_dir = ElectionDir(require_election_option(args))
    tally_path = election_dir.tally_path
    election_id, fingerprint, tally = tally_from_json(
        read_file(
            tally_path, "encrypted tally", f"run 'evote tally --election {election_dir.path}'"
        ),
        str(tally_path),
    )
    ceremony = election_dir.ceremony()
    shares_paths = collect_inputs(args.shares, "decryption-share-*.json", "decryption share")
    with election_dir.board(signing=True) as board:
        head = election_dir.head(board)
        _require_closed(election_dir, head)
        if head.kind is not EntryKind.CLOSE:
            raise ElectionNotOpen(
                f"election {election_id!r}: the tally is already on the board (last event:"
                f" {head.kind.value}); next: 'evote publish --election {election_dir.path}'"
            )
        election, recomputed = _board_tally(board, election_dir)
        if recomputed != tally or fingerprint != election.fingerprint:
            raise ContextMismatch(
                f"{tally_path}: not the tally of the counted ballots on the board; run"
                f" 'evote tally --election {election_dir.path}' again and have the trustees"
                " decrypt the new file"
            )
        if ceremony.transcript_hash != election.ceremony_digest:
            raise ContextMismatch(
                f"{election_dir.path}/ceremony.json: not the ceremony the election was opened"
                " with; restore the attached file"
            )
        shares = _read_shares(shares_paths, election)
        counts, combined = decrypt_counts(
            election.manifest,
            tally,
            shares,
            ceremony.threshold,
            ceremony.verification_key_map(),
            election.proof_context(),
        )
        turnout = turnout_of(tally)
        result = compute_result(election.manifest, counts, turnout)
        check_result(election.manifest, counts, turnout, result)
        publish_tally(board, election, ceremony, tally, shares, combined)
        publish_result(board, election, result)
    write_public(election_dir.result_path, result_to_json(result))
    for rejection in combined.rejected:
        print(f"share of trustee {rejection.trustee} left out: {rejection.reason}")
    absent = sorted(set(ceremony.setup.indices) - {share.trustee for share in shares})
    print(
        f"decrypted with the shares of trustees {list(combined.trustees)}"
        f" (threshold {ceremony.threshold}" + (f"; absent: {absent}" if absent else "") + ")"
    )
    print(
        f"{turnout.ballots} ballots counted (weight {turnout.weight}); the tally and the result"
        f" are on the board; wrote {election_dir.result_path}"
    )
    print(
        f"next: 'evote publish --election {election_dir.path} --out RECORD', then"
        " 'evote results RECORD'"
    )
    return 0


# -- publish ----------------------------------------------------------------------------------


def _publish(args: argparse.Namespace) -> int:

    election_dir = ElectionDir(args.election)
    with election_dir.board(signing=True) as board:
        head = election_dir.head(board)
        path = export_record(
            board,
            election_dir.election_id,
            Path(args.out),
            archive=None if args.archive is None else Path(args.archive),
        )
    print(
        f"election record of {election_dir.election_id!r} at board position {head.position}"
        f" (head {short_hex(head.chain_hash)}, last event {head.kind.value})"
    )
    print(f"wrote {path}" + (f" and {args.archive}" if args.archive else ""))
    print(f"anyone can check it: 'evote verify {path}'")
    return 0


# -- registration -----------------------------------------------------------------------------


def register(commands: Any) -> None:
    tally = commands.add_parser("tally", help="the encrypted tally (and 'tally combine')")
    tally.add_argument("--election", metavar="DIR", help="the election directory")
    tally_handler: Handler = _tally
    tally.set_defaults(handler=tally_handler)
    steps = tally.add_subparsers(dest="step", metavar="STEP")
    combine = steps.add_parser(
        "combine", help="combine the trustees' decryption shares into the result"
    )
    combine.add_argument("--election", metavar="DIR", help="the election directory")
    combine.add_argument(
        "shares",
        nargs="+",
        metavar="FILE_OR_DIR",
        help="decryption-share-*.json files, or folders that hold them",
    )
    combine_handler: Handler = _combine
    combine.set_defaults(handler=combine_handler)

    publish = commands.add_parser("publish", help="export the election record")
    publish.add_argument("--election", required=True, metavar="DIR", help="the election directory")
    publish.add_argument("--out", required=True, metavar="RECORD", help="a new record directory")
    publish.add_argument(
        "--archive", metavar="FILE", help="also one archive file (.tar.gz or .zip)"
    )
    publish_handler: Handler = _publish
    publish.set_defaults(handler=publish_handler)
