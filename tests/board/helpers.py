"""Elections, ballots and table dumps for the board tests (importable by spawned processes)."""

from __future__ import annotations

import os
import secrets
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from evote.ballots.credentials import Registrar
from evote.ballots.encrypted import EncryptedBallot, encrypt_ballot
from evote.ballots.manifest import Manifest, Option, RevotePolicy, SingleChoiceQuestion
from evote.ballots.plaintext import PlaintextBallot
from evote.board.board import Board
from evote.board.schema import BOARD_TABLE_NAMES
from evote.board.storage import DriverStatement, DriverTransaction
from evote.crypto.elgamal import generate_keypair
from evote.crypto.groups import ED25519
from evote.crypto.hashing import Purpose, digest32
from evote.election import Election

TRUSTEES: Any = {"trustees": [{"index": 1, "key": "opaque"}], "threshold": 1}


def _text(words: str) -> dict[str, str]:
    return {"en": words, "fr": f"{words} (fr)"}


@dataclass(frozen=True)
class BoardElection:
    election: Election
    codes: tuple[str, ...]

    def ballot(self, voter: int, choice: str = "yes") -> EncryptedBallot:
        manifest = self.election.manifest
        plaintext = PlaintextBallot.from_selection(manifest, {"ref": [choice]})
        return encrypt_ballot(self.election, self.codes[voter], plaintext)


def make_election(
    voters: int = 4,
    election_id: str = "board-test",
    revote: RevotePolicy = RevotePolicy.LAST_COUNTS,
) -> BoardElection:
    """A yes/no referendum on ed25519 with ``voters`` credentials and a one-trustee key."""
    question = SingleChoiceQuestion(
        "ref",
        _text("Do you agree?"),
        (Option("yes", _text("Yes")), Option("no", _text("No"))),
    )
    manifest = Manifest(
        election_id=election_id,
        title=_text("Board test"),
        opens=datetime(2025, 3, 1, 8, 0, tzinfo=UTC),
        closes=datetime(2025, 3, 8, 20, 0, tzinfo=UTC),
        questions=(question,),
        group_name=ED25519.name,
        revote=revote,
    )
    _, public_key = generate_keypair(ED25519)
    registration = Registrar.generate(
        ED25519, election_id, [f"voter-{index}" for index in range(voters)]
    )
    election = Election(
        manifest,
        ED25519,
        public_key,
        registration.credential_list,
        digest32(Purpose.CEREMONY_TRANSCRIPT, secrets.token_hex(8)),
    )
    return BoardElection(election, tuple(registration.codes.values()))


def _plain(value: object) -> object:
    return bytes(value) if isinstance(value, memoryview) else value


def dump_tables(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the board's tables, in a stable order: to compare a board before/after."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            dump: dict[str, list[tuple[Any, ...]]] = {}
            for name in sorted(BOARD_TABLE_NAMES):
                rows = connection.execute(sa.text(f"SELECT * FROM {name}")).all()
                dump[name] = sorted(
                    (
                        tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                        for row in rows
                    ),
                    key=repr,
                )
            return dump
    finally:
        engine.dispose()


def cast_and_die(url: str, election_id: str, data: bytes) -> None:
    """Child process: SIGKILL itself right after its ballot's INSERT, before the commit.

    The cast runs its statements on the DB-API connection (evote.board.storage), out of sight
    of SQLAlchemy's engine events, so the hook goes on its transaction object. SQLite only:
    a PostgreSQL cast is one statement with no separate INSERT or COMMIT.
    """
    board = Board(url)
    ran: list[str] = []
    run = DriverTransaction.run

    def run_and_note(self: DriverTransaction, statement: DriverStatement, values: Any) -> None:
        run(self, statement, values)
        ran.append(statement.sql.lstrip().upper())

    def die(self: DriverTransaction) -> None:
        if any(sql.startswith("INSERT INTO EVOTE_BOARD_ENTRIES") for sql in ran):
            os.kill(os.getpid(), signal.SIGKILL)

    DriverTransaction.run = run_and_note  # type: ignore[method-assign]
    DriverTransaction.commit = die  # type: ignore[method-assign]
    board.cast(election_id, data)


def cap_sqlite_pages(engine: sa.Engine, extra_pages: int) -> Callable[[], None]:
    """Fill the disk of a SQLite board: no more than ``extra_pages`` pages beyond its size now.

    Every new connection gets ``max_page_count``; the pool is emptied so that it applies at once.
    Returns the function that gives the space back (the same way).
    """
    with engine.connect() as connection:
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()

    def cap(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count={pages + extra_pages}")

    event.listen(engine, "connect", cap)
    engine.dispose()

    def lift() -> None:
        event.remove(engine, "connect", cap)
        engine.dispose()

    return lift
