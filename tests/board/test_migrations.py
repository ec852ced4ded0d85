"""The board's schema migrations (evote.board.migrations), on SQLite and on PostgreSQL.

The migration test proper makes a board at the first revision, fills it with an election
through the public API (cast, revote, spoil, close, tally), upgrades it to whatever the head
is, and checks that no row changed and that the election still exports a record the verifier
accepts. The board is filled by this evote's code on the first revision's schema, as the
release of that revision did; a later migration that changes how an entry is written must make
this test write as that release did.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from nacl.signing import SigningKey

import evote
from evote.board import board as board_module
from evote.board import migrations
from evote.board.migrations import (
    FIRST_REVISION,
    HEAD_REVISION,
    MIGRATIONS_DIRECTORY,
    VERSION_TABLE,
    schema_status,
    upgrade,
)
from evote.board.migrations.versions import v0001_initial as v0001
from evote.board.migrations.versions import v0002_cast_facts as v0002
from evote.board.migrations.versions import v0003_compare_and_append as v0003
from evote.board.schema import BOARD_TABLE_NAMES, Base
from evote.board.storage import make_engine
from evote.cli import main
from evote.errors import SchemaVersionMismatch

MANIFEST = """{
  "version": 1, "election_id": "migrated-2027", "group": "ed25519",
  "title": {"en": "A referendum across a schema upgrade", "fr": "Un référendum migré"},
  "opens": "2027-03-01T08:00:00+01:00", "closes": "2027-03-14T20:00:00+01:00",
  "revote": "last-counts",
  "questions": [{"id": "tram", "kind": "single", "blank": true,
    "title": {"en": "Build the tram?", "fr": "Construire le tram ?"},
    "options": [{"id": "yes", "label": {"en": "Yes", "fr": "Oui"}},
                {"id": "no", "label": {"en": "No", "fr": "Non"}}]}]
}""".encode()


#: The first revision's tables: (columns, indexes) by name, frozen in its migration.
FIRST_TABLES = migrations._revision_module(FIRST_REVISION).TABLES


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    made = make_engine(database_url)
    yield made
    made.dispose()


def _set_revision(engine: sa.Engine, revision: str) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text(f"UPDATE {VERSION_TABLE} SET version_num = :r"), {"r": revision})


def _fill_with_an_election(database_url: str, tmp_path: Path) -> None:
    """docs/guide.md's election on the board at ``database_url``, tallied; nothing exported."""
    manifest = evote.manifest_from_json(MANIFEST)
    ceremony, trustees = evote.run_ceremony(manifest.group, manifest.election_id, 3, 2)
    registration = evote.Registrar.generate(manifest.group, manifest.election_id, ["a", "b", "c"])
    board_key = SigningKey(bytes(range(32)))
    election = evote.Election.create(manifest, ceremony, registration.credential_list, board_key)
    election_id = election.election_id

    def ballot(voter: str, choice: list[str] | None) -> evote.EncryptedBallot:
        key = evote.CredentialKey.derive(election.group, election_id, registration.codes[voter])
        plain = evote.PlaintextBallot.from_selection(election.manifest, {"tram": choice})
        return evote.encrypt_ballot(election, key, plain)

    with evote.Board(database_url, board_key) as board:
        board.setup(election, ceremony)
        board.open_election(election_id)
        board.cast(election_id, ballot("a", ["yes"]))
        board.cast(election_id, ballot("a", ["no"]))  # a revote
        key_b = evote.CredentialKey.derive(election.group, election_id, registration.codes["b"])
        challenged, secrets = evote.encrypt_ballot_for_audit(
            election, key_b, evote.PlaintextBallot.from_selection(manifest, {"tram": ["yes"]})
        )
        board.spoil(election_id, challenged, evote.spoil_ballot(challenged, secrets))
        board.cast(election_id, ballot("b", ["yes"]))
        board.cast(election_id, ballot("c", None))
        board.close_election(election_id)
        result = evote.run_tally(board, election_id, [trustees[0].share(), trustees[2].share()])
    assert result.question("tram").counts == (("yes", 1), ("no", 1))


def _verified(database_url: str, out: Path) -> evote.VerificationReport:
    with evote.Board(database_url) as board:
        path = evote.export_record(board, "migrated-2027", out)
    return evote.verify_record(evote.load_record(path))


def test_head_revision_is_the_scripts_head() -> None:
    scripts = ScriptDirectory(str(MIGRATIONS_DIRECTORY))
    assert scripts.get_heads() == [HEAD_REVISION]
    assert migrations.known_revisions()[0] == FIRST_REVISION
    assert migrations.known_revisions()[-1] == HEAD_REVISION


def test_the_models_are_the_migrated_schema(database_url: str, engine: sa.Engine) -> None:
    """What the code queries (evote.board.schema) is what the migrations made, column by
    column and index by index."""
    upgrade(engine, database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert [d for d in differences if d[0] != "remove_table" or d[1].name != VERSION_TABLE] == []


def _first_revision_rows(engine: sa.Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the board's tables on the first revision's columns, in a fixed order."""
    found: dict[str, list[tuple[object, ...]]] = {}
    with engine.connect() as connection:
        for table, (columns, _) in FIRST_TABLES.items():
            listed = ", ".join(columns)
            query = f"SELECT {listed} FROM {table} ORDER BY {listed}"
            found[table] = [tuple(row) for row in connection.exec_driver_sql(query)]
    return found


def _copy_rows(source: sa.Engine, target: sa.Engine) -> None:
    """The first revision's columns of every row of ``source``'s board, inserted into
    ``target``'s (parents first)."""
    rows = _first_revision_rows(source)
    with target.begin() as connection:
        for table, (columns, _) in FIRST_TABLES.items():
            statement = sa.text(
                f"INSERT INTO {table} ({', '.join(columns)})"
                f" VALUES ({', '.join(':' + column for column in columns)})"
            )
            for row in rows[table]:
                connection.execute(statement, dict(zip(columns, row, strict=True)))


def _copy_an_election_from_a_head_board(engine: sa.Engine, tmp_path: Path) -> None:
    """An election made on a SQLite board at the head, its rows (the first revision's
    columns) inserted into ``engine``'s board."""
    head_location = f"sqlite:///{tmp_path / 'head.db'}"
    _fill_with_an_election(head_location, tmp_path)
    head_engine = make_engine(head_location)
    _copy_rows(head_engine, engine)
    head_engine.dispose()


@pytest.mark.parametrize("fill", ["by-this-code", "copied-from-a-head-board"])
def test_an_election_of_the_first_revision_verifies_after_the_upgrade(
    database_url: str,
    engine: sa.Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fill: str,
) -> None:
    """Two ways to make the first revision's board: this evote's code writing on the first
    revision's schema, as that release did (while the code's writes need nothing newer; a
    migration that changes how a cast is written, such as the PostgreSQL cast function's
    signature, breaks this variant, which then goes); and an election made on a board at the
    head, its rows (the first revision's columns) inserted into a first-revision board."""
    if fill == "by-this-code" and engine.dialect.name == "postgresql":
        pytest.skip(
            "this evote's PostgreSQL cast calls revision 0003's evote_board_append_cast: it"
            " cannot write on a 0001 board; the copied variant covers PostgreSQL"
        )
    assert upgrade(engine, database_url, target=FIRST_REVISION) == (None, FIRST_REVISION)
    assert schema_status(engine).current == FIRST_REVISION
    if fill == "copied-from-a-head-board":
        _copy_an_election_from_a_head_board(engine, tmp_path)
    with monkeypatch.context() as patched:
        # The board of the first revision's release: it opened at its own head.
        patched.setattr(board_module, "open_schema", lambda engine, location: None)
        if fill == "by-this-code":
            _fill_with_an_election(database_url, tmp_path)
        before_report = _verified(database_url, tmp_path / "before")
    assert before_report.ok and before_report.complete
    rows = _first_revision_rows(engine)
    # setup, open, 4 ballots, the spoiled one, close, tally, result
    assert [row[2] for row in rows["evote_board_entries"]].count("ballot") == 4
    assert len(rows["evote_board_entries"]) == 10

    assert upgrade(engine, database_url) == (FIRST_REVISION, HEAD_REVISION)

    assert _first_revision_rows(engine) == rows  # nothing rewritten or lost
    report = _verified(database_url, tmp_path / "after")
    assert report.ok and report.complete
    assert (tmp_path / "after" / "board.jsonl").read_bytes() == (
        tmp_path / "before" / "board.jsonl"
    ).read_bytes()


def test_a_new_board_is_at_the_head_and_opens_with_one_query(
    database_url: str, engine: sa.Engine
) -> None:
    assert schema_status(engine).empty
    evote.Board(database_url).dispose()
    assert schema_status(engine).current == HEAD_REVISION
    statements: list[str] = []
    opened = make_engine(database_url)
    sa.event.listen(opened, "before_cursor_execute", lambda *args: statements.append(args[2]))
    migrations.open_schema(opened, database_url)
    opened.dispose()
    # Whatever the engine runs at connecting (SQLite's PRAGMAs), one query of the schema.
    assert [
        s for s in statements if not s.startswith(("PRAGMA", "BEGIN", "select pg_", "show "))
    ] == [f"SELECT version_num FROM {VERSION_TABLE}"]


def test_a_database_newer_than_the_code_is_refused(
    database_url: str, engine: sa.Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    evote.Board(database_url).dispose()
    _set_revision(engine, "9999")
    with pytest.raises(
        SchemaVersionMismatch, match=r"revision '9999' is newer than this evote's.*upgrade evote"
    ):
        evote.Board(database_url)
    with pytest.raises(SchemaVersionMismatch, match="newer than this evote's"):
        upgrade(engine, database_url)
    assert schema_status(engine).current == "9999"
    assert main(["db", "upgrade", "--database", database_url]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "SchemaVersionMismatch" in error and "upgrade evote" in error


def test_a_database_older_than_the_code_is_refused_until_upgraded(
    database_url: str, engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    revisions = migrations.known_revisions()
    if len(revisions) > 1:
        older, head = revisions[-2], HEAD_REVISION
        upgrade(engine, database_url, target=older)
    else:  # one revision so far: it plays the older one, a release with a 0002 the newer
        older, head = HEAD_REVISION, "0002"
        evote.Board(database_url).dispose()
        monkeypatch.setattr(migrations, "HEAD_REVISION", head)
        monkeypatch.setattr(migrations, "known_revisions", lambda: (*revisions, head))
    with pytest.raises(
        SchemaVersionMismatch,
        match=rf"revision {older} is older than this evote's \({head}\); run `evote db upgrade",
    ):
        evote.Board(database_url)
    if len(revisions) > 1:
        assert upgrade(engine, database_url) == (older, HEAD_REVISION)
        evote.Board(database_url).dispose()


def test_a_board_made_before_versioning_is_refused_then_recognised(
    database_url: str, engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade(engine, database_url, target=FIRST_REVISION)
    # This evote's PostgreSQL cast needs a newer revision than 0001: the rows come from a head
    # board.
    _copy_an_election_from_a_head_board(engine, tmp_path)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP TABLE {VERSION_TABLE}")
    rows = _first_revision_rows(engine)
    with pytest.raises(SchemaVersionMismatch, match="made before evote versioned its schema; run"):
        evote.Board(database_url)
    assert schema_status(engine).current is None and not schema_status(engine).empty

    assert upgrade(engine, database_url) == (None, HEAD_REVISION)

    assert _first_revision_rows(engine) == rows
    assert _verified(database_url, tmp_path / "record").ok


def test_a_board_made_before_versioning_with_other_tables_is_refused(
    database_url: str, engine: sa.Engine
) -> None:
    upgrade(engine, database_url, target=FIRST_REVISION)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP TABLE {VERSION_TABLE}")
        connection.exec_driver_sql("DROP INDEX evote_board_entries_credential_ix")
    with pytest.raises(
        SchemaVersionMismatch,
        match=r"not revision 0001's tables .evote_board_entries lacks index"
        r" evote_board_entries_credential_ix.; export its elections",
    ):
        upgrade(engine, database_url)
    assert schema_status(engine).current is None  # nothing recorded


def test_db_upgrade_and_status(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).touch()  # an empty database file
    assert main(["db", "status", "--database", database_url]) == 0
    assert "current revision: none (no board yet)" in capsys.readouterr().out
    assert main(["db", "upgrade", "--database", database_url]) == 0
    assert f"upgraded from revision none to {HEAD_REVISION}" in capsys.readouterr().out
    assert main(["db", "upgrade", "--database", database_url]) == 0
    assert f"already at revision {HEAD_REVISION}, nothing to do" in capsys.readouterr().out
    assert main(["db", "status", "--database", database_url]) == 0
    out = capsys.readouterr().out
    assert f"current revision: {HEAD_REVISION}\nhead revision: {HEAD_REVISION}\nup to date" in out


def test_db_status_of_a_database_that_cannot_be_opened(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade", "--database", str(tmp_path / "no" / "board.db")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "StorageUnavailable" in error
    missing = tmp_path / "board.db"
    assert main(["db", "status", "--database", str(missing)]) == 2
    error = capsys.readouterr().err
    assert error == f"evote: InvalidInput: board database {missing}: no such file\n"
    assert not missing.exists()


def test_the_board_tables_are_the_first_revision_s() -> None:
    first = migrations._revision_module(FIRST_REVISION)
    assert set(first.TABLES) == BOARD_TABLE_NAMES


@pytest.mark.postgres
def test_a_board_made_before_versioning_with_a_former_cast_function_is_refused(
    _postgres_database_url: str,
) -> None:
    url = _postgres_database_url
    engine = make_engine(url)
    try:
        evote.Board(url).dispose()
        former = "text, text, bytea, bytea, bytea, text, bytea, bytea, text[], boolean, bytea"
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP TABLE {VERSION_TABLE}")
            connection.exec_driver_sql(
                f"CREATE FUNCTION evote_board_cast({former}, bytea, bytea) RETURNS integer"
                " LANGUAGE sql AS 'SELECT 1'"
            )
        with pytest.raises(SchemaVersionMismatch, match=r"function evote_board_cast\(text,text,"):
            upgrade(engine, url)
        assert schema_status(engine).current is None
    finally:
        engine.dispose()


def test_boards_opened_at_once_on_an_empty_database_make_the_schema_once(
    database_url: str, engine: sa.Engine
) -> None:
    """Four threads, each with its own engine, open a new board together: the write lock
    (BEGIN IMMEDIATE, the advisory lock) lets one make the schema; the others find it."""
    barrier = threading.Barrier(4)
    failures: list[BaseException] = []

    def open_board() -> None:
        try:
            barrier.wait()
            evote.Board(database_url).dispose()
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=open_board) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert schema_status(engine).current == HEAD_REVISION


_BOARD_FUNCTIONS = sa.text(
    "SELECT oid::regprocedure::text FROM pg_proc WHERE proname LIKE 'evote\\_board\\_%'"
    " AND pronamespace = current_schema()::regnamespace"
)


def test_the_upgrade_to_0002_leaves_no_cast_function_that_decides(
    database_url: str, engine: sa.Engine
) -> None:
    """Revision 0002 drops 0001's deciding cast function and its helper: the cast rules are
    the one judge's (evote.board.rules), the server only looks the facts up."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite boards have no functions")
    upgrade(engine, database_url, target=FIRST_REVISION)
    with engine.connect() as connection:
        assert set(connection.execute(_BOARD_FUNCTIONS).scalars()) == v0001.POSTGRES_FUNCTIONS
    upgrade(engine, database_url, target="0002")
    with engine.connect() as connection:
        assert set(connection.execute(_BOARD_FUNCTIONS).scalars()) == v0002.POSTGRES_FUNCTIONS


def test_the_upgrade_to_0003_adds_the_compare_and_append_and_nothing_that_decides(
    database_url: str, engine: sa.Engine
) -> None:
    """Revision 0003 replaces the facts function by a plain read and adds the append that only
    compares the head's position: exactly these functions, no deciding cast among them."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite boards have no functions")
    upgrade(engine, database_url, target="0002")
    with engine.connect() as connection:
        assert set(connection.execute(_BOARD_FUNCTIONS).scalars()) == v0002.POSTGRES_FUNCTIONS
    assert upgrade(engine, database_url) == ("0002", "0003")
    with engine.connect() as connection:
        found = set(connection.execute(_BOARD_FUNCTIONS).scalars())
        locking = connection.execute(
            sa.text(
                "SELECT prosrc ILIKE '%FOR UPDATE%' FROM pg_proc"
                " WHERE proname = 'evote_board_cast_facts'"
            )
        ).scalar_one()
    assert found == v0003.POSTGRES_FUNCTIONS
    assert not any(name.startswith("evote_board_cast(") for name in found)
    assert locking is False  # the facts are read without the lock (the append takes it)
