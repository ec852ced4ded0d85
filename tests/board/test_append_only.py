"""Nothing on the board is ever updated or deleted: the code has no path, the database refuses."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import sqlalchemy as sa

import evote.board
from evote.board import Board
from evote.board.schema import BOARD_TABLE_NAMES, refuse_board_change
from evote.errors import BoardIntegrityError
from tests.board.helpers import BOARD_KEY, make_election

PACKAGE = Path(evote.board.__file__).parent
FORBIDDEN_CALLS = {"update", "delete", "truncate", "merge", "bulk_update_mappings"}


def _sources() -> list[Path]:
    files = sorted(PACKAGE.glob("*.py"))
    assert len(files) >= 6
    return files


@pytest.mark.parametrize("path", _sources(), ids=lambda path: path.name)
def test_package_source_has_no_update_or_delete(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            function = node.func
            name = (
                function.attr
                if isinstance(function, ast.Attribute)
                else getattr(function, "id", "")
            )
            assert name.lower() not in FORBIDDEN_CALLS, f"{path.name}:{node.lineno}: {name}()"
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            words = node.value.split()
            first = words[0].upper() if words else ""
            # SQL text that would change rows (the trigger DDL starts with CREATE).
            assert first not in {"UPDATE", "DELETE", "TRUNCATE", "REPLACE"}, (
                f"{path.name}:{node.lineno}: SQL statement {node.value[:40]!r}"
            )
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("sqlalchemy")
        ):
            imported = {alias.name for alias in node.names}
            assert not imported & FORBIDDEN_CALLS, f"{path.name}: imports {imported}"


def _populated(url: str) -> Board:
    board = Board(url, BOARD_KEY)
    item = make_election(voters=2)
    board.setup(item.election, item.ceremony)
    board.open_election("board-test")
    board.cast("board-test", item.ballot(0))
    return board


CHANGES = [
    "UPDATE evote_board_entries SET kind = 'ballot'",
    "UPDATE evote_board_entries SET payload = payload WHERE position = 3",
    "DELETE FROM evote_board_entries WHERE position = 3",
    "DELETE FROM evote_board_checkpoints",
    "UPDATE evote_board_elections SET launch_code = 'x'",
    "DELETE FROM evote_board_elections",
]


@pytest.mark.parametrize("statement", CHANGES)
def test_database_triggers_refuse_changes(database_url: str, statement: str) -> None:
    board = _populated(database_url)
    board.dispose()
    raw = sa.create_engine(database_url)  # no evote listener: only the triggers stand guard
    try:
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), raw.begin() as connection:
            connection.exec_driver_sql(statement)
        if raw.dialect.name == "postgresql":
            with pytest.raises(sa.exc.DatabaseError, match="append-only"), raw.begin() as c:
                c.exec_driver_sql("TRUNCATE evote_board_entries, evote_board_checkpoints")
    finally:
        raw.dispose()
    with Board(database_url, BOARD_KEY) as reopened:
        assert reopened.verify("board-test").position == 3


@pytest.mark.parametrize("statement", CHANGES)
def test_engine_listener_refuses_changes(database_url: str, statement: str) -> None:
    with _populated(database_url) as board:
        with pytest.raises(BoardIntegrityError, match="append-only"), board.engine.begin() as c:
            c.exec_driver_sql(statement)
        table = sa.table("evote_board_entries", sa.column("kind"), sa.column("position"))
        with pytest.raises(BoardIntegrityError), board.engine.begin() as connection:
            connection.execute(sa.update(table).values(kind="x"))
        with pytest.raises(BoardIntegrityError), board.engine.begin() as connection:
            connection.execute(sa.delete(table).where(table.c.position == 3))
        assert board.verify("board-test").position == 3


def test_guard_lets_reads_and_inserts_through() -> None:
    for name in BOARD_TABLE_NAMES:
        refuse_board_change(f"SELECT * FROM {name}")
        refuse_board_change(f"INSERT INTO {name} (a) VALUES (1)")
    refuse_board_change("UPDATE other_table SET a = 1")
    with pytest.raises(BoardIntegrityError):
        refuse_board_change("  delete from evote_board_entries")
