"""``evote credentials generate VOTERS.csv``: the registrar's step.

Reads the voters (CSV with a header row: ``voter_id`` and optionally ``weight``), draws one
credential per voter (:class:`evote.ballots.credentials.Registrar`), and writes:

* ``credentials.json`` in the election directory: the public list (no names), which the
  election's fingerprint binds;
* in the registrar's private folder (``--out``, created with mode 0700): ``codes.csv``, the
  voter -> code mapping (mode 0600; keep it off the board's machine, destroy it after the
  election), and ``letters/<voter_id>.txt``, one plain-text letter per voter, ready to print or
  mail (mode 0600: each one lets its holder vote).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from evote import jsonstrict
from evote.ballots.credentials import LETTER_LANGUAGES, Registrar, credential_letter
from evote.cli.workspace import (
    CREDENTIALS_FILE,
    ElectionDir,
    read_file,
    safe_file_name,
    write_public,
    write_secret,
)
from evote.election import check_tally_bounds
from evote.errors import InvalidInput

Handler = Callable[[argparse.Namespace], int]
CODES_FILE: Final = "codes.csv"
LETTERS_DIR: Final = "letters"
MAX_VOTERS_BYTES: Final = 1 << 30


def read_voters(path: Path) -> tuple[list[str], dict[str, int]]:
    """(voter ids in file order, weights given in the file); InvalidInput names the line."""
    data = read_file(
        path, "voters file", "a CSV file with a header row voter_id[,weight]", MAX_VOTERS_BYTES
    )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"{path}: not UTF-8 text (byte {error.start}); save it as UTF-8"
        ) from None
    rows = csv.reader(io.StringIO(text, newline=""))
    header = next(rows, None)
    columns = [name.strip() for name in header] if header else []
    if columns not in (["voter_id"], ["voter_id", "weight"]):
        raise InvalidInput(
            f"{path}, line 1: expected the header 'voter_id' or 'voter_id,weight', got"
            f" {','.join(columns)!r}"
        )
    voter_ids: list[str] = []
    weights: dict[str, int] = {}
    seen: set[str] = set()
    for row in rows:
        line = rows.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            raise InvalidInput(
                f"{path}, line {line}: expected {len(columns)} fields, got {len(row)}"
            )
        voter_id = safe_file_name(row[0].strip(), f"{path}, line {line}, voter_id")
        if voter_id in seen:
            raise InvalidInput(f"{path}, line {line}: voter {voter_id!r} is listed twice")
        seen.add(voter_id)
        voter_ids.append(voter_id)
        if len(columns) == 2:
            text_weight = row[1].strip()
            if not text_weight.isdigit() or int(text_weight) < 1:
                raise InvalidInput(
                    f"{path}, line {line}: weight {text_weight!r} is not a whole number >= 1"
                )
            weights[voter_id] = int(text_weight)
    if not voter_ids:
        raise InvalidInput(f"{path}: no voters after the header row")
    return voter_ids, weights


def _private_folder(path: Path) -> Path:
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise InvalidInput(
            f"{path}: exists and is not an empty folder; give a new --out for the private files"
        )
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    (path / LETTERS_DIR).mkdir(mode=0o700, exist_ok=True)
    return path


def _codes_csv(codes: dict[str, str]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["voter_id", "code"])
    for voter_id, code in codes.items():
        writer.writerow([voter_id, code])
    return buffer.getvalue().encode("utf-8")


def _generate(args: argparse.Namespace) -> int:
    election_dir = ElectionDir(args.election)
    manifest = election_dir.manifest()
    public_path = election_dir.path / CREDENTIALS_FILE
    if public_path.exists() and not args.replace:
        raise InvalidInput(
            f"{public_path}: a credential list is already there; pass --replace to draw new"
            " credentials (the letters already printed then become useless)"
        )
    election_dir.refuse_if_on_board("its credential list")
    voter_ids, weights = read_voters(Path(args.voters))
    # Refused now, not after the ceremony: the tally could not decrypt these weights.
    check_tally_bounds(manifest, sum(weights.get(voter_id, 1) for voter_id in voter_ids))
    private = _private_folder(Path(args.out))
    registration = Registrar.generate(manifest.group, manifest.election_id, voter_ids, weights)
    title = manifest.title.get(args.lang) or next(iter(manifest.title.values()))
    for voter_id, code in registration.codes.items():
        letter = credential_letter(voter_id, title, code, args.lang)
        write_secret(private / LETTERS_DIR / f"{voter_id}.txt", letter.encode("utf-8"))
    write_secret(private / CODES_FILE, _codes_csv(registration.codes))
    credential_list = registration.credential_list
    write_public(public_path, jsonstrict.dumps(credential_list.to_json_obj()))
    print(
        f"{len(credential_list)} credentials (total weight {credential_list.total_weight}) for"
        f" election {manifest.election_id!r}"
    )
    print(f"public list: {public_path} (digest {credential_list.digest().hex()})")
    print(
        f"PRIVATE: {private / CODES_FILE} maps voters to codes (mode 0600): keep it apart from"
        " the board, never publish it, destroy it after the election"
    )
    print(
        f"PRIVATE: {private / LETTERS_DIR}/<voter_id>.txt, one letter per voter, to print or mail"
    )
    return 0


def register(commands: Any) -> None:
    credentials = commands.add_parser("credentials", help="the registrar's step")
    steps = credentials.add_subparsers(dest="step", metavar="STEP")
    steps.required = True
    generate = steps.add_parser(
        "generate", help="one credential per voter: public list, letters, private mapping"
    )
    generate.add_argument("voters", metavar="VOTERS.csv", help="voter_id[,weight], header row")
    generate.add_argument("--election", required=True, metavar="DIR", help="the election directory")
    generate.add_argument(
        "--out",
        required=True,
        metavar="PRIVATE_DIR",
        help="a new folder for the letters and the mapping (private)",
    )
    generate.add_argument(
        "--lang", default="en", choices=LETTER_LANGUAGES, help="language of the letters (en)"
    )
    generate.add_argument(
        "--replace",
        action="store_true",
        help="replace the credential list already in the directory",
    )
    handler: Handler = _generate
    generate.set_defaults(handler=handler)
