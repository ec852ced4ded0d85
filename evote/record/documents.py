"""The record's small documents: their names, their JSON forms and their strict readers.

Every document is an object with ``kind`` and ``version`` (docs/record-format.md), except
``manifest.json`` (the manifest's own form, which carries its ``version``), ``ceremony.json``
(:func:`evote.ceremony.wire.ceremony_result_to_json`, with ``kind`` and ``version``) and
``result.json`` (:func:`evote.tally.wire.result_to_json`, likewise).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from evote import __version__, jsonstrict
from evote.board.checkpoint import KEY_LENGTH, Checkpoint
from evote.board.setup import MAX_SETUP_BYTES, split_credential_list
from evote.crypto.groups import MODP_COFACTOR, MODP_P, Group, all_groups
from evote.election import Election
from evote.errors import InvalidInput, InvalidRecord, UnreadableRecord
from evote.record.model import FORMAT_NAME, FORMAT_VERSION
from evote.record.strict import DOCUMENT_LINE, fail, prefix

INDEX: Final = "record.json"
GROUP: Final = "group.json"
MANIFEST: Final = "manifest.json"
ELECTION: Final = "election.json"
CREDENTIALS: Final = "credentials.json"
CEREMONY: Final = "ceremony.json"
CHECKPOINTS: Final = "checkpoints.json"
BOARD: Final = "board.jsonl"
TALLY: Final = "tally.json"
RESULT: Final = "result.json"

REQUIRED_FILES: Final = (GROUP, MANIFEST, ELECTION, CREDENTIALS, CEREMONY, CHECKPOINTS, BOARD)
OPTIONAL_FILES: Final = (TALLY, RESULT)
KNOWN_FILES: Final = frozenset(REQUIRED_FILES + OPTIONAL_FILES)
DOCUMENT_VERSION: Final = 1
MAX_FILES: Final = 64
SHA256_HEX_LENGTH: Final = 64

_READ: Final = jsonstrict.Reader(InvalidRecord)
#: Record formats of earlier evote versions (1: no board key in the election).
_EARLIER_FORMATS: Final = frozenset(range(1, FORMAT_VERSION))


def _hex(value: int) -> str:
    return format(value, "x")


# -- group.json -------------------------------------------------------------------------------


def group_document(group: Group) -> dict[str, Any]:
    """The group's name and parameters; the loader accepts exactly these two documents."""
    document: dict[str, Any] = {
        "kind": "group",
        "version": DOCUMENT_VERSION,
        "name": group.name,
        "order": _hex(group.order),
        "generator": jsonstrict.b64encode(group.generator.to_bytes()),
        "element_size": group.element_size,
    }
    if group.name == "modp4096":
        document["modulus"] = _hex(MODP_P)
        document["cofactor"] = _hex(MODP_COFACTOR)
    else:
        document["curve"] = "edwards25519"
    return document


def read_group(value: Any) -> Group:
    """The known group that ``value`` describes, with exactly its parameters."""
    root = "group"
    fields = _READ.object(value, _where(GROUP, root), ("kind", "version", "name"), _GROUP_EXTRA)
    read_head(fields, GROUP, root, "group")
    name = _READ.string(fields["name"], _where(GROUP, f"{root}.name"), 100)
    known = {group.name: group for group in all_groups()}
    group = known.get(name)
    if group is None:
        fail(GROUP, DOCUMENT_LINE, f"{root}.name", f"unknown group {name!r} ({sorted(known)})")
    expected = group_document(group)
    for key in sorted(set(expected) | set(fields)):
        if key not in fields:
            fail(GROUP, DOCUMENT_LINE, f"{root}.{key}", f"missing field (required for {name})")
        if key not in expected:
            fail(GROUP, DOCUMENT_LINE, f"{root}.{key}", f"unknown field for {name}")
        if fields[key] != expected[key] or type(fields[key]) is not type(expected[key]):
            fail(GROUP, DOCUMENT_LINE, f"{root}.{key}", f"differs from the parameters of {name}")
    return group


_GROUP_EXTRA: Final = ("order", "generator", "element_size", "modulus", "cofactor", "curve")


# -- election.json ----------------------------------------------------------------------------


def election_document(election: Election, launch_code: str) -> dict[str, Any]:
    return {
        "kind": "election",
        "version": DOCUMENT_VERSION,
        "election_id": election.election_id,
        "group": election.group.name,
        "public_key": jsonstrict.b64encode(election.public_key.element.to_bytes()),
        "ceremony_digest": jsonstrict.b64encode(election.ceremony_digest),
        "board_key": jsonstrict.b64encode(election.board_key),
        "fingerprint": jsonstrict.b64encode(election.fingerprint),
        "launch_code": launch_code,
    }


def without_credential_entries(payload: bytes) -> bytes:
    """The setup payload (already decoded strictly) with its credential list emptied.

    Only the manifest is read from it again: parsing a million credential entries a second
    time would cost ~300 MB for nothing. See :func:`evote.board.setup.split_credential_list`.
    """
    split = split_credential_list(payload)
    return payload if split is None else split[0]


def setup_body_without_entries(payload: bytes) -> Any:
    """The JSON value of a setup payload (decoded strictly before), its credential list empty."""
    return jsonstrict.loads(
        without_credential_entries(payload), "setup", InvalidRecord, max_size=MAX_SETUP_BYTES
    )


# -- credentials.json -------------------------------------------------------------------------


def credentials_document(election: Election) -> dict[str, Any]:
    return {
        "kind": "credential-list",
        "version": DOCUMENT_VERSION,
        "election_id": election.election_id,
        **election.credentials.to_json_obj(),
    }


def credentials_document_chunks(election: Election) -> Iterator[bytes]:
    """``document_bytes(credentials_document(election))`` in pieces, without its JSON tree.

    A million credentials make a 70 MB document whose tree would take ~300 MB: the canonical
    JSON of the document with no entries is split where its empty list stands, and the
    list's own canonical entries (:meth:`CredentialList.json_chunks`) go in between.
    """
    empty = {
        "kind": "credential-list",
        "version": DOCUMENT_VERSION,
        "election_id": election.election_id,
        "group": election.group.name,
        "entries": [],
    }
    head, tail = (jsonstrict.dumps(empty) + b"\n").split(b'"entries":[]')
    yield head + b'"entries":['
    yield from election.credentials.entries_json_chunks()
    yield b"]" + tail


# -- checkpoints.json -------------------------------------------------------------------------


def checkpoints_document(
    election_id: str, board_key: bytes, checkpoints: list[Checkpoint]
) -> dict[str, Any]:
    return {
        "kind": "checkpoints",
        "version": DOCUMENT_VERSION,
        "election_id": election_id,
        "board_key": jsonstrict.b64encode(board_key),
        "checkpoints": [checkpoint.to_json_obj() for checkpoint in checkpoints],
    }


def read_checkpoints(value: Any, election_id: str) -> tuple[bytes, tuple[Checkpoint, ...]]:
    """(board key, checkpoints), each checkpoint of this election and signed by that key."""
    root = "checkpoints"
    fields = _READ.object(
        value,
        _where(CHECKPOINTS, root),
        ("kind", "version", "election_id", "board_key", "checkpoints"),
    )
    read_head(fields, CHECKPOINTS, root, "checkpoints", election_id)
    board_key = _READ.b64(fields["board_key"], _where(CHECKPOINTS, f"{root}.board_key"), KEY_LENGTH)
    items = _READ.array(fields["checkpoints"], _where(CHECKPOINTS, f"{root}.checkpoints"))
    checkpoints: list[Checkpoint] = []
    for i, item in enumerate(items):
        field = f"{root}.checkpoints[{i}]"
        try:
            checkpoint = Checkpoint.from_json_obj(item, _where(CHECKPOINTS, field))
        except InvalidInput as fault:
            raise InvalidRecord(str(fault)) from fault
        if checkpoint.election_id != election_id:
            fail(CHECKPOINTS, DOCUMENT_LINE, f"{field}.election_id", "another election's")
        if checkpoint.board_key != board_key:
            fail(CHECKPOINTS, DOCUMENT_LINE, f"{field}.board_key", "differs from board_key")
        if checkpoints and checkpoint.position < checkpoints[-1].position:
            fail(CHECKPOINTS, DOCUMENT_LINE, f"{field}.position", "checkpoints out of order")
        checkpoints.append(checkpoint)
    return board_key, tuple(checkpoints)


# -- record.json ------------------------------------------------------------------------------


#: What ``record.json`` names as the program that wrote the record: information for a reader,
#: never an input of a check or of the fingerprint (docs/record-format.md).
GENERATOR: Final = f"evote {__version__}"
MAX_GENERATOR_LENGTH: Final = 200


def index_document(
    election_id: str, files: list[tuple[str, int, str]], generator: str = GENERATOR
) -> dict[str, Any]:
    """``files`` are (name, size, SHA-256 hex) of every other file of the record."""
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "generator": generator,
        "election_id": election_id,
        "files": [
            {"name": name, "size": size, "sha256": digest} for name, size, digest in sorted(files)
        ],
    }


def read_index(value: Any) -> tuple[str, dict[str, tuple[int, str, str]]]:
    """(election id, {file name: (size, SHA-256 hex, field path in record.json)})."""
    root = "record"
    fields = _READ.object(
        value, _where(INDEX, root), ("format", "version", "election_id", "files"), ("generator",)
    )
    name = _READ.string(fields["format"], _where(INDEX, f"{root}.format"), 100)
    if name != FORMAT_NAME:
        fail(INDEX, DOCUMENT_LINE, f"{root}.format", f"{name!r} is not {FORMAT_NAME!r}")
    version = _READ.integer(fields["version"], _where(INDEX, f"{root}.version"))
    # Another format is nothing this evote can judge (exit 2, "try again" with the evote of
    # that format), not a record found wrong: its hashes and fields mean other things.
    where = f"{prefix(INDEX, DOCUMENT_LINE)}: {root}.version"
    if version in _EARLIER_FORMATS:
        raise UnreadableRecord(
            f"{where}: record format version {version} was written by an earlier evote; this"
            f" evote verifies format {FORMAT_VERSION} only"
        )
    if version != FORMAT_VERSION:
        raise UnreadableRecord(
            f"{where}: unknown format version {version} (this evote reads version"
            f" {FORMAT_VERSION})"
        )
    if "generator" in fields:  # any program may write a record; its name is not judged
        _READ.string(fields["generator"], _where(INDEX, f"{root}.generator"), MAX_GENERATOR_LENGTH)
    election_id = _READ.string(fields["election_id"], _where(INDEX, f"{root}.election_id"))
    items = _READ.array(fields["files"], _where(INDEX, f"{root}.files"), 1, MAX_FILES)
    files: dict[str, tuple[int, str, str]] = {}
    for i, item in enumerate(items):
        field = f"{root}.files[{i}]"
        entry = _READ.object(item, _where(INDEX, field), ("name", "size", "sha256"))
        file_name = _READ.string(entry["name"], _where(INDEX, f"{field}.name"), 100)
        if file_name not in KNOWN_FILES:
            fail(INDEX, DOCUMENT_LINE, f"{field}.name", f"unknown file {file_name!r}")
        if file_name in files:
            fail(INDEX, DOCUMENT_LINE, f"{field}.name", f"{file_name} is listed twice")
        size = _READ.integer(entry["size"], _where(INDEX, f"{field}.size"), 0)
        digest = _READ.string(entry["sha256"], _where(INDEX, f"{field}.sha256"), 64)
        if len(digest) != SHA256_HEX_LENGTH or digest.strip("0123456789abcdef"):
            fail(INDEX, DOCUMENT_LINE, f"{field}.sha256", "not 64 lowercase hex digits")
        files[file_name] = (size, digest, field)
    return election_id, files


# -- shared pieces ----------------------------------------------------------------------------


def _where(file: str, field: str) -> str:
    return f"{file}: line {DOCUMENT_LINE}: {field}"


def read_head(
    fields: dict[str, Any], file: str, root: str, kind: str, election_id: str | None = None
) -> None:
    """Check ``kind``, ``version`` and (when given) ``election_id`` of a document."""
    found = _READ.string(fields["kind"], _where(file, f"{root}.kind"), 100)
    if found != kind:
        fail(file, DOCUMENT_LINE, f"{root}.kind", f"{found!r}, expected {kind!r}")
    version = _READ.integer(fields["version"], _where(file, f"{root}.version"))
    if version != DOCUMENT_VERSION:
        fail(
            file,
            DOCUMENT_LINE,
            f"{root}.version",
            f"unknown version {version} (this evote reads version {DOCUMENT_VERSION})",
        )
    if election_id is not None:
        found_id = _READ.string(fields["election_id"], _where(file, f"{root}.election_id"))
        if found_id != election_id:
            fail(file, DOCUMENT_LINE, f"{root}.election_id", f"{found_id!r}, not {election_id!r}")
