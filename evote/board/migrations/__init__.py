"""The board's schema, versioned: Alembic migrations shipped in the package, run by evote.

Every board database records its schema revision in the table ``evote_board_version`` (Alembic's
version table under a name of evote's own, so that a portal's own Alembic history may share the
database). The revisions are the modules of ``versions/``, each with its DDL frozen inside it;
:data:`HEAD_REVISION` is the newest, the one this evote's code reads and writes.

* A new board is made by running every migration, in order, in one transaction
  (:func:`open_schema` does it when it finds an empty database). There is no other way a board
  is created.
* Opening a board (:class:`~evote.board.Board`) reads the revision, one query, and refuses with
  :class:`~evote.errors.SchemaVersionMismatch` a database older than the code ("run `evote db
  upgrade`") or newer than it ("upgrade evote"). Opening never migrates an existing board: an
  officer decides when (``evote db upgrade --database URL``, :func:`upgrade`).
* A board made before the schema was versioned (the board's tables, no version table) is
  taken for revision 0001 by :func:`upgrade` if its tables have 0001's columns and indexes: the
  triggers and PostgreSQL functions are (re)defined as 0001's and the revision is recorded; a
  board whose tables differ is refused (export its elections with the evote that made it).
* Migrations add tables, columns, indexes, functions and triggers, and may replace or drop a
  function that no longer serves (0002 drops the cast function that decided on the server).
  None rewrites or deletes a board entry (docs/architecture.md, "How to change the board's
  schema"); none can be reversed.

Migrations run in a write transaction (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: an advisory
lock as well), so two processes opening a new board at once create it once, and a failed
migration leaves the database as it was (both databases run DDL in transactions).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Final

import sqlalchemy as sa
from sqlalchemy import exc

from evote.board.storage import WRITE_OPTION, shown_location
from evote.errors import SchemaVersionMismatch

if TYPE_CHECKING:  # alembic is imported when a migration runs, not at every opening
    from alembic.script import ScriptDirectory

VERSION_TABLE: Final = "evote_board_version"
#: The newest revision, the schema this evote's code uses (a test checks it is the scripts').
HEAD_REVISION: Final = "0003"
#: The revision a board made before the schema was versioned is taken for.
FIRST_REVISION: Final = "0001"
MIGRATIONS_DIRECTORY: Final = Path(__file__).resolve().parent
# Two processes creating or upgrading one PostgreSQL board at once queue on this lock.
_POSTGRES_LOCK: Final = "SELECT pg_advisory_xact_lock(2025051701)"
_BOARD_TABLE_PREFIX: Final = "evote_board_"
_POSTGRES_FUNCTIONS: Final = sa.text(
    "SELECT oid::regprocedure::text FROM pg_proc WHERE proname LIKE 'evote\\_board\\_%'"
    " AND pronamespace = current_schema()::regnamespace"
)


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    """A board database's schema revision against this evote's.

    ``current`` is None for a database without a version table: ``empty`` (nothing of a
    board) or a board made before the schema was versioned.
    """

    current: str | None
    head: str
    empty: bool

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def known_revisions() -> tuple[str, ...]:
    """Every revision this evote ships, oldest first."""
    return tuple(reversed([script.revision for script in _scripts().walk_revisions()]))


def open_schema(engine: sa.Engine, location: str) -> None:
    """At a board's opening: create the schema of an empty database, else check its revision.

    One query when the board is up to date. SchemaVersionMismatch for a database older or newer
    than the code, or made before the schema was versioned; SQLAlchemy's errors pass through.
    """
    try:
        with engine.connect() as connection:
            current = _read_revision(connection)
    except exc.DBAPIError:
        current = _create_if_empty(engine, location)
    _check_revision(current, location)


def schema_status(engine: sa.Engine) -> SchemaStatus:
    """The revision of the board database on ``engine`` (nothing written)."""
    with engine.connect() as connection:
        names = set(sa.inspect(connection).get_table_names())
        current = _read_revision(connection) if VERSION_TABLE in names else None
    empty = current is None and not _board_tables(names)
    return SchemaStatus(current=current, head=HEAD_REVISION, empty=empty)


def upgrade(
    engine: sa.Engine, location: str, *, target: str = HEAD_REVISION
) -> tuple[str | None, str]:
    """Bring the board database to :data:`HEAD_REVISION`; (revision before, revision after).

    Idempotent: a board at the head is left as it is. An empty database gets the whole schema;
    a board made before versioning is recognised as revision 0001 first (see the module doc).
    SchemaVersionMismatch for a database newer than the code or not recognised. ``target``,
    an earlier revision, makes the board of an earlier release (the migration tests do).
    """
    with _locked_transaction(engine) as connection:
        names = set(sa.inspect(connection).get_table_names())
        before = _read_revision(connection) if VERSION_TABLE in names else None
        if before is None and _board_tables(names):
            _adopt_unversioned(connection, location)
        elif before is not None and before not in known_revisions():
            raise _newer(before, location)
        _run_to(connection, target)
        after = _read_revision(connection)
    if target == HEAD_REVISION:
        _check_revision(after, location)
    return before, target


def _create_if_empty(engine: sa.Engine, location: str) -> str | None:
    """The revision found once the write lock is held: a new board's schema is made here."""
    with _locked_transaction(engine) as connection:
        names = set(sa.inspect(connection).get_table_names())
        if VERSION_TABLE in names:  # another process made it meanwhile
            return _read_revision(connection)
        if _board_tables(names):
            return None
        _run_to(connection, HEAD_REVISION)
        return _read_revision(connection)


@contextmanager
def _locked_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A write transaction that holds the board's write lock (SQLAlchemy's errors pass through:
    the caller names the database in its StorageUnavailable)."""
    with engine.connect() as connection:
        connection.execution_options(**{WRITE_OPTION: True})
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(_POSTGRES_LOCK)
            yield connection


def _check_revision(current: str | None, location: str) -> None:
    shown = shown_location(location)
    if current == HEAD_REVISION:
        return
    if current is None:
        raise SchemaVersionMismatch(
            f"board database {shown}: made before evote versioned its schema; run"
            f" `evote db upgrade --database {shown}` once to record its revision"
        )
    if current in known_revisions():
        raise SchemaVersionMismatch(
            f"board database {shown}: schema revision {current} is older than this evote's"
            f" ({HEAD_REVISION}); run `evote db upgrade --database {shown}`"
        )
    raise _newer(current, location)


def _newer(current: str, location: str) -> SchemaVersionMismatch:
    return SchemaVersionMismatch(
        f"board database {shown_location(location)}: schema revision {current!r} is newer than"
        f" this evote's ({HEAD_REVISION}); upgrade evote to the release that wrote it"
    )


def _read_revision(connection: sa.Connection) -> str | None:
    query = f"SELECT version_num FROM {VERSION_TABLE}"  # noqa: S608 (a constant)
    revisions = list(connection.exec_driver_sql(query).scalars())
    if len(revisions) > 1:
        raise SchemaVersionMismatch(
            f"the board's {VERSION_TABLE} table names {len(revisions)} revisions, not one"
        )
    return revisions[0] if revisions else None


def _board_tables(names: set[str]) -> set[str]:
    return {name for name in names if name.startswith(_BOARD_TABLE_PREFIX)} - {VERSION_TABLE}


def _adopt_unversioned(connection: sa.Connection, location: str) -> None:
    """Record revision 0001 for a board made before versioning, if its tables are 0001's."""
    from alembic.migration import MigrationContext  # noqa: PLC0415 (117 ms, only to migrate)
    from alembic.operations import Operations  # noqa: PLC0415

    first = _revision_module(FIRST_REVISION)
    differences = _differences(connection, first.TABLES)
    if connection.dialect.name == "postgresql":
        found = set(connection.execute(_POSTGRES_FUNCTIONS).scalars())
        differences += [f"function {name}" for name in sorted(found - first.POSTGRES_FUNCTIONS)]
    if differences:
        raise SchemaVersionMismatch(
            f"board database {shown_location(location)}: made before evote versioned its"
            f" schema, and not revision {FIRST_REVISION}'s tables ({'; '.join(differences)});"
            " export its elections' records with the evote that made it"
        )
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    with Operations.context(context):
        first.create_guards()
    context.stamp(_scripts(), FIRST_REVISION)


def _differences(
    connection: sa.Connection, tables: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]
) -> list[str]:
    inspector = sa.inspect(connection)
    names = set(inspector.get_table_names())
    found: list[str] = []
    for table, (columns, indexes) in tables.items():
        if table not in names:
            found.append(f"no table {table}")
            continue
        has = tuple(column["name"] for column in inspector.get_columns(table))
        if has != columns:
            found.append(f"{table} has columns {', '.join(has)}")
        indexed = {index["name"] for index in inspector.get_indexes(table)}
        missing = sorted(set(indexes) - indexed)
        if missing:
            found.append(f"{table} lacks index {', '.join(missing)}")
    found.extend(f"unknown table {name}" for name in sorted(_board_tables(names) - set(tables)))
    return found


def _run_to(connection: sa.Connection, target: str) -> None:
    from alembic import command  # noqa: PLC0415 (117 ms, only to migrate)
    from alembic.config import Config  # noqa: PLC0415

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIRECTORY))
    config.attributes["connection"] = connection
    command.upgrade(config, target)


@cache
def _scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory  # noqa: PLC0415 (117 ms, only to migrate)

    return ScriptDirectory(str(MIGRATIONS_DIRECTORY))


def _revision_module(revision: str) -> ModuleType:
    script = _scripts().get_revision(revision)
    if script is None:
        raise SchemaVersionMismatch(f"no migration {revision} in {MIGRATIONS_DIRECTORY}")
    return script.module
