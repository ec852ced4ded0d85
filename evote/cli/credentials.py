"""``evote credentials generate VOTERS.csv``: the registrar's step.

Reads the voters, draws one credential per voter (:class:`evote.ballots.credentials.Registrar`),
and writes:

* ``credentials.json`` in the election directory: the public list (no names), which the
  election's fingerprint binds;
* in the registrar's private folder (``--out``, mode 0700): ``codes.csv``, the voter -> code
  mapping (keep it off the board's machine, destroy it after the election); ``letters.pdf``,
  the letters to print and post, one A4 page per voter and language (French first when the
  manifest has it), and with ``--large-print`` the same in bigger type in
  ``letters-large.pdf``; and ``letters/<voter_id>.txt``, the plain-text letters. Every file is
  mode 0600: each letter lets its holder vote.

**The voters file** is CSV in UTF-8 with a header row. ``voter_id`` is required (letters,
digits and ``. _ @ + -``: it names files); the other columns are optional, in any order:
``weight`` (a whole number >= 1, default 1), ``name``, ``address`` (several lines in one
field, split at line breaks or at the two characters ``\\n``), ``address1``, ``address2``,
``address3``, ``postcode``, ``city`` and ``country``. The address block of a letter is the
name, the lines of ``address``, ``address1`` to ``address3``, ``postcode`` and ``city`` on one
line, then ``country``; empty lines are left out; at most 6 lines of at most 60 characters fit.
Names and addresses go to the letters only: not to ``codes.csv``, the board or the record.

The private files are written into a temporary folder beside ``--out`` and renamed to it at
the end, so that an interrupted run leaves nothing to clear before the next.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import tempfile
import unicodedata
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final

from evote import jsonstrict
from evote.ballots.credentials import LETTER_LANGUAGES, Registrar, credential_letter
from evote.ballots.manifest import Manifest, RevotePolicy
from evote.cli.progress import Progress
from evote.cli.workspace import (
    CREDENTIALS_FILE,
    ElectionDir,
    read_file,
    safe_file_name,
    write_public,
    write_secret,
)
from evote.election import check_mixnet_weights, check_tally_bounds
from evote.errors import InvalidInput

if TYPE_CHECKING:
    from evote.ballots.letters import LetterSettings

Handler = Callable[[argparse.Namespace], int]
CODES_FILE: Final = "codes.csv"
LETTERS_DIR: Final = "letters"
LETTERS_PDF: Final = "letters.pdf"
LETTERS_LARGE_PDF: Final = "letters-large.pdf"
MAX_VOTERS_BYTES: Final = 1 << 30
ADDRESS_COLUMNS: Final = (
    "name", "address", "address1", "address2", "address3", "postcode", "city", "country",
)  # fmt: skip
COLUMNS: Final = ("voter_id", "weight", *ADDRESS_COLUMNS)


@dataclass(frozen=True, slots=True)
class Voter:
    """One row of the voters file: id, weight and the lines of its letter's address block."""

    voter_id: str
    weight: int | None
    name: str | None
    address: tuple[str, ...]


def _header(path: Path, header: list[str] | None) -> list[str]:
    columns = [name.strip() for name in header] if header else []
    unknown = [name for name in columns if name not in COLUMNS]
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if "voter_id" not in columns or unknown or repeated:
        problem = (
            f"unknown column(s) {', '.join(map(repr, unknown))}"
            if unknown
            else f"column(s) {', '.join(repeated)} twice"
            if repeated
            else "no voter_id column"
        )
        raise InvalidInput(
            f"{path}, line 1: {problem}; expected the header voter_id, then optionally"
            f" {', '.join(COLUMNS[1:])}"
        )
    return columns


def _field_lines(value: str, where: str, multi_line: bool) -> list[str]:
    text = value.replace("\\n", "\n").replace("\r\n", "\n") if multi_line else value
    lines = text.split("\n") if multi_line else [text]
    for line in lines:
        if any(unicodedata.category(character).startswith("C") for character in line):
            raise InvalidInput(f"{where}: a control character is not allowed in a letter")
    return [" ".join(line.split()) for line in lines if line.strip()]


def _voter(path: Path, line: int, columns: list[str], row: list[str]) -> Voter:
    cells = dict(zip(columns, row, strict=True))
    where = f"{path}, line {line}"
    voter_id = safe_file_name(cells["voter_id"].strip(), f"{where}, voter_id")
    weight = None
    if "weight" in cells:
        text_weight = cells["weight"].strip()
        if not (text_weight.isascii() and text_weight.isdigit()) or int(text_weight) < 1:
            raise InvalidInput(f"{where}: weight {text_weight!r} is not a whole number >= 1")
        weight = int(text_weight)
    parts = {
        name: _field_lines(cells.get(name, ""), f"{where}, {name}", name == "address")
        for name in ADDRESS_COLUMNS
    }
    town = " ".join(parts["postcode"] + parts["city"])
    address = (
        *parts["address"],
        *parts["address1"],
        *parts["address2"],
        *parts["address3"],
        *([town] if town else []),
        *parts["country"],
    )
    name = parts["name"][0] if parts["name"] else None
    # Imported here: the PDF library is needed by this command only.
    from evote.ballots.letters import Recipient  # noqa: PLC0415

    try:
        Recipient(voter_id, name, address)  # fits a window envelope, printable
    except InvalidInput as error:
        raise InvalidInput(f"{where}: {error}") from None
    return Voter(voter_id, weight, name, address)


def read_voter_file(path: Path) -> list[Voter]:
    """The voters in file order (module docstring); InvalidInput names the line."""
    data = read_file(
        path, "voters file", "a CSV file with a header row voter_id[,weight,...]", MAX_VOTERS_BYTES
    )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"{path}: not UTF-8 text (byte {error.start}); save it as UTF-8"
        ) from None
    rows = csv.reader(io.StringIO(text, newline=""))
    columns = _header(path, next(rows, None))
    voters: list[Voter] = []
    seen: set[str] = set()
    for row in rows:
        line = rows.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            raise InvalidInput(
                f"{path}, line {line}: expected {len(columns)} fields, got {len(row)}"
            )
        voter = _voter(path, line, columns, row)
        if voter.voter_id in seen:
            raise InvalidInput(f"{path}, line {line}: voter {voter.voter_id!r} is listed twice")
        seen.add(voter.voter_id)
        voters.append(voter)
    if not voters:
        raise InvalidInput(f"{path}: no voters after the header row")
    return voters


def read_voters(path: Path) -> tuple[list[str], dict[str, int]]:
    """(voter ids in file order, weights given in the file); InvalidInput names the line."""
    voters = read_voter_file(path)
    weights = {voter.voter_id: voter.weight for voter in voters if voter.weight is not None}
    return [voter.voter_id for voter in voters], weights


def _check_target(path: Path) -> Path:
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise InvalidInput(
            f"{path}: exists and is not an empty folder; give a new --out for the private files"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _install(staging: Path, target: Path) -> None:
    """Move the finished private folder into place (an empty ``target`` is replaced)."""
    if target.is_dir():
        target.rmdir()
    os.rename(staging, target)


def _codes_csv(codes: dict[str, str]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["voter_id", "code"])
    for voter_id, code in codes.items():
        writer.writerow([voter_id, code])
    return buffer.getvalue().encode("utf-8")


def _open_private(path: Path) -> BinaryIO:
    return open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def _letter_settings(manifest: Manifest, args: argparse.Namespace) -> LetterSettings:
    from evote.ballots.letters import LetterSettings, letter_languages  # noqa: PLC0415

    return LetterSettings(
        title=manifest.title,
        opens=manifest.opens,
        closes=manifest.closes,
        languages=letter_languages(list(manifest.title), args.lang),
        organiser=args.organiser,
        vote_url=args.vote_url,
        revote_allowed=manifest.revote is RevotePolicy.LAST_COUNTS,
    )


def _write_letters(
    folder: Path,
    settings: LetterSettings,
    voters: list[Voter],
    codes: dict[str, str],
    large_print: bool,
) -> int:
    """letters.pdf (and letters-large.pdf), letters/*.txt; return the pages of letters.pdf."""
    from evote.ballots.letters import LetterWriter, Recipient  # noqa: PLC0415

    lang = settings.languages[0]
    title = settings.title_in(lang)
    (folder / LETTERS_DIR).mkdir(mode=0o700)
    with ExitStack() as stack, Progress("letters", len(voters)) as bar:
        files = [stack.enter_context(_open_private(folder / LETTERS_PDF))]
        if large_print:
            files.append(stack.enter_context(_open_private(folder / LETTERS_LARGE_PDF)))
        writers = [
            LetterWriter(file, settings, large)
            for file, large in zip(files, (False, True), strict=False)
        ]
        for voter in voters:
            code = codes[voter.voter_id]
            recipient = Recipient(voter.voter_id, voter.name, voter.address)
            for writer in writers:
                writer.add(recipient, code)
            letter = credential_letter(voter.name or voter.voter_id, title, code, lang)
            with _open_private(folder / LETTERS_DIR / f"{voter.voter_id}.txt") as text:
                text.write(letter.encode("utf-8"))
            bar.advance()
        bar.note(f"writing {LETTERS_PDF}" + (f" and {LETTERS_LARGE_PDF}" if large_print else ""))
        for writer, file in zip(writers, files, strict=True):
            writer.close()
            file.flush()
            os.fsync(file.fileno())
        return writers[0].pages


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
    voters = read_voter_file(Path(args.voters))
    target = _check_target(Path(args.out))
    settings = _letter_settings(manifest, args)
    weights = {voter.voter_id: voter.weight for voter in voters if voter.weight is not None}
    # Refused now, not after the ceremony: the tally could not decrypt these weights.
    check_tally_bounds(manifest, sum(weights.get(voter.voter_id, 1) for voter in voters))
    check_mixnet_weights(manifest, any(weight != 1 for weight in weights.values()))
    with Progress("credentials", len(voters)) as bar:
        registration = Registrar.generate(
            manifest.group,
            manifest.election_id,
            [voter.voter_id for voter in voters],
            weights,
            progress=bar.advance,
        )
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    installed = False
    try:
        pages = _write_letters(staging, settings, voters, registration.codes, args.large_print)
        write_secret(staging / CODES_FILE, _codes_csv(registration.codes))
        _install(staging, target)
        installed = True
        credential_list = registration.credential_list
        write_public(public_path, jsonstrict.dumps(credential_list.to_json_obj()))
    except BaseException:
        # Nothing half-written: the next run starts from the same state as this one.
        shutil.rmtree(target if installed else staging, ignore_errors=True)
        raise
    print(
        f"{len(credential_list)} credentials (total weight {credential_list.total_weight}) for"
        f" election {manifest.election_id!r}"
    )
    print(f"public list: {public_path} (digest {credential_list.digest().hex()})")
    print(
        f"PRIVATE: {target / CODES_FILE} maps voters to codes (mode 0600): keep it apart from"
        " the board, never publish it, destroy it after the election"
    )
    per_voter = len(settings.languages)
    print(
        f"PRIVATE: {target / LETTERS_PDF}, {pages} A4 pages to print and post"
        + (
            f" ({per_voter} per voter: {', '.join(settings.languages)}; print both sides)"
            if per_voter > 1
            else " (one per voter)"
        )
        + (f"; large print: {target / LETTERS_LARGE_PDF}" if args.large_print else "")
    )
    print(f"PRIVATE: {target / LETTERS_DIR}/<voter_id>.txt, the same letters as plain text")
    return 0


def register(commands: Any) -> None:
    credentials = commands.add_parser("credentials", help="the registrar's step")
    steps = credentials.add_subparsers(dest="step", metavar="STEP", required=True)
    generate = steps.add_parser(
        "generate", help="one credential per voter: public list, letters, private mapping"
    )
    generate.add_argument(
        "voters", metavar="VOTERS.csv", help="voter_id[,weight,name,address,...], header row"
    )
    generate.add_argument("--election", required=True, metavar="DIR", help="the election directory")
    generate.add_argument(
        "--out",
        required=True,
        metavar="PRIVATE_DIR",
        help="a new folder for the letters and the mapping (private)",
    )
    generate.add_argument(
        "--lang",
        choices=LETTER_LANGUAGES,
        help="the letters' one language (default: the manifest's languages, French first)",
    )
    generate.add_argument(
        "--organiser",
        metavar="NAME",
        help='who runs the vote, printed on the letters ("Ville de …")',
    )
    generate.add_argument(
        "--vote-url", metavar="URL", help="the voting address printed on the letters"
    )
    generate.add_argument(
        "--large-print",
        action="store_true",
        help=f"also write {LETTERS_LARGE_PDF}, the letters in large print",
    )
    generate.add_argument(
        "--replace",
        action="store_true",
        help="replace the credential list already in the directory",
    )
    handler: Handler = _generate
    generate.set_defaults(handler=handler)
