"""Opening a board on an unusable database: StorageUnavailable, one line, password masked."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from evote.board import Board
from evote.board.storage import check_storage, shown_location
from evote.errors import StorageUnavailable


def _missing_directory(tmp_path: Path) -> str:
    return str(tmp_path / "no" / "such" / "directory" / "board.sqlite")


def _not_a_database(tmp_path: Path) -> str:
    path = tmp_path / "notes.sqlite"
    path.write_bytes(b"these are an officer's notes, not a database\n" * 100)
    return str(path)


def _truncated(tmp_path: Path) -> str:
    path = tmp_path / "board.sqlite"
    Board(str(path)).dispose()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    return str(path)


SQLITE_FAULTS: dict[str, tuple[Callable[[Path], str], str]] = {
    "missing directory": (_missing_directory, "unable to open database file"),
    "not a database": (_not_a_database, "file is not a database"),
    "truncated file": (_truncated, "malformed"),
}


@pytest.mark.parametrize("fault", list(SQLITE_FAULTS))
def test_unusable_sqlite_file_is_storage_unavailable(tmp_path: Path, fault: str) -> None:
    make, cause = SQLITE_FAULTS[fault]
    location = make(tmp_path)
    with pytest.raises(StorageUnavailable) as raised:
        Board(location)
    message = str(raised.value)
    assert message.startswith(f"board database {location}: cannot be opened (")
    assert cause in message
    assert "\n" not in message


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends


def test_refused_postgres_port_is_storage_unavailable() -> None:
    url = f"postgresql://officer:s3cret-pw@127.0.0.1:{_closed_port()}/evote"
    for action in (lambda: Board(url), lambda: check_storage(url)):
        with pytest.raises(StorageUnavailable) as raised:
            action()
        message = str(raised.value)
        assert message.startswith("board database postgresql://officer:***@127.0.0.1:")
        assert "refused" in message.lower()
        assert "s3cret-pw" not in message and "\n" not in message


def test_shown_location_masks_the_password() -> None:
    assert shown_location("postgresql+psycopg://a:pw@db/e") == "postgresql+psycopg://a:***@db/e"
    assert shown_location("board.sqlite") == "board.sqlite"


def test_check_storage_of_a_usable_database_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "board.sqlite"
    Board(str(path)).dispose()
    before = path.read_bytes()
    check_storage(str(path))
    assert path.read_bytes() == before
