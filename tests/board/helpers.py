"""Elections, ballots and table dumps for the board tests (importable by spawned processes)."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from nacl.signing import SigningKey
from sqlalchemy import event

from evote.ballots.audit import AuditedBallot, spoil_ballot
from evote.ballots.credentials import Registrar
from evote.ballots.encrypted import EncryptedBallot, encrypt_ballot, encrypt_ballot_for_audit
from evote.ballots.manifest import Manifest, Option, RevotePolicy, SingleChoiceQuestion
from evote.ballots.plaintext import PlaintextBallot
from evote.board.board import Board
from evote.board.schema import BOARD_TABLE_NAMES
from evote.board.storage import DriverStatement, DriverTransaction
from evote.ceremony.dkg import CeremonyResult, run_ceremony
from evote.crypto.groups import ED25519
from evote.crypto.hashing import Purpose, digest32
from evote.election import Election

#: The board key of the test elections (fixed, so that processes spawned by a test share it).
BOARD_KEY = SigningKey(digest32(Purpose.TEST, "board signing key"))


def _text(words: str) -> dict[str, str]:
    return {"en": words, "fr": f"{words} (fr)"}


@dataclass(frozen=True)
class BoardElection:
    election: Election
    codes: tuple[str, ...]
    ceremony: CeremonyResult

    def ballot(self, voter: int, choice: str = "yes") -> EncryptedBallot:
        manifest = self.election.manifest
        plaintext = PlaintextBallot.from_selection(manifest, {"ref": [choice]})
        return encrypt_ballot(self.election, self.codes[voter], plaintext)

    def spoiled(self, voter: int, choice: str = "yes") -> tuple[EncryptedBallot, AuditedBallot]:
        """A ballot encrypted for a Benaloh audit, and its reveal."""
        manifest = self.election.manifest
        plaintext = PlaintextBallot.from_selection(manifest, {"ref": [choice]})
        ballot, revealed = encrypt_ballot_for_audit(self.election, self.codes[voter], plaintext)
        return ballot, spoil_ballot(ballot, revealed)


def make_election(
    voters: int = 4,
    election_id: str = "board-test",
    revote: RevotePolicy = RevotePolicy.LAST_COUNTS,
) -> BoardElection:
    """A yes/no referendum on ed25519 with ``voters`` credentials and a one-trustee ceremony."""
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
    return one_trustee_election(manifest, [f"voter-{index}" for index in range(voters)])


def one_trustee_election(manifest: Manifest, voter_ids: Sequence[str]) -> BoardElection:
    """The election of ``manifest`` on ed25519: a one-trustee ceremony, a credential for each
    of ``voter_ids``, and BOARD_KEY as the board's key."""
    election_id = manifest.election_id
    ceremony, _ = run_ceremony(ED25519, election_id, 1, 1)
    registration = Registrar.generate(ED25519, election_id, list(voter_ids))
    election = Election(
        manifest,
        ED25519,
        ceremony.public_key,
        registration.credential_list,
        ceremony.transcript_hash,
        bytes(BOARD_KEY.verify_key),
    )
    return BoardElection(election, tuple(registration.codes.values()), ceremony)


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


def cast_and_die(url: str, election_id: str, data: bytes, seed: bytes | None = None) -> None:
    """Child process: SIGKILL itself right after its ballot's INSERT, before the commit.

    ``seed`` is the board's signing key (the election's), by default :data:`BOARD_KEY`'s.

    The cast runs its statements on the DB-API connection (evote.board.storage), out of sight
    of SQLAlchemy's engine events, so the hook goes on its transaction object. On PostgreSQL
    the entry and its marks go in with their commit, in one autocommitted call
    (``evote_board_append_cast``): the process dies as it would send that call, the last
    moment at which the client holds a cast that the board has not taken.
    """
    board = Board(url, BOARD_KEY if seed is None else SigningKey(seed))
    ran: list[str] = []
    run, first = DriverTransaction.run, DriverTransaction.first

    def die_before_the_append(
        self: DriverTransaction, statement: DriverStatement, values: Any
    ) -> Any:
        if "EVOTE_BOARD_APPEND_CAST" in statement.sql.upper():
            os.kill(os.getpid(), signal.SIGKILL)
        return first(self, statement, values)

    def run_and_note(self: DriverTransaction, statement: DriverStatement, values: Any) -> None:
        run(self, statement, values)
        ran.append(statement.sql.lstrip().upper())

    def die(self: DriverTransaction) -> None:
        if any("INSERT INTO EVOTE_BOARD_ENTRIES" in sql for sql in ran):
            os.kill(os.getpid(), signal.SIGKILL)

    DriverTransaction.run = run_and_note  # type: ignore[method-assign]
    DriverTransaction.first = die_before_the_append  # type: ignore[method-assign]
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


def closed_board(
    url: str,
    board_key: SigningKey,
    election: Election,
    ceremony: CeremonyResult,
    ballots: Sequence[EncryptedBallot],
) -> Board:
    """A board at ``url`` on which ``election`` was set up, opened, given ``ballots`` and
    closed: ready to tally."""
    board = Board(url, board_key)
    board.setup(election, ceremony)
    election_id = election.manifest.election_id
    board.open_election(election_id)
    for ballot in ballots:
        board.cast(election_id, ballot)
    board.close_election(election_id)
    return board
