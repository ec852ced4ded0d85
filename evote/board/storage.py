"""Database engines for the board: SQLite (embedded default) and PostgreSQL (production).

Appends to one election's chain must be serialised: two casts may not both read head ``i``
and both write position ``i + 1`` (the unique key would refuse one, but only after its checks
ran against a stale head). Write transactions therefore start with

* SQLite: ``BEGIN IMMEDIATE``, which takes the database's write lock at once (SQLite documents
  this in "Transaction", sqlite.org/lang_transaction.html); pysqlite's own transaction handling
  is switched off and the ``begin`` event emits our BEGIN, as SQLAlchemy's pysqlite dialect
  documentation describes ("Serializable isolation / Savepoints / Transactional DDL").
  The database runs in WAL mode, so readers never wait for the writer, with a busy timeout so
  that writers queue instead of failing;
* PostgreSQL (psycopg 3): ``SELECT ... FOR UPDATE`` of the election's row
  (:mod:`evote.board.store`) at READ COMMITTED, so that each following statement sees the
  entries the previous lock holder committed.

Every database fault during a write (disk full, lost connection, lock timeout) surfaces as
:class:`~evote.errors.StorageUnavailable`; the transaction is rolled back, so nothing is left
half-written.

The cast path (:meth:`evote.board.store.BoardStore.append_ballot`) is the one hot write: it runs
a handful of statements that SQLAlchemy compiles once per engine (:func:`compile_for_driver`)
on the DB-API connection itself (:func:`driver_write_transaction`), the same connection from
the same pool, with the same BEGIN IMMEDIATE or row lock. SQLAlchemy's per-statement work
(cache key, execution context, result object, events) cost more than the SQL did; in exchange,
engine events such as ``before_cursor_execute`` do not see these statements, so each one is
passed through the append-only guard (:func:`~evote.board.schema.refuse_board_change`) when it
is compiled.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.sql.compiler import SQLCompiler

from evote.board.schema import install_statement_guard, refuse_board_change
from evote.errors import InvalidInput, StorageUnavailable

WRITE_OPTION: Final = "evote_board_write"
DEFAULT_BUSY_TIMEOUT: Final = 60.0
SQLITE_SYNCHRONOUS_LEVELS: Final = frozenset({"OFF", "NORMAL", "FULL", "EXTRA"})

#: Database errors that mean "the storage is not there right now", not "the input is wrong".
STORAGE_ERRORS: Final = (exc.OperationalError, exc.InterfaceError, exc.DisconnectionError)


def database_url(location: str) -> str:
    """A SQLAlchemy URL for ``location``: a URL as is, a bare file path as a SQLite file."""
    if "://" in location:
        return location
    if not location:
        raise InvalidInput("board location: empty path")
    return f"sqlite:///{location}"


def make_engine(
    location: str,
    *,
    sqlite_synchronous: str = "FULL",
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
) -> sa.Engine:
    """An engine for the board at ``location`` (a SQLite file path or a SQLAlchemy URL).

    ``sqlite_synchronous`` is SQLite's ``PRAGMA synchronous``: FULL (the default) syncs the
    WAL at every commit, so a receipt survives a power cut; NORMAL survives a crash of the
    process but not of the machine.
    """
    url = sa.make_url(database_url(location))
    if url.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url, sqlite_synchronous, busy_timeout)
    elif url.get_backend_name() == "postgresql":
        if url.get_driver_name() not in ("psycopg", "psycopg2"):
            url = url.set(drivername="postgresql+psycopg")
        engine = sa.create_engine(url, isolation_level="READ COMMITTED")
    else:
        raise InvalidInput(
            f"board location: backend {url.get_backend_name()!r} is not supported "
            "(use a SQLite file or a postgresql:// URL)"
        )
    install_statement_guard(engine)
    return engine


def _sqlite_engine(url: sa.URL, synchronous: str, busy_timeout: float) -> sa.Engine:
    level = synchronous.upper()
    if level not in SQLITE_SYNCHRONOUS_LEVELS:
        raise InvalidInput(
            f"sqlite_synchronous: {synchronous!r} is not one of {sorted(SQLITE_SYNCHRONOUS_LEVELS)}"
        )
    engine = sa.create_engine(url, connect_args={"timeout": busy_timeout})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        # Let SQLAlchemy's begin event, not pysqlite, decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={level}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        if connection.get_execution_options().get(WRITE_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")

    return engine


@contextmanager
def write_transaction(engine: sa.Engine, what: str) -> Iterator[sa.Connection]:
    """A connection in a write transaction, committed when the block ends without error.

    Database faults become :class:`StorageUnavailable` naming ``what`` was being written; any
    error rolls the transaction back.
    """
    try:
        with engine.connect() as connection:
            connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                yield connection
    except STORAGE_ERRORS as fault:
        raise StorageUnavailable(
            f"{what}: the board's database refused the write ({_first_line(fault)})"
        ) from fault


@contextmanager
def read_connection(engine: sa.Engine, what: str) -> Iterator[sa.Connection]:
    """A connection for reading (one snapshot per transaction); faults as StorageUnavailable."""
    try:
        with engine.connect() as connection, connection.begin():
            yield connection
    except STORAGE_ERRORS as fault:
        raise StorageUnavailable(
            f"{what}: the board's database is unavailable ({_first_line(fault)})"
        ) from fault


@dataclass(frozen=True, slots=True)
class DriverStatement:
    """A statement compiled once for one dialect, to run on the DB-API connection.

    ``names`` is the order of the bound parameters for a positional paramstyle (SQLite's
    ``?``), None for a named one (psycopg's ``%(name)s``); ``defaults`` holds the values bound
    when the statement was built (such as the ``OFFSET 0`` SQLite's dialect adds to a LIMIT).
    """

    sql: str
    names: tuple[str, ...] | None
    defaults: Mapping[str, Any]

    def parameters(self, values: Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
        merged = {**self.defaults, **values}
        if self.names is None:
            return merged
        return tuple(merged[name] for name in self.names)


def compile_for_driver(statement: sa.ClauseElement, dialect: sa.Dialect) -> DriverStatement:
    """Compile a Core statement for ``dialect`` once; refuse it if it would change board rows."""
    compiled = statement.compile(dialect=dialect)
    if not isinstance(compiled, SQLCompiler):
        raise InvalidInput(f"compile_for_driver: {type(statement).__name__} is not a statement")
    sql = str(compiled)
    refuse_board_change(sql)
    names = tuple(compiled.positiontup or ()) if compiled.positional else None
    return DriverStatement(sql, names, dict(compiled.params))


class DriverTransaction:
    """The statements of one write transaction, on the DB-API connection (see the module doc).

    Each statement is one round trip on PostgreSQL, which is why a PostgreSQL cast is a single
    statement (:func:`driver_autocommit`). psycopg's pipeline mode, tried first, sent the lock
    with the check query and the INSERT with the COMMIT, but cost more client CPU than the
    round trips it saved (0.43 ms against 0.36 ms a cast).
    """

    def __init__(self, connection: Any) -> None:
        self._connection = connection
        self._cursor = connection.cursor()
        self.committed = False

    def first(self, statement: DriverStatement, values: Mapping[str, Any]) -> Any:
        """Run one query; its first row, or None."""
        self._cursor.execute(statement.sql, statement.parameters(values))
        # fetchall, not fetchone: the statement runs to its end and lets go of the database.
        found = self._cursor.fetchall()
        return found[0] if found else None

    def run(self, statement: DriverStatement, values: Mapping[str, Any]) -> None:
        """Run an INSERT."""
        self._cursor.execute(statement.sql, statement.parameters(values))

    def commit(self) -> None:
        """Commit now (the transaction's block commits at its end otherwise)."""
        self._connection.commit()
        self.committed = True


def driver_faults(engine: sa.Engine) -> tuple[type[Exception], ...]:
    """The DB-API's exceptions that mean the storage failed (as :data:`STORAGE_ERRORS`)."""
    dbapi = engine.dialect.loaded_dbapi
    faults: tuple[type[Exception], ...] = (dbapi.OperationalError, dbapi.InterfaceError)
    return faults


def driver_integrity_error(engine: sa.Engine) -> type[Exception]:
    """The DB-API's IntegrityError (a unique or check constraint refused a row)."""
    error: type[Exception] = engine.dialect.loaded_dbapi.IntegrityError
    return error


@contextmanager
def _pooled_connection(engine: sa.Engine, what: str) -> Iterator[Any]:
    """A pooled connection (SQLAlchemy's wrapper); storage faults as StorageUnavailable."""
    faults: tuple[type[Exception], ...] = (*driver_faults(engine), *STORAGE_ERRORS)
    try:
        pooled = engine.raw_connection()
    except faults as fault:
        raise StorageUnavailable(
            f"{what}: the board's database is unavailable ({_first_line(fault)})"
        ) from fault
    try:
        yield pooled
    except faults as fault:
        raise StorageUnavailable(
            f"{what}: the board's database refused the write ({_first_line(fault)})"
        ) from fault
    finally:
        pooled.close()


@contextmanager
def driver_write_transaction(engine: sa.Engine, what: str) -> Iterator[DriverTransaction]:
    """A write transaction on a pooled connection's DB-API connection, committed at the end.

    As :func:`write_transaction`: SQLite starts with ``BEGIN IMMEDIATE`` (the engine switched
    pysqlite's own transaction handling off); psycopg opens the transaction at the first
    statement, at the engine's READ COMMITTED level. The block may commit itself (to handle
    the errors the commit reports); otherwise it commits at its end. Any error rolls back; a
    connection that cannot even roll back is invalidated so that the pool never hands it out
    again. Storage faults become :class:`StorageUnavailable` naming ``what``.
    """
    with _pooled_connection(engine, what) as pooled:
        connection: Any = pooled.driver_connection
        transaction = DriverTransaction(connection)
        try:
            if engine.dialect.name == "sqlite":
                connection.execute("BEGIN IMMEDIATE")
            yield transaction
            if not transaction.committed:
                transaction.commit()
        except BaseException:
            _roll_back(pooled)
            raise


@contextmanager
def driver_autocommit(engine: sa.Engine, what: str) -> Iterator[DriverTransaction]:
    """A pooled DB-API connection in autocommit mode: each statement is its own transaction.

    For a statement that does a whole write itself (the PostgreSQL cast function): without
    the BEGIN and COMMIT round trips, a cast is one round trip. The connection goes back to
    the pool in its usual mode; one that cannot be switched back is invalidated.
    """
    with _pooled_connection(engine, what) as pooled:
        connection: Any = pooled.driver_connection
        connection.autocommit = True
        try:
            yield DriverTransaction(connection)
        finally:
            try:
                connection.autocommit = False
            except Exception:  # a broken connection: the error in flight is the one to report
                pooled.invalidate()


def _roll_back(pooled: Any) -> None:
    try:
        pooled.driver_connection.rollback()
    except Exception:  # the original error is the one to report
        pooled.invalidate()


def _first_line(fault: BaseException) -> str:
    original = getattr(fault, "orig", None) or fault
    return (
        str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    )
