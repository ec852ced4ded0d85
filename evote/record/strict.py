"""Strict reading of the record's files, with messages ``<file>: line <n>: <field>: <what>``.

:func:`parse_json` is :func:`evote.jsonstrict.loads` with :class:`~evote.errors.InvalidRecord`,
its message put in the record's form: the path jsonstrict names (a duplicate key's or an
oversized integer's included) below the document's root.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, BinaryIO, Final, NoReturn

from evote import jsonstrict
from evote.errors import InvalidRecord, UnreadableRecord

DOCUMENT_LINE: Final = 1
#: Opening never waits: a FIFO or a device named like a record file is refused, not read.
_OPEN_FLAGS: Final = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


def open_regular(path: Path, name: str) -> tuple[BinaryIO, int]:
    """Open the record file ``path`` for reading: (stream, size from ``fstat``).

    Opened with ``O_NONBLOCK`` and checked with ``fstat`` before a byte is read, so that a
    FIFO, a socket or a device never makes the reader wait: anything but a regular file raises
    InvalidRecord. A file that cannot be opened at all (no such file, permission denied, a
    directory) raises UnreadableRecord: nothing was judged.
    """
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError as fault:
        raise UnreadableRecord(f"{name}: cannot be read ({fault.strerror})") from fault
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            fail(name, DOCUMENT_LINE, "(file)", "not a regular file (FIFOs, devices refused)")
        os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb"), info.st_size
    except BaseException:
        os.close(descriptor)
        raise


def prefix(file: str, line: int) -> str:
    return f"{file}: line {line}"


def fail(file: str, line: int, field: str, what: str) -> NoReturn:
    raise InvalidRecord(f"{prefix(file, line)}: {field}: {what}")


def parse_json(data: bytes, file: str, line: int, root: str, max_size: int) -> Any:
    """One strict JSON value; InvalidRecord ``<file>: line <n>: <field>: <what>`` on faults."""
    here = prefix(file, line)
    try:
        return jsonstrict.loads(data, here, InvalidRecord, max_size)
    except InvalidRecord as fault:
        message = str(fault)
        if message.startswith((f"{here}.", f"{here}[")):
            # jsonstrict names the path below the document's root.
            raise InvalidRecord(f"{here}: {root}{message[len(here) :]}") from None
        what = message[len(here) + 2 :] if message.startswith(f"{here}: ") else message
        raise InvalidRecord(f"{here}: {root}: {what}") from None


def parse_document(data: bytes, file: str, root: str, max_size: int) -> Any:
    """A record document: the canonical JSON of one value and a newline, nothing else."""
    if not data.endswith(b"\n"):
        fail(file, DOCUMENT_LINE, root, "truncated: the document does not end with a newline")
    text = data[:-1]
    if b"\n" in text:
        fail(file, DOCUMENT_LINE, root, "more than one line (a document is canonical JSON)")
    value = parse_json(text, file, DOCUMENT_LINE, root, max_size)
    if jsonstrict.dumps(value) != text:
        fail(file, DOCUMENT_LINE, root, "not canonical JSON (sorted keys, no spaces)")
    return value


def document_bytes(value: Any) -> bytes:
    """What :func:`parse_document` reads: canonical JSON and one newline."""
    return jsonstrict.dumps(value) + b"\n"
