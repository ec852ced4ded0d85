"""``board.jsonl``: one board entry per line (docs/record-format.md section "board.jsonl").

Each line is the canonical JSON (:func:`evote.jsonstrict.dumps`) of
``{"position", "kind", "payload", "payload_hash", "chain_hash"}`` followed by one ``\\n``. The
payload is the entry's exact bytes in base64, so that anyone recomputes the chain
(``p_i = digest32(BOARD_PAYLOAD, kind, payload)``, ``h_i = digest32(BOARD_LINK, i, h_{i-1},
p_i)``, docs/spec.md section 10.2) without re-serialising anything.

Reading streams the file (never all of it in memory) and is strict: a line that is not the
canonical JSON of exactly these fields, with the right types, raises
:class:`~evote.errors.InvalidRecord` as ``board.jsonl: line <n>: <field>: <what>``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, Final

from evote import canonical, jsonstrict
from evote.ballots.encrypted import tracking_code
from evote.board.chain import HASH_LENGTH, BoardEntry, EntryKind
from evote.board.payloads import decode_event
from evote.crypto.hashing import Purpose, digest32
from evote.errors import InvalidRecord
from evote.record.strict import open_regular, parse_json

BOARD_FILE: Final = "board.jsonl"
#: A line (the setup entry holds the credential list: ~92 MB at a million voters).
MAX_LINE_BYTES: Final = 256 * 1024 * 1024
_FIELDS: Final = ("position", "kind", "payload", "payload_hash", "chain_hash")
_KINDS: Final = {kind.value: kind for kind in EntryKind}
_READ: Final = jsonstrict.Reader(InvalidRecord)
#: The canonical base64 check of the fast path (kept here by name for its tests).
_canonical_b64: Final = canonical.canonical_b64


def entry_line(entry: BoardEntry) -> bytes:
    """The line of ``entry`` in board.jsonl, with its newline."""
    return (
        jsonstrict.dumps(
            {
                "position": entry.position,
                "kind": entry.kind.value,
                "payload": jsonstrict.b64encode(entry.payload),
                "payload_hash": jsonstrict.b64encode(entry.payload_hash),
                "chain_hash": jsonstrict.b64encode(entry.chain_hash),
            }
        )
        + b"\n"
    )


def where(line_number: int, field: str = "") -> str:
    """``board.jsonl: line <n>`` and the field, the prefix of every message about a line."""
    return f"{BOARD_FILE}: line {line_number}" + (f": {field}" if field else "")


def parse_line(
    raw: bytes, line_number: int, election_id: str, *, index: bool = True
) -> BoardEntry:
    """Strictly decode one line (with its newline) into a BoardEntry.

    With ``index``, for a BALLOT entry the ballot hash and tracking code are computed from the
    payload (the ballot's canonical bytes); the other index columns stay ``None``. Passes that
    do not read them (the chain, the checkpoints, the ballot checks, whose workers hash each
    ballot once themselves) skip that hash.
    """
    fast = _parse_canonical_line(raw, line_number, election_id, index)
    if fast is not None:
        return fast
    if not raw.endswith(b"\n"):
        raise InvalidRecord(f"{where(line_number)}: truncated: the line has no newline at its end")
    text = raw[:-1]
    prefix = where(line_number)
    value = parse_json(text, BOARD_FILE, line_number, "entry", MAX_LINE_BYTES)
    root = f"{prefix}: entry"
    fields = _READ.object(value, root, _FIELDS)
    if jsonstrict.dumps(value) != text:
        raise InvalidRecord(f"{prefix}: not canonical JSON (sorted keys, no spaces)")
    position = _READ.integer(fields["position"], f"{root}.position", 1)
    if position != line_number:
        _READ.fail(f"{root}.position", f"{position}, expected {line_number} (the line number)")
    kind_text = _READ.string(fields["kind"], f"{root}.kind", 20)
    kind = _KINDS.get(kind_text)
    if kind is None:
        _READ.fail(f"{root}.kind", f"unknown entry kind {kind_text!r}")
    payload = _READ.b64(fields["payload"], f"{root}.payload")
    return _entry(
        election_id,
        position,
        kind,
        payload,
        _READ.b64(fields["payload_hash"], f"{root}.payload_hash", HASH_LENGTH),
        _READ.b64(fields["chain_hash"], f"{root}.chain_hash", HASH_LENGTH),
        index,
    )


def _entry(
    election_id: str,
    position: int,
    kind: EntryKind,
    payload: bytes,
    payload_hash: bytes,
    chain_hash: bytes,
    index: bool,
) -> BoardEntry:
    ballot_hash = (
        digest32(Purpose.BALLOT, payload) if index and kind is EntryKind.BALLOT else None
    )
    return BoardEntry(
        election_id=election_id,
        position=position,
        kind=kind,
        payload=payload,
        payload_hash=payload_hash,
        chain_hash=chain_hash,
        tracking_code=None if ballot_hash is None else tracking_code(ballot_hash),
        ballot_hash=ballot_hash,
    )


def _parse_canonical_line(
    raw: bytes, line_number: int, election_id: str, index: bool
) -> BoardEntry | None:
    """The entry of a line already in canonical form, without a JSON parse; else ``None``.

    The pattern admits only the canonical JSON of the five fields (sorted keys, no spaces,
    strings of base64 or lower-case letters, which need no escape, a position without leading
    zeros), so a line it accepts is exactly what :func:`entry_line` writes. Any other line,
    valid or not, goes through the strict parser, which names the fault. This is what makes a
    pass over board.jsonl cheap (no JSON tree, no re-serialisation), and a 92 MB setup line
    costs its decoded payload and nothing more (no copy of its base64).
    """
    fields = canonical.board_line_fields(raw, HASH_LENGTH)
    if fields is None:
        return None
    position, kind_text, payload, payload_hash, chain_hash = fields
    kind = _KINDS.get(kind_text)
    if kind is None or position != line_number:
        return None
    return _entry(election_id, position, kind, payload, payload_hash, chain_hash, index)


def read_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """(line number from 1, raw line with its newline), refusing over-long lines."""
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 2)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES + 1:
            raise InvalidRecord(f"{where(number)}: longer than {MAX_LINE_BYTES} bytes")
        yield number, raw


def read_entries(path: Path, election_id: str, *, index: bool = True) -> Iterator[BoardEntry]:
    """Stream the entries of ``path`` (a board.jsonl), strictly parsed, in order.

    ``index=False`` leaves the ballot hash and tracking code out (see :func:`parse_line`).
    """
    stream, _ = open_regular(path, BOARD_FILE)
    with stream:
        for number, raw in read_lines(stream):
            yield parse_line(raw, number, election_id, index=index)


def event_body(entry: BoardEntry, line_number: int) -> Any:
    """The body of a life-cycle event's payload, strictly decoded (docs/spec.md section 10.3)."""
    return decode_event(entry.kind, entry.payload, where(line_number, "entry.payload"),
                        InvalidRecord)  # fmt: skip
