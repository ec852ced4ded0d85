"""The payloads of the board's life-cycle and spoiled entries (docs/spec.md section 10.3).

One strict codec for both callers: the board builds every payload here and decodes it back
before it appends (so it never writes what a reader would refuse), and the record's reader and
the verifier decode with the same functions. A payload is refused unless it is the canonical
JSON (section 6.1) of its schema (evote/record/schema/event-payload.schema.json):

* ``open``, ``close``, ``tally``, ``result``: ``{"body", "event", "version": 1}``, ``event``
  the entry's kind; the body of ``open`` and ``close`` is ``null``; the body of ``tally`` and
  ``result`` is an object (tally.json's and result.json's, whose fields their own decoders
  check: :func:`evote.record.publish.published_tally_from_json_obj`,
  ``result_from_json_obj``);
* ``spoiled``: ``{"audit", "ballot"}``, ``ballot`` the base64 of the ballot's canonical bytes,
  ``audit`` the revealed choices and nonces (section 6.7,
  :func:`evote.ballots.audit.audited_ballot_from_json_obj`).
"""

from __future__ import annotations

from typing import Any, Final

from evote import jsonstrict
from evote.ballots.audit import AuditedBallot, audited_ballot_from_json_obj
from evote.board.chain import EntryKind
from evote.errors import InvalidBallot, InvalidInput

EVENT_VERSION: Final = 1
EVENT_KINDS: Final = (EntryKind.OPEN, EntryKind.CLOSE, EntryKind.TALLY, EntryKind.RESULT)
#: Events that carry no data: their body is JSON null.
_EMPTY_EVENTS: Final = (EntryKind.OPEN, EntryKind.CLOSE)


def _canonical(payload: bytes, where: str, error: type[InvalidInput]) -> Any:
    value = jsonstrict.loads(payload, where, error)
    if jsonstrict.dumps(value) != payload:
        raise error(f"{where}: not canonical JSON (sorted keys, no spaces)")
    return value


def decode_event(
    kind: EntryKind, payload: bytes, where: str, error: type[InvalidInput] = InvalidInput
) -> Any:
    """The body of a life-cycle event's payload, strictly decoded; ``error`` if it is not one."""
    read = jsonstrict.Reader(error)
    if kind not in EVENT_KINDS:
        raise error(f"{where}: a {kind.value} entry is not a life-cycle event")
    fields = read.object(_canonical(payload, where, error), where, ("event", "version", "body"))
    if read.string(fields["event"], f"{where}.event", 20) != kind.value:
        read.fail(f"{where}.event", f"{fields['event']!r} in a {kind.value} entry")
    version = read.integer(fields["version"], f"{where}.version")
    if version != EVENT_VERSION:
        read.fail(f"{where}.version", f"unknown version {version} (this evote reads 1)")
    body = fields["body"]
    if kind in _EMPTY_EVENTS and body is not None:
        read.fail(f"{where}.body", f"the body of a {kind.value} event is null")
    if kind not in _EMPTY_EVENTS and not isinstance(body, dict):
        read.fail(f"{where}.body", f"the body of a {kind.value} event is an object")
    return body


def event_payload(kind: EntryKind, body: Any = None) -> bytes:
    """The canonical payload of a life-cycle event; InvalidInput if a reader would refuse it."""
    payload = jsonstrict.dumps({"event": kind.value, "version": EVENT_VERSION, "body": body})
    decode_event(kind, payload, f"{kind.value} event payload")
    return payload


def spoiled_parts(
    payload: bytes, where: str, error: type[InvalidInput] = InvalidInput
) -> tuple[bytes, Any]:
    """(the ballot's bytes, the audit's JSON value) of a spoiled entry's payload.

    ``error`` unless the payload is the canonical ``{"audit", "ballot"}`` object with the
    ballot in base64; the audit is decoded by :func:`decode_spoiled`.
    """
    read = jsonstrict.Reader(error)
    fields = read.object(_canonical(payload, where, error), where, ("ballot", "audit"))
    return read.b64(fields["ballot"], f"{where}.ballot"), fields["audit"]


def decode_spoiled(
    payload: bytes, where: str, error: type[InvalidInput] = InvalidInput
) -> tuple[bytes, AuditedBallot]:
    """(the ballot's bytes, the audit) of a spoiled entry's payload, strictly decoded.

    As :func:`spoiled_parts`; an audit off its schema raises
    :class:`~evote.errors.InvalidBallot` naming the field. Whether the audit holds is
    :func:`evote.ballots.audit.check_audit`'s question.
    """
    ballot, audit = spoiled_parts(payload, where, error)
    return ballot, audited_ballot_from_json_obj(audit, f"{where}.audit")


def spoiled_payload(ballot_bytes: bytes, audit: AuditedBallot) -> bytes:
    """The canonical payload of a spoiled entry; InvalidBallot if a reader would refuse it."""
    payload = jsonstrict.dumps(
        {"ballot": jsonstrict.b64encode(ballot_bytes), "audit": audit.to_json_obj()}
    )
    decode_spoiled(payload, "spoiled payload", InvalidBallot)
    return payload
