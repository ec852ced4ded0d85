"""The test databases work: each backend of ``database_url`` stores and returns a row, and every
test starts from an empty database. CI runs this against PostgreSQL too (see ``.ci/run``)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

EXPECTED_DIALECT = {"sqlite": "sqlite", "postgres": "postgresql"}


def _probe_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "ci_probe",
        metadata,
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
    )


def test_database_url_points_at_the_requested_backend(
    request: pytest.FixtureRequest, database_url: str
) -> None:
    backend = request.node.callspec.params["database_url"]
    engine = sa.create_engine(database_url)
    try:
        assert engine.dialect.name == EXPECTED_DIALECT[backend]
    finally:
        engine.dispose()


def test_a_row_written_is_read_back(database_url: str) -> None:
    table = _probe_table(sa.MetaData())
    engine = sa.create_engine(database_url)
    try:
        # No checkfirst: creating the table fails if an earlier test left it behind.
        table.create(engine, checkfirst=False)
        with engine.begin() as connection:
            connection.execute(
                table.insert(), [{"position": 0, "payload": b"\x00\xffhead", "label": "genesis"}]
            )
        with engine.connect() as connection:
            rows = connection.execute(sa.select(table.c.payload, table.c.label)).all()
        assert [tuple(row) for row in rows] == [(b"\x00\xffhead", "genesis")]
    finally:
        engine.dispose()


def test_every_test_starts_with_an_empty_database(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    try:
        assert sa.inspect(engine).get_table_names() == []
        _probe_table(sa.MetaData()).create(engine, checkfirst=False)
    finally:
        engine.dispose()
