"""An election on a SQLite board, its key file and a client of the service on it."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evote.ballots.audit import AuditedBallot, spoil_ballot
from evote.ballots.credentials import Registrar
from evote.ballots.encrypted import EncryptedBallot, encrypt_ballot, encrypt_ballot_for_audit
from evote.ballots.manifest import Manifest, Option, SingleChoiceQuestion
from evote.ballots.plaintext import PlaintextBallot
from evote.board.board import Board
from evote.ceremony.dkg import CeremonyResult, Trustee, run_ceremony
from evote.cli.workspace import ElectionDir, write_secret
from evote.crypto.groups import ED25519
from evote.election import Election
from evote.service.app import create_app
from evote.service.settings import RateLimit, ServiceSettings
from tests.board.helpers import BOARD_KEY

with warnings.catch_warnings():
    # Starlette asks for httpx2 in its test client; httpx serves the same.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

JSON = {"content-type": "application/json"}
NO_LIMIT = RateLimit(0, 0)


@dataclass(frozen=True)
class Served:
    """An election, its trustees and codes, on the board at ``database``."""

    election: Election
    ceremony: CeremonyResult
    trustees: tuple[Trustee, ...]
    codes: tuple[str, ...]
    database: str
    key_file: Path

    @property
    def election_id(self) -> str:
        return self.election.election_id

    def ballot(self, voter: int, choice: str = "yes") -> EncryptedBallot:
        plaintext = PlaintextBallot.from_selection(self.election.manifest, {"ref": [choice]})
        return encrypt_ballot(self.election, self.codes[voter], plaintext)

    def spoiled(self, voter: int) -> tuple[EncryptedBallot, AuditedBallot]:
        plaintext = PlaintextBallot.from_selection(self.election.manifest, {"ref": ["no"]})
        ballot, revealed = encrypt_ballot_for_audit(self.election, self.codes[voter], plaintext)
        return ballot, spoil_ballot(ballot, revealed)

    def board(self) -> Board:
        return Board(self.database, BOARD_KEY)

    def settings(self, **changes: Any) -> ServiceSettings:
        values: dict[str, Any] = {
            "database": self.database,
            "board_key_file": str(self.key_file),
            "cast_limit": NO_LIMIT,
            "lookup_limit": NO_LIMIT,
        }
        values.update(changes)
        return ServiceSettings(**values)

    def client(self, **changes: Any) -> TestClient:
        return TestClient(create_app(self.settings(**changes)))

    def head(self) -> tuple[int, bytes]:
        with self.board() as board:
            head = board.head(self.election_id)
        return head.position, head.chain_hash


def serve_election(directory: Path, election_id: str = "served", voters: int = 6) -> Served:
    """A yes/no referendum on ed25519, set up and opened on a SQLite board in ``directory``."""
    question = SingleChoiceQuestion(
        "ref",
        {"en": "Do you agree?", "fr": "D'accord ?"},
        (Option("yes", {"en": "Yes", "fr": "Oui"}), Option("no", {"en": "No", "fr": "Non"})),
    )
    manifest = Manifest(
        election_id=election_id,
        title={"en": "Served test", "fr": "Test servi"},
        opens=datetime(2025, 3, 1, 8, 0, tzinfo=UTC),
        closes=datetime(2025, 3, 8, 20, 0, tzinfo=UTC),
        questions=(question,),
        group_name=ED25519.name,
    )
    ceremony, trustees = run_ceremony(ED25519, election_id, 1, 1)
    registration = Registrar.generate(ED25519, election_id, [f"v{i}" for i in range(voters)])
    election = Election.create(manifest, ceremony, registration.credential_list, BOARD_KEY)
    database = str(directory / "board.sqlite")
    with Board(database, BOARD_KEY) as board:
        board.setup(election, ceremony)
        board.open_election(election_id)
    key_file = write_secret(directory / "board-key.json", ElectionDir.signing_key_bytes(BOARD_KEY))
    codes = tuple(registration.codes.values())
    return Served(election, ceremony, tuple(trustees), codes, database, key_file)


def is_problem(response: Any, status: int, error: str) -> dict[str, Any]:
    """The response is the problem document of ``error`` with ``status``; its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) == {"type", "title", "status", "detail", "error"}
    assert body["status"] == status
    assert body["error"] == error
    slug = "".join(f"-{c.lower()}" if c.isupper() else c for c in error).lstrip("-")
    assert body["type"] == f"https://evote.example/problems/{slug}"
    assert body["detail"]
    return body
