"""The mix steps' shared parts: the board's mix input and the mix chain kept as files.

An election with questions counted by the mixnet (graded and ranked questions, docs/spec.md
section 14) needs, between ``evote tally`` and ``evote trustee decrypt``, a chain of mixes by
distinct trustees: ``evote trustee mix`` writes one (``TRUSTEE/out/mix-<k>.json``), and the
officer checks and collects each with ``evote tally add-mix`` into ``ELECTION/tally/mixes/``,
the folder that the next mixer, the decrypting trustees and ``evote tally combine`` read.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from evote.board.board import Board
from evote.board.chain import EntryKind
from evote.ceremony import files
from evote.cli.workspace import TALLY_DIR, ElectionDir, read_file, require_kind
from evote.election import Election
from evote.errors import ElectionNotOpen, InvalidInput
from evote.tally.mixnet import MIX_KIND, Mix, mix_from_json, mixnet_questions

MIXES_DIR: Final = "mixes"
MIX_INPUT_FILE: Final = "mix-input.json"
_MIX_PATTERN: Final = "mix-*.json"


def mixes_dir(election_dir: ElectionDir) -> Path:
    """``ELECTION/tally/mixes/``: the checked chain, ``mix-1.json``, ``mix-2.json``, ..."""
    return election_dir.path / TALLY_DIR / MIXES_DIR


def mix_input_path(election_dir: ElectionDir) -> Path:
    """``ELECTION/tally/mix-input.json``: the mix input ``evote tally`` writes."""
    return election_dir.path / TALLY_DIR / MIX_INPUT_FILE


def has_mixnet_questions(election: Election) -> bool:
    return bool(mixnet_questions(election.manifest))


def require_closed(election_dir: ElectionDir, board: Board) -> None:
    """ElectionNotOpen unless the election is closed (or tallied) on ``board``."""
    head = election_dir.head(board)
    if head.kind is EntryKind.SETUP or head.is_open:
        state = "was never opened" if head.kind is EntryKind.SETUP else "is still open"
        raise ElectionNotOpen(
            f"election {election_dir.election_id!r} {state}: the mixes come after"
            f" 'evote election close --election {election_dir.path}'"
        )


def read_mix(path: Path, election: Election) -> Mix:
    """One mix document, strictly decoded; it must be of ``election``."""
    data = read_file(path, "mix", "a trustee writes it with 'evote trustee mix'")
    require_kind(data, path, MIX_KIND, "a mix file")
    return mix_from_json(election, data, str(path))


def read_chain(inputs: Sequence[Path], election: Election) -> list[Mix]:
    """The mixes in ``inputs`` (files, or folders of ``mix-*.json``), in chain order.

    Two files of one position are refused; a gap in the positions is left to the chain's
    check, which names the mix out of place.
    """
    files: list[Path] = []
    for path in inputs:
        if path.is_dir():
            files += sorted(path.glob(_MIX_PATTERN))
        elif path.exists():
            files.append(path)
        else:
            raise InvalidInput(f"{path}: no such file or directory (expected mix files)")
    mixes = sorted(
        ((read_mix(path, election), path) for path in files), key=lambda item: item[0].position
    )
    for (first, first_path), (second, second_path) in itertools.pairwise(mixes):
        if first.position == second.position:
            raise InvalidInput(
                f"{first_path} and {second_path} are both mix {first.position}: give one chain"
            )
    return [mix for mix, _ in mixes]


def officer_chain(election_dir: ElectionDir, election: Election) -> list[Mix]:
    """The chain the officer has collected (``tally/mixes/``; empty before the first mix)."""
    folder = mixes_dir(election_dir)
    return read_chain([folder], election) if folder.is_dir() else []


def superseded_mixes(written: Sequence[Path], chain: Sequence[Mix], trustee: int) -> set[Path]:
    """The trustee's mix files (``out/mix-<k>.json``) that can never join the officer's
    ``chain``: made for a place k that another trustee's mix holds now (two trustees mixed on
    the same chain, and the officer added the other's). The trustee may mix again, at the
    chain's next place (docs/ceremony.md section 5a)."""
    superseded: set[Path] = set()
    for path in written:
        position = files.mix_file_position(path)
        if position is None or position > len(chain):
            continue
        if chain[position - 1].trustee != trustee:
            superseded.add(path)
    return superseded
