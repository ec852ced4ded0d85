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
from evote.ceremony.dkg import CeremonyResult
from evote.cli import mixing
from evote.cli.progress import Progress
from evote.cli.workspace import (
    TALLY_FORMAT,
    ElectionDir,
    collect_inputs,
    read_file,
    require_election_option,
    require_kind,
    short_hex,
    tally_from_json,
    tally_to_json,
    write_public,
)
from evote.election import Election
from evote.errors import ContextMismatch, ElectionNotOpen, EvoteError, InvalidInput
from evote.record import export_record, load_record
from evote.record.archive import write_archive
from evote.record.documents import INDEX as RECORD_INDEX
from evote.tally.decryption import DecryptionShare
from evote.tally.mixnet import check_mix_chain, mix_input_to_json, required_mixes
from evote.tally.result import ElectionResult, turnout_of
from evote.tally.wire import decryption_share_from_json, result_to_json
from evote.tallying import (
    board_ceremony,
    board_mix_input,
    combine_and_publish_combined,
    encrypted_tally,
    publish_result_of_board_tally,
    published_result,
)

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


# -- tally ------------------------------------------------------------------------------------


def _tally(args: argparse.Namespace) -> int:
    election_dir = ElectionDir(require_election_option(args))
    source, needed = None, 0
    with election_dir.board() as board:
        _require_closed(election_dir, election_dir.head(board))
        with Progress("tally: ballots", None) as bar:
            election, tally = encrypted_tally(board, election_dir.election_id, bar.advance)
        if mixing.has_mixnet_questions(election):
            source = board_mix_input(board, election)
            needed = required_mixes(board_ceremony(board, election))
    path = write_public(election_dir.tally_path, tally_to_json(election, tally))
    print(
        f"encrypted tally of {tally.ballot_count} counted ballots (total weight"
        f" {tally.total_weight}), election fingerprint {election.fingerprint.hex()}"
    )
    print(f"wrote {path}")
    if source is None:
        print(
            "next: give it and ceremony.json to the trustees; each present trustee runs"
            " 'evote trustee decrypt'; then 'evote tally combine'"
        )
        return 0
    input_path = write_public(mixing.mix_input_path(election_dir), mix_input_to_json(source))
    # The chain's folder, empty until the first mix is added: what the first mixer is given.
    mixing.mixes_dir(election_dir).mkdir(exist_ok=True)
    print(
        f"wrote {input_path}: the {source.size} answers of the questions counted by the mixnet"
        f" ({', '.join(election.manifest.questions[q].id for q in source.questions)})"
    )
    if source.size == 0:
        print(
            "no counted ballot: there is nothing to mix and the chain stays empty; next: the"
            " trustees decrypt ('evote trustee decrypt'), then 'evote tally combine'"
        )
        return 0
    print(
        f"next: at least {needed} trustees"
        " mix in turn ('evote trustee mix'), each mix collected with 'evote tally add-mix';"
        " then the trustees decrypt ('evote trustee decrypt') and 'evote tally combine'"
    )
    return 0


# -- add-mix ----------------------------------------------------------------------------------


def _add_mix(args: argparse.Namespace) -> int:
    """Check one trustee's mix against the chain collected so far and add it to the chain.

    The whole chain is checked again with the new mix (docs/spec.md 14.3: position, signature,
    distinct trustees, every proof of shuffle); a mix that does not check is refused with one
    line naming the file and the fault, and nothing is written.
    """
    election_dir = ElectionDir(require_election_option(args))
    path = Path(args.mix)
    with election_dir.board() as board:
        head = election_dir.head(board)
        _require_closed(election_dir, head)
        election = board.load_election(election_dir.election_id)
        if not mixing.has_mixnet_questions(election):
            raise InvalidInput(
                f"election {election.election_id!r} has no question counted by the mixnet:"
                " there is nothing to mix"
            )
        if head.kind is not EntryKind.CLOSE:
            raise InvalidInput(
                f"{path}: the tally is on the board already; its chain of mixes is fixed"
            )
        ceremony = board_ceremony(board, election)
        source = board_mix_input(board, election)
    chain = mixing.officer_chain(election_dir, election)
    mix = mixing.read_mix(path, election)
    data = path.read_bytes()
    target = mixing.mixes_dir(election_dir) / f"mix-{mix.position}.json"
    if mix.position <= len(chain) and target.read_bytes() == data:
        print(f"found: {target} holds this mix already")
        return _after_mix(election_dir, len(chain), ceremony)
    if mix.position != len(chain) + 1:
        raise InvalidInput(
            f"{path}: is mix {mix.position}, the chain holds {len(chain)}: the next mix is"
            f" mix {len(chain) + 1}, made on the chain's last mix"
            f" ({mixing.mixes_dir(election_dir)})"
        )
    try:
        check_mix_chain(election, ceremony, source, [*chain, mix], complete=False)
    except EvoteError as fault:
        raise type(fault)(f"{path}: refused: {fault}") from None
    write_public(target, data)
    print(f"mix {mix.position} by trustee {mix.trustee} checks: wrote {target}")
    return _after_mix(election_dir, mix.position, ceremony)


def _after_mix(election_dir: ElectionDir, mixes: int, ceremony: CeremonyResult) -> int:
    needed = required_mixes(ceremony)
    folder = mixing.mixes_dir(election_dir)
    if mixes < needed:
        print(
            f"the chain has {mixes} of the {needed} mixes needed: give a copy of the election"
            f" directory (with {folder}) to a trustee who has not mixed yet ('evote trustee mix')"
        )
    else:
        print(
            f"the chain has {mixes} mixes ({needed} needed): each present trustee decrypts"
            " ('evote trustee decrypt' with a copy of the election directory), then"
            " 'evote tally combine'"
        )
    return 0


# -- combine ----------------------------------------------------------------------------------


def _read_shares(paths: list[Path], election: Election) -> list[DecryptionShare]:
    shares = []
    for path in paths:
        data = read_file(
            path, "decryption share", "a trustee writes it with 'evote trustee decrypt'"
        )
        require_kind(data, path, "decryption-share", "'evote tally combine'")
        shares.append(
            decryption_share_from_json(data, election.group, election.election_id, str(path))
        )
    return shares


def _combine(args: argparse.Namespace) -> int:
    """Combine, or finish a combination that stopped halfway (the same command, run again).

    The step writes three times: the TALLY event, the RESULT event (each one board
    transaction), then ``result.json``. Run again after a stop, it reads where the board is
    and does what is left, from the board's own TALLY event once that is written.
    """
    election_dir = ElectionDir(require_election_option(args))
    with election_dir.board(signing=True) as board:
        head = election_dir.head(board)
        _require_closed(election_dir, head)
        if head.kind is EntryKind.CLOSE:
            result = _combine_from_shares(args, election_dir, board)
        elif head.kind is EntryKind.TALLY:
            print(
                "found: the tally is on the board but not the result: publishing the result"
                " from the board's tally"
            )
            if args.shares:
                print("the share files given are not read: the board's tally holds the shares")
            result, published = publish_result_of_board_tally(board, election_dir.election_id)
            turnout = turnout_of(published.tally)
            print(
                f"{turnout.ballots} ballots counted (weight {turnout.weight}), decrypted with"
                f" the shares of trustees {list(published.combined)} on the board"
            )
        else:
            result = published_result(board, election_dir.election_id)
            print("found: the tally and the result are on the board already")
    if _result_file_holds(election_dir.result_path, result):
        print(f"{election_dir.result_path} holds the result already")
    else:
        write_public(election_dir.result_path, _result_file(result))
        print(f"wrote {election_dir.result_path}")
    print(
        f"next: 'evote publish --election {election_dir.path} --out RECORD', then"
        " 'evote results RECORD'"
    )
    return 0


def _combine_from_shares(
    args: argparse.Namespace, election_dir: ElectionDir, board: Board
) -> ElectionResult:
    """From a closed board: check and combine the shares, publish the tally and the result."""
    tally_path = election_dir.tally_path
    tally_data = read_file(
        tally_path, "encrypted tally", f"run 'evote tally --election {election_dir.path}'"
    )
    require_kind(tally_data, tally_path, TALLY_FORMAT, "'evote tally combine'")
    _, fingerprint, tally = tally_from_json(tally_data, str(tally_path))
    shares_paths = collect_inputs(args.shares, "decryption-share-*.json", "decryption share")
    election = board.load_election(election_dir.election_id)
    if fingerprint != election.fingerprint:
        raise ContextMismatch(
            f"{tally_path}: the tally of another election (fingerprint"
            f" {short_hex(fingerprint)}); run 'evote tally --election {election_dir.path}'"
            " again and have the trustees decrypt the new file"
        )
    shares = _read_shares(shares_paths, election)
    ceremony = board_ceremony(board, election)
    mixes = None
    if mixing.has_mixnet_questions(election):
        mixes = mixing.officer_chain(election_dir, election)
        print(f"the chain of {len(mixes)} mixes ({mixing.mixes_dir(election_dir)}) is checked")
    with Progress("tally combine: ballots", None) as bar:
        result, combined = combine_and_publish_combined(
            board, election_dir.election_id, tally, shares, bar.advance, mixes=mixes
        )
    for rejection in combined.rejected:
        print(f"share of trustee {rejection.trustee} left out: {rejection.reason}")
    absent = sorted(set(ceremony.setup.indices) - {share.trustee for share in shares})
    print(
        f"decrypted with the shares of trustees {list(combined.trustees)}"
        f" (threshold {ceremony.threshold}" + (f"; absent: {absent}" if absent else "") + ")"
    )
    turnout = turnout_of(tally)
    print(
        f"{turnout.ballots} ballots counted (weight {turnout.weight}); the tally and the result"
        " are on the board"
    )
    return result


def _result_file(result: ElectionResult) -> bytes:
    """``result.json``'s bytes, the record's byte for byte: canonical JSON and a newline."""
    return result_to_json(result) + b"\n"


def _result_file_holds(path: Path, result: ElectionResult) -> bool:
    try:
        return path.read_bytes() == _result_file(result)
    except OSError:
        return False


# -- publish ----------------------------------------------------------------------------------


def _publish(args: argparse.Namespace) -> int:
    """Export the record, then the archive; run again after a stop, it writes what is missing.

    The record directory is moved into place whole (:func:`export_record`); a stop before the
    archive leaves it there, and the same command then finds it and writes the archive only.
    """
    election_dir = ElectionDir(args.election)
    out = Path(args.out)
    archive = None if args.archive is None else Path(args.archive)
    with election_dir.board(signing=True) as board:
        head = election_dir.head(board)
        if _holds_record_of(out, election_dir.election_id, head):
            print(
                f"found: {out} holds the record at board position {head.position} already:"
                + (" writing the archive" if archive is not None else " nothing to do")
            )
            written = [] if archive is None else [write_archive(out, archive)]
        else:
            with Progress("publish: board entries", head.position) as bar:
                export_record(
                    board, election_dir.election_id, out, archive=archive, progress=bar.advance
                )
            written = [out] if archive is None else [out, archive]
    print(
        f"election record of {election_dir.election_id!r} at board position {head.position}"
        f" (head {short_hex(head.chain_hash)}, last event {head.kind.value})"
    )
    if written:
        print(f"wrote {' and '.join(map(str, written))}")
    print(f"anyone can check it: 'evote verify {out}'")
    return 0


def _holds_record_of(out: Path, election_id: str, head: Head) -> bool:
    """True if ``out`` is a complete record of this election up to ``head``.

    A record of an earlier position is an error (its files would be mixed with newer ones); a
    directory that is no record is left for :func:`export_record` to refuse.
    """
    if not (out / RECORD_INDEX).is_file():
        return False
    record = load_record(out)
    if record.election.election_id != election_id:
        raise InvalidInput(
            f"{out}: holds the record of election {record.election.election_id!r}; choose"
            " another --out"
        )
    if record.entry_count != head.position:
        raise InvalidInput(
            f"{out}: holds an older record of this election ({record.entry_count} board"
            f" entries, the board has {head.position}); choose another --out"
        )
    return True


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
        nargs="*",
        metavar="FILE_OR_DIR",
        help="decryption-share-*.json files, or folders that hold them (not needed to finish"
        " a combination that stopped after the tally was on the board)",
    )
    combine_handler: Handler = _combine
    combine.set_defaults(handler=combine_handler)
    add_mix = steps.add_parser(
        "add-mix", help="check a trustee's mix and add it to the chain (tally/mixes/)"
    )
    add_mix.add_argument("--election", metavar="DIR", help="the election directory")
    add_mix.add_argument("mix", metavar="FILE", help="a trustee's mix-<k>.json")
    add_mix_handler: Handler = _add_mix
    add_mix.set_defaults(handler=add_mix_handler)

    publish = commands.add_parser("publish", help="export the election record")
    publish.add_argument("--election", required=True, metavar="DIR", help="the election directory")
    publish.add_argument("--out", required=True, metavar="RECORD", help="a new record directory")
    publish.add_argument(
        "--archive", metavar="FILE", help="also one archive file (.tar.gz or .zip)"
    )
    publish_handler: Handler = _publish
    publish.set_defaults(handler=publish_handler)
