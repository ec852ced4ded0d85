"""The record as one archive file: ``.tar.gz`` (or ``.tgz``) or ``.zip``.

The archive holds the record's files at its top level, nothing else: no directories, no
links, no absolute or relative paths. Writing is deterministic (files sorted by name, times
and owners zeroed), so the same record always gives the same archive bytes.

Reading extracts into a fresh private temporary directory (removed when the process exits),
member by member, and refuses, with :class:`~evote.errors.InvalidRecord` naming the member:
a name that is absolute, holds ``..`` or any directory part, a link or any non-regular member,
a name given twice, a name that is no record file, and a member larger than its limit (counted
while decompressing, whatever the header claims). Python's own extraction filters are not
relied on: only the bytes of accepted members are ever written, and only to fixed names.
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
from typing import Final, Protocol

from evote.errors import InvalidInput, InvalidRecord
from evote.record import documents as doc

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


def _copy_bounded(source: _Readable, target: Path, archive: Path, name: str) -> None:
    limit = _limit(name)
    written = 0
    with target.open("xb") as sink:
        while chunk := source.read(COPY_CHUNK):
            written += len(chunk)
            if written > limit:
                raise InvalidRecord(f"{archive.name}: member {name!r}: larger than {limit} bytes")
            sink.write(chunk)


def extract_archive(archive: Path) -> Path:
    """Extract a record archive safely into a fresh temporary directory; return it."""
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
        raise InvalidRecord(str(fault)) from None


def _extract_tar(archive: Path, target: Path) -> None:
    seen: set[str] = set()
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for member in _tar_members(tar):
                _check_name(archive, member.name, seen)
                if not member.isreg():
                    raise InvalidRecord(
                        f"{archive.name}: member {member.name!r}: not a regular file "
                        "(links, directories and devices are refused)"
                    )
                if member.size > _limit(member.name):
                    raise InvalidRecord(
                        f"{archive.name}: member {member.name!r}: {member.size} bytes, larger "
                        f"than {_limit(member.name)}"
                    )
                source = tar.extractfile(member)
                if source is None:
                    raise InvalidRecord(f"{archive.name}: member {member.name!r}: unreadable")
                with source:
                    _copy_bounded(source, target / member.name, archive, member.name)
    except (tarfile.TarError, EOFError, gzip.BadGzipFile, OSError, zlib.error) as fault:
        raise InvalidRecord(f"{archive.name}: not a readable .tar.gz archive ({fault})") from None


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
            for info in bundle.infolist():
                _check_name(archive, info.filename, seen)
                mode = info.external_attr >> 16
                if info.is_dir() or (mode and not stat.S_ISREG(mode)):
                    raise InvalidRecord(
                        f"{archive.name}: member {info.filename!r}: not a regular file "
                        "(links and directories are refused)"
                    )
                if info.file_size > _limit(info.filename):
                    raise InvalidRecord(
                        f"{archive.name}: member {info.filename!r}: {info.file_size} bytes, "
                        f"larger than {_limit(info.filename)}"
                    )
                with bundle.open(info) as source:
                    _copy_bounded(source, target / info.filename, archive, info.filename)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, zlib.error) as fault:
        raise InvalidRecord(f"{archive.name}: not a readable .zip archive ({fault})") from None
