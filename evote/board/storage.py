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
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy import event, exc

from evote.board.schema import install_statement_guard
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


def _first_line(fault: BaseException) -> str:
    original = getattr(fault, "orig", None) or fault
    return (
        str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    )
