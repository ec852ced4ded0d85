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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final, TypeVar

from evote.ballots.manifest import manifest_from_json
from evote.ceremony import files, stages
from evote.ceremony.dkg import CeremonyResult, Verdict, check_ceremony_result
from evote.ceremony.keyfile import KdfStrength
from evote.ceremony.wire import ceremony_result_from_json
from evote.cli import mixing
from evote.cli.progress import Progress
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
from evote.election import Election
from evote.errors import ContextMismatch, InvalidInput, InvalidKeyFile
from evote.tally.mixnet import (
    Mix,
    MixInput,
    check_mix_chain,
    compute_mix,
    compute_mixed_share,
    mix_to_json,
)
from evote.tally.wire import decryption_share_to_json
from evote.tallying import (
    board_ceremony,
    board_mix_input,
    decryption_share_of,
    encrypted_tally,
)

Handler = Callable[[argparse.Namespace], int]
_T = TypeVar("_T")
PROMPT: Final = "trustee passphrase"
_STRENGTHS: Final = {strength.value: strength for strength in KdfStrength}


def _passphrase(args: argparse.Namespace, *, confirm: bool = False) -> str:
    return read_passphrase(args, PROMPT, confirm=confirm)


def _wrong_passphrase(error: InvalidKeyFile, folder: Path) -> InvalidKeyFile:
    return InvalidKeyFile(
        f"{error}: type the passphrase chosen at 'evote trustee init' again; if"
        f" {folder / files.KEY_FILE} was changed, restore it from the trustee's backup"
    )


# -- the ceremony steps -----------------------------------------------------------------------
#
# Each command is a face over one step of the state machine (evote.ceremony.stages) kept in the
# trustee's folder (evote.ceremony.files): finish a step found stopped halfway, check that this
# step may run now, gather its inputs, run it, say what it wrote, to whom, and what comes next.


@dataclass(frozen=True)
class _Face:
    """What one step's command reads, and what it tells the trustee to do with its output."""

    pattern: str
    what: str
    give: str
    then: str  # what the next step reads

    def next_line(self, step: stages.Step) -> str:
        if step == stages.MIX:
            return (
                "next: the officer adds it to the chain; the next trustee mixes on the chain,"
                " then each present trustee runs 'evote trustee decrypt'"
            )
        if step.gives == stages.Stage.CONFIRMED:
            return "next: anyone runs 'evote ceremony finalize' with every public file"
        if step == stages.ANSWER:  # the stage stays; what is left of it is the confirmation
            return f"next: '{stages.CONFIRM.command}' with {self.then}"
        return f"next: '{stages.next_step(step.gives)}' with {self.then}"


_FACES: Final = {
    stages.INIT: _Face(
        "", "", "give this announcement to every other trustee", "every announce-*.json"
    ),
    stages.COMMIT: _Face(
        "announce-*.json",
        "announcement",
        "give this commitment hash to every other trustee",
        "every trustee's commit-*.json",
    ),
    stages.REVEAL: _Face(
        "commit-*.json",
        "commitment hash",
        "give these commitments to every other trustee",
        "every trustee's commitments-*.json",
    ),
    stages.SEND: _Face(
        "commitments-*.json",
        "commitments",
        "give each share-<i>-to-<j>.json to trustee j only (it is encrypted for j alone)",
        "the share files sent to this trustee",
    ),
    stages.RECEIVE: _Face(
        "share-*-to-*.json",
        "share",
        "give this complaints file to every other trustee (sent even when it lists no"
        " complaint)",
        "every complaints-*.json and answer-*.json",
    ),
    stages.ANSWER: _Face(
        "complaints-*.json",
        "complaints",
        "give each answer to every other trustee (it publishes the disputed share, as the"
        " protocol wants)",
        "every complaints-*.json and answer-*.json",
    ),
    stages.CONFIRM: _Face(
        "complaints-*.json",
        "complaints",
        "give this confirmation to every other trustee and to the officer",
        "",
    ),
    stages.MIX: _Face(
        "mix-*.json",
        "mix",
        "give this mix to the officer ('evote tally add-mix')",
        "",
    ),
}


def _outputs(step: stages.Step, paths: Sequence[Path]) -> None:
    face = _FACES[step]
    for path in paths:
        print(f"wrote {path}")
    if paths:
        print(face.give)
    print(face.next_line(step))


def _finished(args: argparse.Namespace, step: stages.Step) -> bool:
    """Finish a step found stopped halfway; True if it was this very one (nothing left to do).

    Otherwise ``step`` must be allowed now (checked before its inputs are gathered, so that a
    step run out of order says so first).
    """
    folder = Path(args.trustee)
    completed = files.complete_pending(folder)
    if completed is not None:
        print(
            f"found: '{completed.step.command}' had stopped halfway after deciding what to"
            " write: its files are written now"
        )
        if completed.step == step:
            _outputs(step, completed.outputs)
            return True
    if step != stages.INIT:
        files.check_step(folder, step)
    return False


def _inputs_of(args: argparse.Namespace, step: stages.Step) -> list[Path]:
    face = _FACES[step]
    return collect_inputs(args.inputs, face.pattern, face.what)


def _with_passphrase(args: argparse.Namespace, run: Callable[[str], _T]) -> _T:
    """``run`` with the passphrase read once; a wrong one says how to recover."""
    passphrase = _passphrase(args)
    try:
        return run(passphrase)
    except InvalidKeyFile as error:
        raise _wrong_passphrase(error, Path(args.trustee)) from error


def _init(args: argparse.Namespace) -> int:
    folder = Path(args.trustee)
    if _finished(args, stages.INIT):
        return 0
    if args.manifest is not None:
        manifest = manifest_from_json(
            read_file(Path(args.manifest), "manifest", "ask the officer for it")
        )
        election_id, group = manifest.election_id, manifest.group
    elif args.election_id is not None:
        election_id, group = args.election_id, group_by_name(args.group)
    else:
        raise InvalidInput("give --manifest FILE, or --election-id ID (and --group)")
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
    _outputs(stages.INIT, [path])
    return 0


def _commit(args: argparse.Namespace) -> int:
    if _finished(args, stages.COMMIT):
        return 0
    inputs = _inputs_of(args, stages.COMMIT)
    path = _with_passphrase(args, lambda p: files.trustee_commit(args.trustee, inputs, p))
    _outputs(stages.COMMIT, [path])
    return 0


def _reveal(args: argparse.Namespace) -> int:
    if _finished(args, stages.REVEAL):
        return 0
    path = files.trustee_reveal(args.trustee, _inputs_of(args, stages.REVEAL))
    _outputs(stages.REVEAL, [path])
    return 0


def _send(args: argparse.Namespace) -> int:
    if _finished(args, stages.SEND):
        return 0
    inputs = _inputs_of(args, stages.SEND)
    paths = _with_passphrase(args, lambda p: files.trustee_send(args.trustee, inputs, p))
    _outputs(stages.SEND, paths)
    return 0


def _receive(args: argparse.Namespace) -> int:
    if _finished(args, stages.RECEIVE):
        return 0
    inputs = _inputs_of(args, stages.RECEIVE)
    path, complaints = _with_passphrase(
        args, lambda p: files.trustee_receive(args.trustee, inputs, p)
    )
    if complaints:
        for complaint in complaints:
            print(f"complaint about trustee {complaint.accused}: {complaint.reason}")
        print(
            "the accused trustees must answer ('evote trustee answer'); everyone then judges"
            " the answers at 'evote trustee confirm'"
        )
    else:
        print("every share received checks against its sender's commitments")
    _outputs(stages.RECEIVE, [path])
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
    if _finished(args, stages.ANSWER):
        return 0
    inputs = _inputs_of(args, stages.ANSWER)
    paths = _with_passphrase(args, lambda p: files.trustee_answer(args.trustee, inputs, p))
    if not paths:
        print("no complaint names this trustee: nothing to answer")
    _outputs(stages.ANSWER, paths)
    return 0


def _confirm(args: argparse.Namespace) -> int:
    if _finished(args, stages.CONFIRM):
        return 0
    complaints = _inputs_of(args, stages.CONFIRM)
    answers = _optional_inputs(args.inputs, "answer-*.json")
    path, verdicts = _with_passphrase(
        args, lambda p: files.trustee_confirm(args.trustee, complaints, answers, p)
    )
    _print_verdicts(verdicts)
    transcript = base64.b64decode(json.loads(path.read_bytes())["transcript_hash"]).hex()
    print(f"transcript hash {transcript}")
    _outputs(stages.CONFIRM, [path])
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


# -- mix --------------------------------------------------------------------------------------


def _mix(args: argparse.Namespace) -> int:
    """Shuffle the last mix's outputs (or the mix input) with a proof: mix k of the chain.

    The mix input is recomputed from the board of ``--election`` (a copy of the election
    directory, ``board-key.json`` not needed); the chain so far (its ``tally/mixes/``) is
    checked before this trustee mixes on it (docs/spec.md 14.2, 14.3). The mix reveals
    nothing: no question is asked before the passphrase unlocks the share that signs it.
    """
    folder = Path(args.trustee)
    if _finished(args, stages.MIX):
        return 0
    state = files.check_step(folder, stages.MIX)
    election_dir = ElectionDir(args.election)
    with election_dir.board() as board:
        mixing.require_closed(election_dir, board)
        election = board.load_election(election_dir.election_id)
        if (election.election_id, election.group.name) != (state.election_id, state.group):
            raise ContextMismatch(
                f"{election_dir.path}: election {election.election_id!r} on"
                f" {election.group.name}; trustee {state.index} is of {state.election_id!r}"
            )
        if not mixing.has_mixnet_questions(election):
            raise InvalidInput(
                f"election {election.election_id!r} has no question counted by the mixnet:"
                " there is nothing to mix; decrypt the tally ('evote trustee decrypt')"
            )
        ceremony = board_ceremony(board, election)
        source = board_mix_input(board, election)
    previous = mixing.officer_chain(election_dir, election)
    superseded = mixing.superseded_mixes(files.written_mixes(folder), previous, state.index)
    files.check_no_waiting_mix(folder, state.index, superseded)
    share = _with_passphrase(
        args,
        lambda p: files.read_share_key_file(folder / files.KEY_FILE, p, ceremony, state.index),
    )
    print(
        f"checking the {len(previous)} mixes before this one, then shuffling and proving"
        f" {source.size} answers (a few milliseconds per answer and option on ed25519)",
        flush=True,
    )
    mix = compute_mix(election, ceremony, share, source, previous)
    path = files.trustee_write_mix(folder, mix.position, mix_to_json(mix), superseded)
    questions = ", ".join(election.manifest.questions[q].id for q in source.questions)
    print(
        f"trustee {state.index} made mix {mix.position} of the {source.size} answers of"
        f" {questions}, election fingerprint {short_hex(election.fingerprint)}"
    )
    _outputs(stages.MIX, [path])
    return 0


# -- decrypt ----------------------------------------------------------------------------------


def _read_ceremony(path: Path) -> CeremonyResult:
    data = read_file(path, "ceremony result", "ask the officer for ceremony.json")
    result = ceremony_result_from_json(data, str(path))
    check_ceremony_result(result)
    return result


def _decrypt(args: argparse.Namespace) -> int:
    folder = Path(args.trustee)
    state = files.check_step(folder, stages.DECRYPT)
    index = state.index
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
        state.election_id,
        state.group,
    ) != (setup.election_id, setup.group.name):
        raise ContextMismatch(
            f"{tally_path}: the tally ({election_id!r}, {tally.group.name}), the ceremony"
            f" ({setup.election_id!r}) and the trustee ({state.election_id!r}) must be of"
            " one election"
        )
    mixed = None
    if args.election is not None:
        election_dir = ElectionDir(args.election)
        _check_tally_against_board(election_dir, fingerprint, tally)
        mixed = _checked_chain(election_dir, ceremony)
    elif any(question.options == 0 for question in tally.shape):
        raise InvalidInput(
            f"{tally_path}: the election has graded or ranked questions, whose mixed answers"
            " are decrypted too: add --election DIR, a copy of the election directory that"
            " holds the whole chain of mixes (tally/mixes/)"
        )
    _confirm_decryption(args, index, election_id, fingerprint, tally, mixed)
    passphrase = _passphrase(args)
    key_path = folder / files.KEY_FILE
    try:
        share = files.read_share_key_file(key_path, passphrase, ceremony, index)
    except InvalidKeyFile as error:
        raise _wrong_passphrase(error, folder) from error
    decryption = decryption_share_of(fingerprint, tally, share)
    if mixed is not None:
        election, source, chain = mixed
        decryption = replace(
            decryption, mixed=compute_mixed_share(election, share, source, chain)
        )
    out = Path(args.out) if args.out else folder / files.OUT_DIR / f"decryption-share-{index}.json"
    write_public(out, decryption_share_to_json(setup.group, election_id, decryption))
    print(
        f"trustee {index} decrypted the tally of {tally.ballot_count} ballots (weight"
        f" {tally.total_weight}), election fingerprint {short_hex(fingerprint)}"
    )
    print(f"wrote {out}; give it to the officer ('evote tally combine')")
    return 0


#: What a trustee decrypts besides the tally: the election, its mix input and its chain.
_Mixed = tuple[Election, MixInput, list[Mix]]


def _checked_chain(election_dir: ElectionDir, ceremony: CeremonyResult) -> _Mixed | None:
    """For an election with mixnet questions: its mix input recomputed from the board and its
    whole chain of mixes (``tally/mixes/``), checked (docs/spec.md 14.3); None otherwise.

    A trustee decrypts the outputs of a complete chain on the board's own input only: the
    outputs of anything else could be a single voter's answer.
    """
    with election_dir.board() as board:
        election = board.load_election(election_dir.election_id)
        if not mixing.has_mixnet_questions(election):
            return None
        source = board_mix_input(board, election)
    if election.ceremony_digest != ceremony.transcript_hash:
        raise ContextMismatch(
            f"{election_dir.path}: its election was set up with another ceremony than the one"
            " given with --ceremony"
        )
    chain = mixing.officer_chain(election_dir, election)
    check_mix_chain(election, ceremony, source, chain)
    return election, source, chain


def _confirm_decryption(
    args: argparse.Namespace,
    index: int,
    election_id: str,
    fingerprint: bytes,
    tally: Any,
    mixed: _Mixed | None,
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
    if mixed is not None:
        _, source, chain = mixed
        print(
            f"and the {source.size} mixed answers of its graded or ranked questions, mixed by"
            f" trustees {[mix.trustee for mix in chain]} (the chain checks)"
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
    with election_dir.board() as board, Progress("checking the tally: ballots", None) as bar:
        election, recomputed = encrypted_tally(board, election_dir.election_id, bar.advance)
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
    steps = trustee.add_subparsers(dest="step", metavar="STEP", required=True)

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

    mix = steps.add_parser(
        "mix", help="shuffle the answers of the graded and ranked questions (one mix of the chain)"
    )
    _trustee_option(mix)
    mix.add_argument(
        "--election",
        required=True,
        metavar="DIR",
        help="a copy of the election directory: its board gives the mix input, its"
        " tally/mixes/ the chain so far",
    )
    add_passphrase_option(mix)
    mix_handler: Handler = _mix
    mix.set_defaults(handler=mix_handler)

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
    ceremony_steps = ceremony.add_subparsers(dest="step", metavar="STEP", required=True)
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
