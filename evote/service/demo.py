"""``evote serve --demo``: a demo election, open, on an embedded SQLite board in a directory.

The election is ``evote demo``'s (a referendum and a participatory budget, evote.cli.demo),
with a one-process key ceremony; its voters' credential codes go to ``demo-codes.txt``, one a
line, written last: a directory that has it holds a complete demo and is reused as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from nacl.signing import SigningKey

from evote.ballots.credentials import Registrar
from evote.board.board import Board
from evote.ceremony.dkg import run_ceremony
from evote.cli.demo import ELECTION_ID, THRESHOLD, TRUSTEES, demo_manifest
from evote.cli.workspace import BOARD_FILE, BOARD_KEY_FILE, ElectionDir, write_secret
from evote.crypto.groups import group_by_name
from evote.election import Election
from evote.errors import InvalidInput

CODES_FILE: Final = "demo-codes.txt"
DEMO_GROUP: Final = "ed25519"


@dataclass(frozen=True, slots=True)
class Demo:
    database: Path
    board_key: Path
    codes: Path
    election_id: str
    reused: bool


def prepare_demo(directory: Path, voters: int) -> Demo:
    """The demo in ``directory``: reused if complete, else made anew (and opened)."""
    if voters < 1:
        raise InvalidInput(f"--demo-voters {voters}: give at least 1")
    directory.mkdir(parents=True, exist_ok=True)
    database, key_file, codes_file = (
        directory / BOARD_FILE, directory / BOARD_KEY_FILE, directory / CODES_FILE,
    )  # fmt: skip
    if codes_file.is_file() and database.is_file() and key_file.is_file():
        return Demo(database, key_file, codes_file, ELECTION_ID, reused=True)
    if codes_file.exists():
        raise InvalidInput(
            f"{directory}: has {CODES_FILE} without its board or key; choose another --data"
        )
    # A demo stopped halfway: its board and key are of no use without the codes.
    for leftover in (database, key_file):
        leftover.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    group = group_by_name(DEMO_GROUP)
    ceremony, _ = run_ceremony(group, ELECTION_ID, TRUSTEES, THRESHOLD)
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
    codes = "".join(f"{registration.codes[voter]}\n" for voter in voter_ids)
    write_secret(codes_file, codes.encode())
    return Demo(database, key_file, codes_file, ELECTION_ID, reused=False)
