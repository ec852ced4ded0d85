"""The record as one archive file: ``.tar.gz`` (or ``.tgz``) or ``.zip``.

The archive holds the record's files at its top level, nothing else: no directories, no
links, no absolute or relative paths. Writing is deterministic (files sorted by name, times
and owners zeroed), so the same record always gives the same archive bytes.

Reading takes ``record.json`` out first (at most 1 MiB), then extracts into a fresh private
temporary directory (removed when the process exits), member by member, and refuses, with
:class:`~evote.errors.InvalidRecord` naming the member: a name that is absolute, holds ``..``
or any directory part, a link or any non-regular member, a name given twice, a name that is no
record file or is not listed, and a member whose header or content (counted while
decompressing, never more than the declared size plus one byte written) differs from the size
``record.json`` declares. An archive that cannot be decompressed at all, or holds no
``record.json``, raises :class:`~evote.errors.UnreadableRecord`. Python's own extraction
filters are not relied on: only the bytes of accepted members are ever written, and only to
fixed names.
"""

from __future__ import annotations

import atexit
import gzip
import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Final, NoReturn, Protocol

from evote.errors import InvalidInput, InvalidRecord, UnreadableRecord
from evote.record import documents as doc
from evote.record.strict import DOCUMENT_LINE, fail, parse_document

MAX_BOARD_BYTES: Final = 1 << 40
#: A document (credentials.json of a million voters is ~70 MB).
MAX_DOCUMENT_BYTES: Final = 256 * 1024 * 1024
MAX_MEMBERS: Final = doc.MAX_FILES + 1
COPY_CHUNK: Final = 1 << 20
_ZIP_EPOCH: Final = (1980, 1, 1, 0, 0, 0)


def archive_format(path: Path) -> str:
    """``"tar"`` or ``"zip"`` from the file name; InvalidInput for anything else."""
    name = path.name.lower()
    if name.endswith((".tar.gz", ".tgz")):
        return "tar"
    if name.endswith(".zip"):
        return "zip"
    raise InvalidInput(f"{path}: an archive must end in .tar.gz, .tgz or .zip")


def _record_files(directory: Path) -> list[Path]:
    return sorted(path for path in directory.iterdir() if path.is_file())


def write_archive(directory: Path, target: Path) -> Path:
    """Write the files of the record ``directory`` into the archive ``target`` (atomically)."""
    kind = archive_format(target)
    partial = target.with_name(f".{target.name}.partial")
    try:
        if kind == "tar":
            _write_tar(directory, partial)
        else:
            _write_zip(directory, partial)
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target


def _write_tar(directory: Path, target: Path) -> None:
    with (
        target.open("xb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as compressed,
        tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for path in _record_files(directory):
            info = tarfile.TarInfo(path.name)
            info.size = path.stat().st_size
            info.mode = 0o644
            info.mtime = 0
            with path.open("rb") as stream:
                tar.addfile(info, stream)


def _write_zip(directory: Path, target: Path) -> None:
    with zipfile.ZipFile(target, "x", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in _record_files(directory):
            info = zipfile.ZipInfo(path.name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            with path.open("rb") as source, archive.open(info, "w", force_zip64=True) as sink:
                shutil.copyfileobj(source, sink, COPY_CHUNK)


# -- reading ----------------------------------------------------------------------------------

#: record.json itself (a few hundred bytes: format, election id, up to MAX_FILES entries).
MAX_INDEX_BYTES: Final = 1 << 20

Listing = dict[str, tuple[int, str, str]]


def _limit(name: str) -> int:
    return MAX_BOARD_BYTES if name == doc.BOARD else MAX_DOCUMENT_BYTES


def _check_name(archive: Path, name: str, seen: set[str]) -> None:
    where = f"{archive.name}: member {name!r}"
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise InvalidRecord(f"{where}: absolute path refused")
    parts = name.replace("\\", "/").split("/")
    if ".." in parts:
        raise InvalidRecord(f"{where}: '..' in the path refused")
    if len(parts) != 1:
        raise InvalidRecord(f"{where}: a record archive holds its files at the top level only")
    if name != doc.INDEX and name not in doc.KNOWN_FILES:
        raise InvalidRecord(f"{where}: not a record file")
    if name in seen:
        raise InvalidRecord(f"{where}: appears twice in the archive")
    if len(seen) >= MAX_MEMBERS:
        raise InvalidRecord(f"{archive.name}: more than {MAX_MEMBERS} members")
    seen.add(name)


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def _read_bounded(source: _Readable, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of ``source``: one more than allowed tells it is too long."""
    pieces = []
    left = limit + 1
    while left > 0 and (chunk := source.read(min(COPY_CHUNK, left))):
        pieces.append(chunk)
        left -= len(chunk)
    return b"".join(pieces)


def _read_listing(data: bytes) -> Listing:
    """The files record.json lists, with their declared sizes (which bound the extraction)."""
    if len(data) > MAX_INDEX_BYTES:
        fail(doc.INDEX, DOCUMENT_LINE, "record", f"larger than {MAX_INDEX_BYTES} bytes")
    _, listed = doc.read_index(parse_document(data, doc.INDEX, "record", MAX_INDEX_BYTES))
    for name, (size, _, field) in listed.items():
        if size > _limit(name):
            fail(doc.INDEX, DOCUMENT_LINE, f"{field}.size", f"{size} bytes, larger than"
                 f" {_limit(name)} (the limit for {name})")  # fmt: skip
    return listed


def _member_size(archive: Path, name: str, size: int, listed: Listing) -> int:
    """The size record.json declares for member ``name``, which its header must agree with."""
    declared = listed.get(name)
    if declared is None:
        fail(doc.INDEX, DOCUMENT_LINE, "record.files", f"{name} is in the record but not listed"
             " (a record holds only the listed files)")  # fmt: skip
    if size != declared[0]:
        fail(doc.INDEX, DOCUMENT_LINE, f"{declared[2]}.size", f"{name} has {size} bytes in"
             f" {archive.name}, record.json says {declared[0]}")  # fmt: skip
    return declared[0]


def _copy_bounded(source: _Readable, target: Path, name: str, size: int, field: str) -> None:
    """Copy at most ``size + 1`` bytes, counted while decompressing, whatever the header says."""
    written = 0
    with target.open("xb") as sink:
        while written <= size and (chunk := source.read(min(COPY_CHUNK, size + 1 - written))):
            written += len(chunk)
            sink.write(chunk)
    if written != size:
        shown = f"more than {size}" if written > size else str(written)
        fail(doc.INDEX, DOCUMENT_LINE, f"{field}.size",
             f"{name} has {shown} bytes, record.json says {size}")  # fmt: skip


def extract_archive(archive: Path) -> Path:
    """Extract a record archive safely into a fresh temporary directory; return it.

    record.json is read first (at most :data:`MAX_INDEX_BYTES`); then each listed member is
    extracted, and no more than the size record.json declares for it (plus one byte, to tell
    that it is too long) is ever written. An archive that cannot be opened or decompressed, or
    that holds no record.json, raises UnreadableRecord; a member that breaks the rules above,
    or disagrees with record.json, InvalidRecord.
    """
    archive_format_name = _format_or_refuse(archive)
    target = Path(tempfile.mkdtemp(prefix="evote-record-"))
    atexit.register(shutil.rmtree, target, True)
    try:
        if archive_format_name == "tar":
            _extract_tar(archive, target)
        else:
            _extract_zip(archive, target)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target


def _format_or_refuse(archive: Path) -> str:
    try:
        return archive_format(archive)
    except InvalidInput as fault:
        raise UnreadableRecord(f"not a record: {fault}") from None


def _no_index(archive: Path) -> NoReturn:
    raise UnreadableRecord(f"{archive.name}: not a record: the archive holds no {doc.INDEX}")


def _extract_tar(archive: Path, target: Path) -> None:
    try:
        # Two passes over the stream: record.json (near the end: members are sorted) bounds
        # every other member, and nothing is written before it is read. Both passes check
        # every member's name and type.
        index: bytes | None = None
        with tarfile.open(archive, mode="r:gz") as tar:
            seen: set[str] = set()
            for member in _checked_tar_members(tar, archive, seen):
                if member.name == doc.INDEX:
                    with _tar_source(tar, member, archive) as source:
                        index = _read_bounded(source, MAX_INDEX_BYTES)
        # Read once every member's name is known to be safe and unique.
        listed = None if index is None else _read_listing(index)
        if listed is None:
            _no_index(archive)
        with tarfile.open(archive, mode="r:gz") as tar:
            seen = set()
            for member in _checked_tar_members(tar, archive, seen):
                with _tar_source(tar, member, archive) as source:
                    _extract_member(archive, target, member.name, member.size, listed, source)
    except (tarfile.TarError, EOFError, gzip.BadGzipFile, OSError, zlib.error) as fault:
        raise UnreadableRecord(
            f"{archive.name}: not a readable .tar.gz archive ({fault})"
        ) from None


def _checked_tar_members(
    tar: tarfile.TarFile, archive: Path, seen: set[str]
) -> Iterator[tarfile.TarInfo]:
    for member in _tar_members(tar):
        _check_name(archive, member.name, seen)
        if not member.isreg():
            raise InvalidRecord(
                f"{archive.name}: member {member.name!r}: not a regular file "
                "(links, directories and devices are refused)"
            )
        yield member


def _tar_source(tar: tarfile.TarFile, member: tarfile.TarInfo, archive: Path) -> IO[bytes]:
    source = tar.extractfile(member)
    if source is None:
        raise InvalidRecord(f"{archive.name}: member {member.name!r}: unreadable")
    return source


def _extract_member(
    archive: Path,
    target: Path,
    name: str,
    header_size: int,
    listed: Listing,
    source: _Readable,
) -> None:
    """Write member ``name`` (its header's size given) into ``target``, within its declared size."""
    if name == doc.INDEX:
        _write_index(target, _read_bounded(source, MAX_INDEX_BYTES))
        return
    size = _member_size(archive, name, header_size, listed)
    _copy_bounded(source, target / name, name, size, listed[name][2])


def _write_index(target: Path, data: bytes) -> None:
    with (target / doc.INDEX).open("xb") as sink:
        sink.write(data)


def _tar_members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    while True:
        member = tar.next()
        if member is None:
            return
        yield member


def _extract_zip(archive: Path, target: Path) -> None:
    seen: set[str] = set()
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = bundle.infolist()
            for info in members:
                _check_name(archive, info.filename, seen)
                mode = info.external_attr >> 16
                if info.is_dir() or (mode and not stat.S_ISREG(mode)):
                    raise InvalidRecord(
                        f"{archive.name}: member {info.filename!r}: not a regular file "
                        "(links and directories are refused)"
                    )
            index = next((info for info in members if info.filename == doc.INDEX), None)
            if index is None:
                _no_index(archive)
            with bundle.open(index) as source:
                listed = _read_listing(_read_bounded(source, MAX_INDEX_BYTES))
            for info in members:
                with bundle.open(info) as source:
                    _extract_member(archive, target, info.filename, info.file_size, listed,
                                    source)  # fmt: skip
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, zlib.error) as fault:
        raise UnreadableRecord(f"{archive.name}: not a readable .zip archive ({fault})") from None
