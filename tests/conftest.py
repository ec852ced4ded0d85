"""Shared pytest fixtures for evote's tests.

Other test modules may append fixtures here; keep each one small and documented.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

#: Environment variable naming an existing PostgreSQL database whose role may create databases,
#: e.g. ``postgresql+psycopg://evote_ci:PASSWORD@127.0.0.1:PORT/evote_test`` as printed by
#: ``scripts/start-postgres.sh``. Unset, PostgreSQL tests are skipped and SQLite serves alone.
POSTGRES_URL_VARIABLE = "EVOTE_TEST_POSTGRES_URL"

#: The attack report of tests/attacks (rows passed per layer, attack-report.json).
pytest_plugins = ["tests.attacks.plugin"]


def _postgres_server_url() -> URL:
    """Return the PostgreSQL URL from the environment, or skip the calling test."""
    raw_url = os.environ.get(POSTGRES_URL_VARIABLE, "").strip()
    if not raw_url:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set: no PostgreSQL server to test against")
    return make_url(raw_url)


@pytest.fixture(scope="session")
def _postgres_admin_engine() -> Iterator[sa.Engine]:
    """An autocommit engine on the server's own database, for CREATE/DROP DATABASE."""
    engine = sa.create_engine(_postgres_server_url(), isolation_level="AUTOCOMMIT")
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def _postgres_database_url(_postgres_admin_engine: sa.Engine) -> Iterator[str]:
    """A freshly created, empty PostgreSQL database for one test, dropped afterwards."""
    # Hex suffix: a lowercase identifier that needs no quoting and cannot collide in practice.
    database_name = f"evote_t_{secrets.token_hex(8)}"
    with _postgres_admin_engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{database_name}"'))
    try:
        yield _postgres_admin_engine.url.set(database=database_name).render_as_string(
            hide_password=False
        )
    finally:
        _drop_database(_postgres_admin_engine, database_name)


def _drop_database(engine: sa.Engine, database_name: str) -> None:
    """DROP DATABASE ... WITH (FORCE), which ends the connections a test's engine may still
    hold (PostgreSQL 13+). An autovacuum worker that happens to be in the new database runs as
    the server's superuser, which a non-superuser role may not terminate (InsufficientPrivilege,
    seen once in CI): the worker leaves within moments, so the drop is tried again."""
    statement = sa.text(f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)')
    for attempt in range(100):
        try:
            with engine.connect() as connection:
                connection.execute(statement)
            return
        except sa.exc.ProgrammingError as error:
            if "pg_signal_backend" not in str(error) or attempt == 99:
                raise
            time.sleep(0.1)


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """SQLAlchemy URL of an empty database, once per backend; every test gets its own.

    SQLite: a new file in the test's ``tmp_path``. PostgreSQL: a new database on the server
    named by ``EVOTE_TEST_POSTGRES_URL`` (skipped when that variable is unset), dropped after
    the test.
    """
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'board.db'}"
    url: str = request.getfixturevalue("_postgres_database_url")
    return url
