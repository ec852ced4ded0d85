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
  entries the previous lock holder committed. A cast takes it in its append call, which
  appends only at the head its facts were read at (compare-and-append, in autocommit:
  :meth:`DriverConnections.autocommit_calls`).

Every database fault during a write (disk full, lost connection, lock timeout) surfaces as
:class:`~evote.errors.StorageUnavailable`; the transaction is rolled back, so nothing is left
half-written.

The cast path (:meth:`evote.board.store.BoardStore.append_ballot`) is the one hot write: it runs
a handful of statements that SQLAlchemy compiles once per engine (:func:`compile_for_driver`)
on the DB-API connection itself (:class:`DriverConnections`), a connection from the same
pool, with the same BEGIN IMMEDIATE or row lock. SQLAlchemy's per-statement work
(cache key, execution context, result object, events) cost more than the SQL did; in exchange,
engine events such as ``before_cursor_execute`` do not see these statements, so each one is
passed through the append-only guard (:func:`~evote.board.schema.refuse_board_change`) when it
is compiled.
"""

from __future__ import annotations

import os
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
_PROCESS_KEY: Final = "evote_process"
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


def shown_location(location: str) -> str:
    """``location`` as messages may show it: a URL's password masked as ``***``."""
    if "://" not in location:
        return location
    try:
        return sa.make_url(location).render_as_string(hide_password=True)
    except exc.ArgumentError:
        return "(a database URL that cannot be parsed)"


def storage_unavailable(location: str, fault: BaseException) -> StorageUnavailable:
    """The one-line error for a board database that cannot be opened: where, and the cause."""
    cause = _first_line(fault)
    if "://" in location:
        try:
            password = sa.make_url(location).password
        except exc.ArgumentError:
            password = None
        if password:  # a driver may echo its connection string
            cause = cause.replace(str(password), "***")
    return StorageUnavailable(
        f"board database {shown_location(location)}: cannot be opened ({cause})"
    )


def check_storage(location: str) -> None:
    """Connect once to the board database at ``location``: StorageUnavailable if that fails.

    Nothing is created or written; it tells an officer at once that a URL, a password or a
    server is wrong, rather than at the first step that needs the board.
    """
    engine = make_engine(location)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except exc.SQLAlchemyError as fault:
        raise storage_unavailable(location, fault) from fault
    finally:
        engine.dispose()


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
    try:
        url = sa.make_url(database_url(location))
    except exc.ArgumentError as fault:
        raise InvalidInput(f"board location: not a database URL ({fault})") from None
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
    install_fork_guard(engine)
    return engine


def install_fork_guard(engine: sa.Engine) -> None:
    """Never hand a process a pooled connection that another process opened.

    A portal that opens its Board before forking its workers (gunicorn's ``--preload``) gives
    every child a copy of the pool; a connection used by two processes corrupts their
    sessions (one socket, one SQLite file handle and its locks). Each connection records the
    process that opened it; checked out in another process, it is dropped without being
    closed (closing would end the parent's session) and the pool opens a fresh one. This is
    the recipe of SQLAlchemy's documentation ("Using Connection Pools with Multiprocessing
    or os.fork()").
    """

    @event.listens_for(engine, "connect")
    def _record_process(dbapi_connection: Any, connection_record: Any) -> None:
        connection_record.info[_PROCESS_KEY] = os.getpid()

    @event.listens_for(engine, "checkout")
    def _refuse_other_process(
        dbapi_connection: Any, connection_record: Any, connection_proxy: Any
    ) -> None:
        if connection_record.info.get(_PROCESS_KEY) != os.getpid():
            connection_record.dbapi_connection = connection_proxy.dbapi_connection = None
            raise exc.DisconnectionError("a connection opened by another process")


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
        merged = {**self.defaults, **values} if self.defaults else values
        if self.names is None:
            return merged
        return tuple([merged[name] for name in self.names])


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

    Each statement is one round trip on PostgreSQL, which is why a PostgreSQL cast is two
    autocommitted function calls, its facts and its compare-and-append (evote.board.store),
    with no BEGIN or COMMIT of their own. psycopg's pipeline mode, tried for an earlier cast
    path, sent the lock with the check query and the INSERT with the COMMIT, but cost more
    client CPU than the round trips it saved (0.43 ms against 0.36 ms a cast).
    """

    def __init__(self, connection: Any, cursor: Any = None) -> None:
        self._connection = connection
        self._cursor = connection.cursor() if cursor is None else cursor
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


_CURSOR_KEY: Final = "evote_cast_cursor"


class DriverConnections:
    """The DB-API connections of the board's hot writes (casts), from the engine's pool.

    Between writes, one connection stays checked out here instead of going back to the pool:
    SQLAlchemy's checkout and checkin cost about 4.5 us, as much as SQLite's BEGIN IMMEDIATE
    and COMMIT of an empty transaction. Writers that find it taken (concurrent threads) check a
    connection out of the pool as usual, so the pool's capacity for everything else shrinks by
    one connection at most. Its cursor is kept with it (the pooled connection's ``info``,
    which the pool clears when it replaces the DB-API connection). A write that fails gives its
    connection back to the pool, rolled back, never to the next write. :meth:`close` gives the
    kept one back; after
    ``engine.dispose()`` (a new pool: new connection settings) a kept connection of the old
    pool is closed rather than used; in a child process a kept connection of its parent is
    left alone, neither used nor closed (:func:`install_fork_guard`).
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        #: Faults of the driver and of SQLAlchemy's pool that mean "storage unavailable".
        self.faults: tuple[type[Exception], ...] = (*driver_faults(engine), *STORAGE_ERRORS)
        self.begin_immediate = engine.dialect.name == "sqlite"
        #: psycopg connections switch to autocommit for a PostgreSQL cast's calls, and back
        #: before the pool sees them (the engine's other users expect transactions).
        self.switches_autocommit = engine.dialect.name == "postgresql"
        #: (process id, pool, pooled connection) of the connection kept between writes.
        self._kept: list[tuple[int, Any, Any]] = []

    def write_transaction(self, what: str) -> DriverSession:
        """A write transaction, committed at the end of the block unless it committed.

        As :func:`write_transaction`: SQLite starts with ``BEGIN IMMEDIATE`` (the engine
        switched pysqlite's own transaction handling off); psycopg opens the transaction at the
        first statement, at the engine's READ COMMITTED level.
        """
        return DriverSession(self, what)

    def autocommit_calls(self, what: str) -> DriverSession:
        """Statements that each commit on their own (PostgreSQL only: psycopg's autocommit).

        The :class:`DriverTransaction` it gives has nothing to commit; faults and the kept
        connection are handled as for :meth:`write_transaction`.
        """
        if not self.switches_autocommit:
            raise InvalidInput(f"{what}: autocommitted calls are for PostgreSQL only")
        return DriverSession(self, what, autocommit=True)

    def take(self) -> Any:
        """A pooled connection: the kept one, or one from the pool."""
        kept = self._kept
        if kept:
            try:
                process, pool, pooled = kept.pop()
            except IndexError:  # another thread took it meanwhile
                pass
            else:
                if process != os.getpid():
                    pass  # the parent's: its session is not ours to use or to end
                elif pool is self.engine.pool:
                    return pooled
                else:
                    pooled.invalidate()
                    pooled.close()
        fresh: Any = self.engine.raw_connection()
        return fresh

    def give_back(self, pooled: Any, *, failed: bool) -> None:
        """Keep ``pooled`` for the next write, or return it to the pool (rolled back if failed)."""
        if not failed and not self._kept:
            self._kept.append((os.getpid(), self.engine.pool, pooled))
            return
        try:
            if failed:
                _roll_back(pooled)
            self._end_autocommit(pooled)
        finally:
            pooled.close()

    def close(self) -> None:
        """Give the kept connection back to the pool (before the engine is disposed)."""
        while self._kept:
            process, _, pooled = self._kept.pop()
            if process == os.getpid():
                try:
                    self._end_autocommit(pooled)
                finally:
                    pooled.close()

    def _end_autocommit(self, pooled: Any) -> None:
        """Back to transactions before the pool hands ``pooled`` to anyone else."""
        if not self.switches_autocommit or pooled.driver_connection is None:
            return
        try:
            if pooled.driver_connection.autocommit:
                pooled.driver_connection.autocommit = False
        except Exception:  # a broken connection: the pool must not hand it out again
            pooled.invalidate()


class DriverSession:
    """One write on a connection of :class:`DriverConnections`, as a context manager giving a
    :class:`DriverTransaction`.

    A class rather than a generator: a cast enters one per ballot, and the two nested
    generator-based managers it replaces cost 3 us, two thirds of the BEGIN and COMMIT of an
    empty SQLite transaction. Storage faults, while connecting or in the block, become
    :class:`StorageUnavailable` naming ``what``; any error rolls back, and a connection that
    cannot even roll back is invalidated so that the pool never hands it out again. Without an
    error, a transaction the block did not commit commits at its end.
    """

    __slots__ = ("_autocommit", "_connections", "_pooled", "_transaction", "_what")

    def __init__(
        self, connections: DriverConnections, what: str, *, autocommit: bool = False
    ) -> None:
        self._connections = connections
        self._what = what
        self._autocommit = autocommit
        self._pooled: Any = None
        self._transaction: DriverTransaction | None = None

    def __enter__(self) -> DriverTransaction:
        connections = self._connections
        try:
            pooled = connections.take()
        except connections.faults as fault:
            raise StorageUnavailable(
                f"{self._what}: the board's database is unavailable ({_first_line(fault)})"
            ) from fault
        self._pooled = pooled
        try:
            connection: Any = pooled.driver_connection
            cursor = _cached_cursor(pooled, connection)
            if connections.begin_immediate:
                cursor.execute("BEGIN IMMEDIATE")
            elif connections.switches_autocommit and connection.autocommit != self._autocommit:
                connection.autocommit = self._autocommit  # no round trip: psycopg's flag
            transaction = DriverTransaction(connection, cursor)
            # Autocommitted: each statement committed itself, nothing is left to commit.
            transaction.committed = self._autocommit
        except BaseException as error:
            self._release(failed=True)
            if isinstance(error, connections.faults):
                raise self._unavailable(error) from error
            raise
        self._transaction = transaction
        return transaction

    def __exit__(self, kind: object, error: BaseException | None, traceback: object) -> None:
        transaction = self._transaction
        if error is None and transaction is not None and not transaction.committed:
            try:
                transaction.commit()
            except BaseException as fault:
                self._release(failed=True)
                if isinstance(fault, self._connections.faults):
                    raise self._unavailable(fault) from fault
                raise
        self._release(failed=error is not None)
        if error is not None and isinstance(error, self._connections.faults):
            raise self._unavailable(error) from error

    def _release(self, *, failed: bool) -> None:
        pooled, self._pooled = self._pooled, None
        if pooled is not None:
            self._connections.give_back(pooled, failed=failed)

    def _unavailable(self, fault: BaseException) -> StorageUnavailable:
        return StorageUnavailable(
            f"{self._what}: the board's database refused the write ({_first_line(fault)})"
        )


def _cached_cursor(pooled: Any, connection: Any) -> Any:
    kept = pooled.info.get(_CURSOR_KEY)
    if kept is not None and kept[0] is connection:
        return kept[1]
    cursor = connection.cursor()
    pooled.info[_CURSOR_KEY] = (connection, cursor)
    return cursor


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
