"""What the officers' and trustees' commands share: the election directory, passphrases, files.

An *election directory* is the officer's working folder (docs/ceremony.md):

==========================  ===============================================================
file                        what it holds (written by)
==========================  ===============================================================
election.json               election id, where the board is (``election init``)
manifest.json               the manifest, canonical JSON (``election init``)
board-key.json              the board's Ed25519 signing key, secret, mode 0600 (``init``)
board.sqlite                the bulletin board, unless ``--database URL`` (``election open``)
ceremony.json               the key ceremony's result (``election attach-ceremony``)
credentials.json            the public credential list (``credentials generate``)
tally/encrypted-tally.json  the product of the counted ballots, for the trustees (``tally``)
tally/mix-input.json        the answers to mix, graded and ranked questions only (``tally``)
tally/mixes/mix-<k>.json    the chain of mixes, each checked (``tally add-mix``)
result.json                 the election result (``tally combine``)
==========================  ===============================================================

Each ``require_*`` method raises a typed error whose message names the command to run first.
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from nacl.signing import SigningKey

from evote import jsonstrict
from evote.ballots.credentials import CredentialList
from evote.ballots.manifest import Manifest, manifest_from_json
from evote.board.board import Board
from evote.board.store import Head
from evote.ceremony.dkg import CeremonyResult
from evote.ceremony.keyfile import check_passphrase_strength, write_atomically
from evote.ceremony.wire import ceremony_result_from_json
from evote.crypto.groups import Group, group_by_name
from evote.election import Election
from evote.errors import (
    ContextMismatch,
    ElectionNotOpen,
    InvalidInput,
    InvalidRecord,
    UnknownElection,
)
from evote.record.publish import (
    decode_encrypted_tally,
    encrypted_tally_shape,
    encrypted_tally_to_json_obj,
)
from evote.tally.aggregate import EncryptedTally

CONFIG_FILE: Final = "election.json"
MANIFEST_FILE: Final = "manifest.json"
BOARD_KEY_FILE: Final = "board-key.json"
BOARD_FILE: Final = "board.sqlite"
CEREMONY_FILE: Final = "ceremony.json"
CREDENTIALS_FILE: Final = "credentials.json"
TALLY_DIR: Final = "tally"
TALLY_FILE: Final = "encrypted-tally.json"
RESULT_FILE: Final = "result.json"
CONFIG_FORMAT: Final = "evote-election-directory"
TALLY_FORMAT: Final = "encrypted-tally"
VERSION: Final = 1
# Version 2: the encrypted tally is the record's ``encrypted_tally`` object (version 1 had its
# own pairs of ciphertexts).
VERSION_TALLY: Final = 2
MAX_FILE_BYTES: Final = 256 * 1024 * 1024
_READ = jsonstrict.Reader(InvalidInput)


# -- files ------------------------------------------------------------------------------------


def read_file(path: Path, what: str, hint: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of ``path``; a missing or unreadable file says what it is and how to get it."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no {what} here ({hint})") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path}: is a directory, expected the {what} file") from None
    except OSError as error:
        raise InvalidInput(f"cannot read the {what} {path}: {error.strerror}") from error
    if len(data) > limit:
        raise InvalidInput(f"{path}: the {what} is larger than {limit} bytes")
    return data


def require_kind(
    data: bytes,
    path: Path,
    expected: str,
    expecting: str,
    swaps: Mapping[str, str] | None = None,
) -> None:
    """Before a strict decoding: the document's ``kind`` is ``expected``, or a clear error.

    A file of another kind would otherwise fail on its first unknown field; the message names
    the kind found and the one that ``expecting`` (an option, a command) wants, and when the
    kind found is what another option of the command wants (``swaps``: kind -> option), it
    suggests the swap. A document without a readable ``kind`` is left to the strict decoder,
    which says where it is wrong.
    """
    try:
        value = jsonstrict.loads(data, str(path))
    except InvalidInput:
        return
    found = value.get("kind") if isinstance(value, dict) else None
    if not isinstance(found, str) or found == expected:
        return
    found = found[:64]
    swap = (swaps or {}).get(found)
    hint = f" (did you swap {expecting} and {swap}?)" if swap else ""
    raise InvalidInput(
        f"{path} is {_article(found)} {found} document; {expecting} expects"
        f" {_article(expected)} {expected} document{hint}"
    )


def _article(word: str) -> str:
    return "an" if word[:1] in tuple("aeiou") else "a"


def write_public(path: Path, data: bytes) -> Path:
    """Write a public file whole or not at all, readable by everyone."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, data)
    os.chmod(path, 0o644)
    return path


def write_secret(path: Path, data: bytes) -> Path:
    """Write a secret file whole or not at all, readable by its owner only (0o600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, data)
    return path


def collect_inputs(inputs: Sequence[str], pattern: str, what: str) -> list[Path]:
    """Files named on the command line; a directory stands for its files matching ``pattern``."""
    found: list[Path] = []
    for name in inputs:
        path = Path(name)
        if path.is_dir():
            found += sorted(path.glob(pattern))
        elif path.exists():
            found.append(path)
        else:
            raise InvalidInput(f"{path}: no such file or directory (expected {what} files)")
    if not found:
        raise InvalidInput(
            f"no {what} files ({pattern}) in {', '.join(inputs) or 'the arguments'}:"
            " copy them from the other trustees first"
        )
    return found


# -- passphrases ------------------------------------------------------------------------------


def add_passphrase_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--passphrase-env",
        metavar="NAME",
        help="read the passphrase from the environment variable NAME (for scripts; by default"
        " it is prompted on a terminal, or read as one line from standard input)",
    )


def read_passphrase(args: argparse.Namespace, prompt: str, *, confirm: bool = False) -> str:
    """The passphrase: from ``--passphrase-env NAME``, a terminal prompt, or one stdin line.

    It is never taken as a command-line value: those are visible to every user of the machine
    (``ps``) and end up in shell histories. ``confirm`` marks a new passphrase: it must pass
    :func:`check_passphrase_strength`, checked before it is asked a second time on a terminal.
    """
    name: str | None = args.passphrase_env
    if name is not None:
        value = os.environ.get(name)
        if not value:
            raise InvalidInput(
                f"--passphrase-env {name}: the environment variable {name} is not set or empty"
            )
    elif sys.stdin.isatty():
        value = getpass.getpass(f"{prompt}: ")
        if confirm and value:
            _check_new_passphrase(value)
            if getpass.getpass(f"{prompt} (again): ") != value:
                raise InvalidInput("the two passphrases differ: run the command again")
    else:
        value = sys.stdin.readline().rstrip("\r\n")
    if not value:
        raise InvalidInput(
            "empty passphrase: type it at the prompt, give it as one line on standard input,"
            " or name an environment variable with --passphrase-env"
        )
    if confirm:
        _check_new_passphrase(value)
    return value


def _check_new_passphrase(value: str) -> None:
    try:
        check_passphrase_strength(value)
    except InvalidInput as error:
        raise InvalidInput(
            f"{error}; choose another passphrase and run the command again"
        ) from None


# -- the election directory -------------------------------------------------------------------


class ElectionDir:
    """The officer's election directory (see the module docstring)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        config_path = self.path / CONFIG_FILE
        data = read_file(
            config_path, "election directory", "run 'evote election init MANIFEST --election DIR'"
        )
        where = str(config_path)
        obj = _READ.object(
            jsonstrict.loads(data, where), where, ("format", "version", "election_id", "database")
        )
        if obj["format"] != CONFIG_FORMAT:
            _READ.fail(f"{where}.format", f"expected {CONFIG_FORMAT!r}")
        _READ.integer(obj["version"], f"{where}.version", VERSION, VERSION)
        self.election_id = _READ.string(obj["election_id"], f"{where}.election_id")
        database = obj["database"]
        self.database: str | None = (
            None if database is None else _READ.string(database, f"{where}.database")
        )

    @staticmethod
    def config_bytes(election_id: str, database: str | None) -> bytes:
        return jsonstrict.dumps(
            {
                "format": CONFIG_FORMAT,
                "version": VERSION,
                "election_id": election_id,
                "database": database,
            }
        )

    # -- paths

    @property
    def board_location(self) -> str:
        return self.database if self.database is not None else str(self.path / BOARD_FILE)

    @property
    def tally_path(self) -> Path:
        return self.path / TALLY_DIR / TALLY_FILE

    @property
    def result_path(self) -> Path:
        return self.path / RESULT_FILE

    # -- the election's files

    def manifest(self) -> Manifest:
        path = self.path / MANIFEST_FILE
        manifest = manifest_from_json(
            read_file(path, "manifest", "run 'evote election init MANIFEST --election DIR'")
        )
        if manifest.election_id != self.election_id:
            raise ContextMismatch(
                f"{path}: for election {manifest.election_id!r}, the directory is for"
                f" {self.election_id!r}"
            )
        return manifest

    def ceremony(self) -> CeremonyResult:
        path = self.path / CEREMONY_FILE
        data = read_file(
            path,
            "ceremony result",
            "run the key ceremony, then 'evote election attach-ceremony FILE --election DIR'",
        )
        return ceremony_result_from_json(data, str(path))

    def credentials(self, group: Group) -> CredentialList:
        path = self.path / CREDENTIALS_FILE
        data = read_file(
            path,
            "public credential list",
            "run 'evote credentials generate VOTERS.csv --election DIR --out PRIVATE_DIR'",
        )
        where = str(path)
        return CredentialList.from_json_obj(group, jsonstrict.loads(data, where), where)

    def election(self) -> Election:
        """The Election from the directory's files (before the board holds it)."""
        manifest = self.manifest()
        ceremony = self.ceremony()
        check_ceremony_matches(ceremony, manifest, str(self.path / CEREMONY_FILE))
        return Election(
            manifest,
            manifest.group,
            ceremony.public_key,
            self.credentials(manifest.group),
            ceremony.transcript_hash,
            bytes(self.signing_key().verify_key),
        )

    def signing_key(self) -> SigningKey:
        path = self.path / BOARD_KEY_FILE
        data = read_file(path, "board signing key", "it is written by 'evote election init'")
        where = str(path)
        obj = _READ.object(jsonstrict.loads(data, where), where, ("kind", "seed"))
        if obj["kind"] != "evote-board-key":
            _READ.fail(f"{where}.kind", "expected 'evote-board-key'")
        return SigningKey(_READ.b64(obj["seed"], f"{where}.seed", 32))

    @staticmethod
    def signing_key_bytes(key: SigningKey) -> bytes:
        return jsonstrict.dumps(
            {"kind": "evote-board-key", "seed": jsonstrict.b64encode(bytes(key))}
        )

    @contextmanager
    def board(self, *, signing: bool = False) -> Iterator[Board]:
        """The board; with ``signing``, able to sign checkpoints (open, close)."""
        key = self.signing_key() if signing else None
        with Board(self.board_location, key) as board:
            yield board

    def refuse_if_on_board(self, what: str) -> None:
        """ElectionNotOpen once the election is on the board: ``what`` is fixed from then on."""
        with self.board() as board:
            try:
                board.head(self.election_id)
            except UnknownElection:
                return
        raise ElectionNotOpen(
            f"election {self.election_id!r} is already on the board: {what} cannot change any more"
        )

    def head(self, board: Board) -> Head:
        """The head of this election on ``board``; a clear error before ``election open``."""
        try:
            return board.head(self.election_id)
        except UnknownElection:
            raise ElectionNotOpen(
                f"election {self.election_id!r} is not on the board yet:"
                f" run 'evote election open --election {self.path}' first"
            ) from None


def check_ceremony_matches(ceremony: CeremonyResult, manifest: Manifest, where: str) -> None:
    setup = ceremony.setup
    if setup.election_id != manifest.election_id or setup.group is not manifest.group:
        raise ContextMismatch(
            f"{where}: the ceremony is for election {setup.election_id!r} on {setup.group.name},"
            f" the manifest for {manifest.election_id!r} on {manifest.group.name}:"
            " run the ceremony again with the manifest's election id and group"
        )


# -- the encrypted tally file -----------------------------------------------------------------


def tally_to_json(election: Election, tally: EncryptedTally) -> bytes:
    """The encrypted tally that the officer hands to each trustee (canonical JSON).

    ``encrypted_tally`` is the object the record's ``tally.json`` holds under the same name
    (docs/record-format.md); around it, what a trustee checks before decrypting.
    """
    return jsonstrict.dumps(
        {
            "kind": TALLY_FORMAT,
            "version": VERSION_TALLY,
            "group": tally.group.name,
            "election_id": election.election_id,
            "fingerprint": jsonstrict.b64encode(election.fingerprint),
            "encrypted_tally": encrypted_tally_to_json_obj(tally),
        }
    )


def tally_from_json(data: bytes, where: str) -> tuple[str, bytes, EncryptedTally]:
    """(election id, fingerprint, tally), strictly decoded."""
    obj = _READ.object(
        jsonstrict.loads(data, where),
        where,
        ("kind", "version", "group", "election_id", "fingerprint", "encrypted_tally"),
    )
    if obj["kind"] != TALLY_FORMAT:
        _READ.fail(f"{where}.kind", f"expected {TALLY_FORMAT!r}: is this the encrypted tally?")
    _READ.integer(obj["version"], f"{where}.version", VERSION_TALLY, VERSION_TALLY)
    group = group_by_name(_READ.string(obj["group"], f"{where}.group"))
    here = f"{where}.encrypted_tally"
    try:
        shape = encrypted_tally_shape(obj["encrypted_tally"], here)
        tally = decode_encrypted_tally(obj["encrypted_tally"], group, shape, here)
    except InvalidRecord as fault:
        raise InvalidInput(str(fault)) from fault
    return (
        _READ.string(obj["election_id"], f"{where}.election_id"),
        _READ.b64(obj["fingerprint"], f"{where}.fingerprint", 32),
        tally,
    )


# -- small things ---------------------------------------------------------------------------

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}")


def safe_file_name(value: str, where: str) -> str:
    """``value`` if it can be a file name as it is (letters, digits and ._@+-); else an error."""
    if not _SAFE_NAME.fullmatch(value):
        raise InvalidInput(
            f"{where}: {value!r} cannot be a file name (use letters, digits and . _ @ + -,"
            " at most 128 characters, not starting with a dot or a dash)"
        )
    return value


def short_hex(data: bytes) -> str:
    return data.hex()[:16] + "..."


def require_election_option(args: argparse.Namespace) -> str:
    """``--election DIR`` where argparse cannot require it (a command with sub-steps)."""
    value: str | None = args.election
    if value is None:
        raise InvalidInput("--election DIR is required: the election directory")
    return value
