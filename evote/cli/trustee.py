"""``evote trustee init|commit|reveal|send|receive|answer|confirm|decrypt`` and ``evote ceremony
finalize|judge``.

One trustee per machine, one folder per trustee (``--trustee DIR``): each step reads the public
files the other trustees produced at the step before (files or whole exchange folders), writes
its own public files under ``DIR/out/`` to be carried to the others, and keeps its secrets in
``DIR/key.json`` under a passphrase. The steps are those of :mod:`evote.ceremony.files`; the
runbook is docs/ceremony.md.

The passphrase is prompted on a terminal, read as one line from standard input otherwise, or
taken from the environment variable named by ``--passphrase-env``; never from the command line.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

from evote import jsonstrict
from evote.ballots.manifest import manifest_from_json
from evote.ceremony import files
from evote.ceremony.dkg import CeremonyResult, Verdict, check_ceremony_result
from evote.ceremony.keyfile import KdfStrength
from evote.ceremony.wire import ceremony_result_from_json
from evote.cli.workspace import (
    TALLY_FORMAT,
    ElectionDir,
    add_passphrase_option,
    collect_inputs,
    read_file,
    read_passphrase,
    require_kind,
    short_hex,
    tally_from_json,
    write_public,
)
from evote.crypto.groups import DEFAULT_GROUP, all_groups, group_by_name
from evote.crypto.proofs import ProofContext
from evote.errors import CeremonyError, ContextMismatch, InvalidInput, InvalidKeyFile
from evote.tally.aggregate import aggregate
from evote.tally.decryption import compute_decryption_share
from evote.tally.wire import decryption_share_to_json

Handler = Callable[[argparse.Namespace], int]
PROMPT: Final = "trustee passphrase"
_STRENGTHS: Final = {strength.value: strength for strength in KdfStrength}


def _passphrase(args: argparse.Namespace, *, confirm: bool = False) -> str:
    return read_passphrase(args, PROMPT, confirm=confirm)


def _key_strength(folder: Path) -> KdfStrength:
    """The Argon2id preset the trustee chose at init, kept when the key file is rewritten."""
    try:
        document = json.loads((folder / files.KEY_FILE).read_bytes())
        kdf = document["kdf"]
        params = (kdf["passes"], kdf["memory_kib"])
    except (OSError, ValueError, KeyError, TypeError):
        return KdfStrength.MODERATE  # the step itself reports a missing or broken key file
    for strength in KdfStrength:
        if (strength.params.passes, strength.params.memory_kib) == params:
            return strength
    return KdfStrength.MODERATE


def _wrong_passphrase(error: InvalidKeyFile, folder: Path) -> InvalidKeyFile:
    return InvalidKeyFile(
        f"{error}: type the passphrase chosen at 'evote trustee init' again; if"
        f" {folder / files.KEY_FILE} was changed, restore it from the trustee's backup"
    )


def _outputs(paths: Sequence[Path], what: str) -> None:
    for path in paths:
        print(f"wrote {path}")
    print(f"give {what} to every other trustee (and to the officer)")


# -- the ceremony steps -----------------------------------------------------------------------

_READ = jsonstrict.Reader(InvalidInput)
_NEXT: Final = {
    files.ANNOUNCED: "evote trustee commit",
    files.COMMITTED: "evote trustee reveal",
    files.REVEALED: "evote trustee send",
    files.SENT: "evote trustee receive",
    files.RECEIVED: "evote trustee answer (if a complaint names this trustee), then evote"
    " trustee confirm",
    files.CONFIRMED: "evote ceremony finalize, then evote trustee decrypt once the tally exists",
}


def _read_state(folder: Path, stage: str, action: str) -> dict[str, Any]:
    """The trustee's public state; CeremonyError naming the next step if not at ``stage``.

    Checked before the inputs are gathered, so that a step run out of order says so first.
    """
    path = folder / files.STATE_FILE
    data = read_file(path, "trustee folder", "run 'evote trustee init --trustee DIR' first")
    state = _READ.object(
        jsonstrict.loads(data, str(path)),
        str(path),
        ("group", "election_id", "index", "trustee_count", "threshold", "stage"),
    )
    if state["stage"] != stage:
        raise CeremonyError(
            f"trustee {state['index']}: cannot {action} now; it is at stage"
            f" {state['stage']!r} and its next step is {_NEXT.get(state['stage'], '?')}"
        )
    return state


def _init(args: argparse.Namespace) -> int:
    if args.manifest is not None:
        manifest = manifest_from_json(
            read_file(Path(args.manifest), "manifest", "ask the officer for it")
        )
        election_id, group = manifest.election_id, manifest.group
    elif args.election_id is not None:
        election_id, group = args.election_id, group_by_name(args.group)
    else:
        raise InvalidInput("give --manifest FILE, or --election-id ID (and --group)")
    folder = Path(args.trustee)
    passphrase = _passphrase(args, confirm=True)
    path = files.trustee_init(
        folder,
        group,
        election_id,
        args.index,
        args.trustees,
        args.threshold,
        passphrase,
        strength=_STRENGTHS[args.kdf],
    )
    print(
        f"trustee {args.index} of {args.trustees} (threshold {args.threshold}) for election"
        f" {election_id!r} on {group.name}"
    )
    print(f"secret: {folder / files.KEY_FILE} (keep it and a backup; never send it)")
    _outputs([path], "this announcement")
    print("next: 'evote trustee commit' with every trustee's announce-*.json")
    return 0


def _commit(args: argparse.Namespace) -> int:
    folder = Path(args.trustee)
    _read_state(folder, files.ANNOUNCED, "commit")
    inputs = collect_inputs(args.inputs, "announce-*.json", "announcement")
    passphrase = _passphrase(args)
    try:
        path = files.trustee_commit(folder, inputs, passphrase, strength=_key_strength(folder))
    except InvalidKeyFile as error:
        raise _wrong_passphrase(error, folder) from error
    _outputs([path], "this commitment hash")
    print("next: 'evote trustee reveal' with every trustee's commit-*.json")
    return 0


def _reveal(args: argparse.Namespace) -> int:
    _read_state(Path(args.trustee), files.COMMITTED, "reveal")
    inputs = collect_inputs(args.inputs, "commit-*.json", "commitment hash")
    path = files.trustee_reveal(Path(args.trustee), inputs)
    _outputs([path], "these commitments")
    print("next: 'evote trustee send' with every trustee's commitments-*.json")
    return 0


def _send(args: argparse.Namespace) -> int:
    folder = Path(args.trustee)
    _read_state(folder, files.REVEALED, "send shares")
    inputs = collect_inputs(args.inputs, "commitments-*.json", "commitments")
    passphrase = _passphrase(args)
    try:
        paths = files.trustee_send(folder, inputs, passphrase)
    except InvalidKeyFile as error:
        raise _wrong_passphrase(error, folder) from error
    _outputs(paths, "each share-<i>-to-<j>.json to trustee j (it is encrypted for j alone)")
    print("next: 'evote trustee receive' with the share files sent to this trustee")
    return 0


def _receive(args: argparse.Namespace) -> int:
    folder = Path(args.trustee)
    _read_state(folder, files.SENT, "receive shares")
    inputs = collect_inputs(args.inputs, "share-*-to-*.json", "share")
    passphrase = _passphrase(args)
    try:
        path, complaints = files.trustee_receive(
            folder, inputs, passphrase, strength=_key_strength(folder)
        )
    except InvalidKeyFile as error:
        raise _wrong_passphrase(error, folder) from error
    if complaints:
        for complaint in complaints:
            print(f"complaint about trustee {complaint.accused}: {complaint.reason}")
        print(
            "the accused trustees must answer ('evote trustee answer'); everyone then judges"
            " the answers at 'evote trustee confirm'"
        )
    else:
        print("every share received checks against its sender's commitments")
    _outputs([path], "this complaints file (sent even when it lists no complaint)")
    print(
        "next: 'evote trustee answer' if a complaints file names this trustee, then 'evote"
        " trustee confirm' with every complaints-*.json and answer-*.json"
    )
    return 0


def _optional_inputs(inputs: Sequence[str], pattern: str) -> list[Path]:
    """Like collect_inputs, but none found is fine (answers exist only after complaints)."""
    found: list[Path] = []
    for name in inputs:
        path = Path(name)
        if path.is_dir():
            found += sorted(path.glob(pattern))
        elif path.name.startswith(pattern.split("*", 1)[0]) and path.exists():
            found.append(path)
    return found


def _print_verdicts(verdicts: Sequence[Verdict]) -> None:
    for verdict in verdicts:
        print(("UPHELD: " if verdict.upheld else "dismissed: ") + verdict.describe())


def _answer(args: argparse.Namespace) -> int:
    folder = Path(args.trustee)
    _read_state(folder, files.RECEIVED, "answer complaints")
    inputs = collect_inputs(args.inputs, "complaints-*.json", "complaints")
    passphrase = _passphrase(args)
    try:
        paths = files.trustee_answer(folder, inputs, passphrase)
    except InvalidKeyFile as error:
        raise _wrong_passphrase(error, folder) from error
    if not paths:
        print("no complaint names this trustee: nothing to answer")
    else:
        _outputs(paths, "each answer (it publishes the disputed share, as the protocol wants)")
    print("next: 'evote trustee confirm' with every complaints-*.json and answer-*.json")
    return 0


def _confirm(args: argparse.Namespace) -> int:
    folder = Path(args.trustee)
    _read_state(folder, files.RECEIVED, "confirm")
    complaints = collect_inputs(args.inputs, "complaints-*.json", "complaints")
    answers = _optional_inputs(args.inputs, "answer-*.json")
    passphrase = _passphrase(args)
    try:
        path, verdicts = files.trustee_confirm(
            folder, complaints, answers, passphrase, strength=_key_strength(folder)
        )
    except InvalidKeyFile as error:
        raise _wrong_passphrase(error, folder) from error
    _print_verdicts(verdicts)
    transcript = base64.b64decode(json.loads(path.read_bytes())["transcript_hash"]).hex()
    print(f"transcript hash {transcript}")
    _outputs([path], "this confirmation")
    print("next: anyone runs 'evote ceremony finalize' with every public file")
    return 0


def _public_inputs(args: argparse.Namespace) -> tuple[list[Path], list[Path], list[Path]]:
    return (
        collect_inputs(args.inputs, "announce-*.json", "announcement"),
        collect_inputs(args.inputs, "commit-*.json", "commitment hash"),
        collect_inputs(args.inputs, "commitments-*.json", "commitments"),
    )


def _finalize(args: argparse.Namespace) -> int:
    target = Path(args.out)
    if target.exists():
        raise InvalidInput(f"{target}: a file is already there; choose another --out")
    announcements, commits, commitments = _public_inputs(args)
    confirmations = collect_inputs(args.inputs, "confirm-*.json", "confirmation")
    result = files.ceremony_finalize(
        target,
        announcements,
        commits,
        commitments,
        confirmations,
        _optional_inputs(args.inputs, "complaints-*.json"),
        _optional_inputs(args.inputs, "answer-*.json"),
    )
    setup = result.setup
    print(
        f"ceremony of election {setup.election_id!r}: {setup.trustee_count} trustees,"
        f" threshold {setup.threshold}, {len(result.confirmations)} confirmations,"
        f" {len(result.complaints)} complaints (all dismissed)"
    )
    print(f"joint public key {result.joint_key.to_bytes().hex()}")
    print(f"transcript hash  {result.transcript_hash.hex()}")
    print(f"wrote {target}; next: 'evote election attach-ceremony {target} --election DIR'")
    return 0


def _judge(args: argparse.Namespace) -> int:
    announcements, commits, commitments = _public_inputs(args)
    verdicts = files.ceremony_judge(
        announcements,
        commits,
        commitments,
        _optional_inputs(args.inputs, "complaints-*.json"),
        _optional_inputs(args.inputs, "answer-*.json"),
    )
    if not verdicts:
        print("no complaint")
        return 0
    _print_verdicts(verdicts)
    upheld = [verdict for verdict in verdicts if verdict.upheld]
    if upheld:
        print(
            "the ceremony stops: keep these files with the minutes and start again without"
            f" trustee {', '.join(str(v.accused) for v in upheld)}"
        )
        return 1
    print("the ceremony continues: every complainer takes the published share")
    return 0


# -- decrypt ----------------------------------------------------------------------------------


def _read_ceremony(path: Path) -> CeremonyResult:
    data = read_file(path, "ceremony result", "ask the officer for ceremony.json")
    result = ceremony_result_from_json(data, str(path))
    check_ceremony_result(result)
    return result


def _decrypt(args: argparse.Namespace) -> int:
    folder = Path(args.trustee)
    state = _read_state(folder, files.CONFIRMED, "decrypt")
    index = state["index"]
    tally_path = Path(args.tally)
    ceremony_path = Path(args.ceremony)
    # Each file's kind first: swapped files are named as such, not as an unknown field.
    tally_data = read_file(
        tally_path, "encrypted tally", "the officer writes it with 'evote tally'"
    )
    require_kind(tally_data, tally_path, TALLY_FORMAT, "--tally", {"ceremony-result": "--ceremony"})
    require_kind(
        read_file(ceremony_path, "ceremony result", "ask the officer for ceremony.json"),
        ceremony_path,
        "ceremony-result",
        "--ceremony",
        {TALLY_FORMAT: "--tally"},
    )
    ceremony = _read_ceremony(ceremony_path)
    election_id, fingerprint, tally = tally_from_json(tally_data, str(tally_path))
    setup = ceremony.setup
    if (election_id, tally.group) != (setup.election_id, setup.group) or (
        state["election_id"],
        state["group"],
    ) != (setup.election_id, setup.group.name):
        raise ContextMismatch(
            f"{tally_path}: the tally ({election_id!r}, {tally.group.name}), the ceremony"
            f" ({setup.election_id!r}) and the trustee ({state['election_id']!r}) must be of"
            " one election"
        )
    if args.election is not None:
        _check_tally_against_board(ElectionDir(args.election), fingerprint, tally)
    _confirm_decryption(args, index, election_id, fingerprint, tally)
    passphrase = _passphrase(args)
    key_path = folder / files.KEY_FILE
    try:
        share = files.read_share_key_file(key_path, passphrase, ceremony, index)
    except InvalidKeyFile as error:
        raise _wrong_passphrase(error, folder) from error
    decryption = compute_decryption_share(
        setup.group,
        share.share,
        index,
        share.verification_key,
        tally,
        ProofContext(fingerprint, ()),
    )
    out = Path(args.out) if args.out else folder / files.OUT_DIR / f"decryption-share-{index}.json"
    write_public(out, decryption_share_to_json(setup.group, election_id, decryption))
    print(
        f"trustee {index} decrypted the tally of {tally.ballot_count} ballots (weight"
        f" {tally.total_weight}), election fingerprint {short_hex(fingerprint)}"
    )
    print(f"wrote {out}; give it to the officer ('evote tally combine')")
    return 0


def _confirm_decryption(
    args: argparse.Namespace, index: int, election_id: str, fingerprint: bytes, tally: Any
) -> None:
    """Show what is about to be decrypted and ask before the passphrase unlocks the key.

    The trustee compares the full fingerprint and the ballot count with the published ones
    (docs/ceremony.md, section 6); ``--yes`` skips the question for scripts. Without a
    terminal the answer is one line of standard input (the passphrase may follow).
    """
    print(
        f"trustee {index}: decrypt the tally of election {election_id!r}:"
        f" {tally.ballot_count} counted ballots (total weight {tally.total_weight}),"
        f" election fingerprint {fingerprint.hex()}"
    )
    if args.yes:
        return
    question = "do the fingerprint and the number of ballots match the published ones? [y/N] "
    if sys.stdin.isatty():
        answer = input(question)
    else:
        print(question, end="", flush=True)
        answer = sys.stdin.readline().strip()
        print()
    if answer.lower() not in ("y", "yes"):
        raise InvalidInput(
            "decryption not confirmed: nothing decrypted (answer 'y' to decrypt, or pass --yes)"
        )


def _check_tally_against_board(election_dir: ElectionDir, fingerprint: bytes, tally: Any) -> None:
    """Recompute the tally from the board: a trustee decrypts only the product of the ballots."""
    with election_dir.board() as board:
        election = board.load_election(election_dir.election_id)
        recomputed = aggregate(election, board.counted_ballots(election_dir.election_id))
    if election.fingerprint != fingerprint or recomputed != tally:
        raise ContextMismatch(
            "the encrypted tally is not the product of the counted ballots on the board:"
            " do not decrypt it; ask the officer to run 'evote tally' again"
        )


# -- registration -----------------------------------------------------------------------------


def _trustee_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--trustee", required=True, metavar="DIR", help="this trustee's folder")


def _inputs(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="FILE_OR_DIR",
        help=f"{what} files, or folders that hold them",
    )


def register(commands: Any) -> None:
    trustee = commands.add_parser("trustee", help="a trustee's ceremony and decryption steps")
    steps = trustee.add_subparsers(dest="step", metavar="STEP")
    steps.required = True

    init = steps.add_parser("init", help="create this trustee's folder, key file, announcement")
    _trustee_option(init)
    init.add_argument("--manifest", metavar="FILE", help="the election's manifest")
    init.add_argument("--election-id", metavar="ID", help="the election id (without --manifest)")
    init.add_argument(
        "--group",
        default=DEFAULT_GROUP.name,
        choices=[g.name for g in all_groups()],
        help="the group (without --manifest; ed25519)",
    )
    init.add_argument("--index", type=int, required=True, help="this trustee's number, 1 to n")
    init.add_argument("--trustees", type=int, required=True, metavar="N", help="trustees (n)")
    init.add_argument(
        "--threshold",
        type=int,
        required=True,
        metavar="T",
        help="trustees needed to decrypt (t)",
    )
    init.add_argument(
        "--kdf",
        default=KdfStrength.MODERATE.value,
        choices=sorted(_STRENGTHS),
        help="cost of the passphrase hashing (moderate; interactive for tests)",
    )
    add_passphrase_option(init)
    init_handler: Handler = _init
    init.set_defaults(handler=init_handler)

    for name, handler, what, passphrase in (
        ("commit", _commit, "every trustee's announce-*.json", True),
        ("reveal", _reveal, "every trustee's commit-*.json", False),
        ("send", _send, "every trustee's commitments-*.json", True),
        ("receive", _receive, "the share-*-to-<i>.json", True),
        ("answer", _answer, "every trustee's complaints-*.json", True),
        ("confirm", _confirm, "every complaints-*.json and answer-*.json", True),
    ):
        step = steps.add_parser(name, help=f"the ceremony step that reads {what}")
        _trustee_option(step)
        _inputs(step, what)
        if passphrase:
            add_passphrase_option(step)
        step.set_defaults(handler=handler)

    decrypt = steps.add_parser("decrypt", help="compute this trustee's decryption share")
    _trustee_option(decrypt)
    decrypt.add_argument("--tally", required=True, metavar="FILE", help="encrypted-tally.json")
    decrypt.add_argument("--ceremony", required=True, metavar="FILE", help="ceremony.json")
    decrypt.add_argument(
        "--election",
        metavar="DIR",
        help="an election directory (or copy) whose board the tally is checked against first",
    )
    decrypt.add_argument("--out", metavar="FILE", help="where to write the share (out/)")
    decrypt.add_argument(
        "--yes",
        action="store_true",
        help="do not ask for confirmation after showing the fingerprint and ballot count"
        " (for scripts; check them another way)",
    )
    add_passphrase_option(decrypt)
    decrypt_handler: Handler = _decrypt
    decrypt.set_defaults(handler=decrypt_handler)

    ceremony = commands.add_parser("ceremony", help="the ceremony's public result")
    ceremony_steps = ceremony.add_subparsers(dest="step", metavar="STEP")
    ceremony_steps.required = True
    finalize = ceremony_steps.add_parser(
        "finalize", help="check every public file and write the ceremony result"
    )
    finalize.add_argument("--out", required=True, metavar="FILE", help="the result file")
    _inputs(finalize, "the announce, commit, commitments, complaints, answer and confirm")
    finalize_handler: Handler = _finalize
    finalize.set_defaults(handler=finalize_handler)
    judge = ceremony_steps.add_parser(
        "judge", help="judge the complaints from the public files (exit 1 names a cheater)"
    )
    _inputs(judge, "the announce, commit, commitments, complaints and answer")
    judge_handler: Handler = _judge
    judge.set_defaults(handler=judge_handler)
