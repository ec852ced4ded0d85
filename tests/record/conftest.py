"""A small election run to its published result on a SQLite board, on every group.

Built once per module and group (a ceremony of 3 trustees, threshold 2, a few ballots, a
revote, a Benaloh-audited ballot, the tally with trustee 2 absent), then exported: the tests
copy the exported record before they alter it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from evote.ballots.audit import spoil_ballot
from evote.ballots.credentials import Registrar
from evote.ballots.encrypted import encrypt_ballot, encrypt_ballot_for_audit
from evote.ballots.manifest import (
    ApprovalQuestion,
    Manifest,
    SingleChoiceQuestion,
)
from evote.ballots.plaintext import PlaintextBallot
from evote.board.board import Board
from evote.ceremony.dkg import CeremonyResult, run_ceremony
from evote.crypto.groups import Group, all_groups
from evote.election import Election
from evote.record import export_record, publish_result, publish_tally
from evote.tally import aggregate, compute_decryption_share, compute_result, decrypt_counts
from evote.tally.result import ElectionResult, turnout_of
from tests.ballots.conftest import options, text

ELECTION_ID = "record-test"
#: Voters as a registrar knows them: names and e-mail addresses that must never be published.
VOTERS = (
    "Alice Martin <alice.martin@example.org>",
    "Bruno Keller <bruno.keller@example.net>",
    "Chloé Dubois <chloe.dubois@example.com>",
    "Dmitri Ivanov <d.ivanov@example.org>",
)
CHOICES = (
    {"ref": ["yes"], "council": ["a", "b"]},
    {"ref": ["no"], "council": ["c"]},
    {"ref": None, "council": ["a"]},
    {"ref": ["yes"], "council": None},
)


def record_manifest(group: Group) -> Manifest:
    return Manifest(
        election_id=ELECTION_ID,
        title=text("Record test"),
        opens=datetime(2025, 3, 1, 8, 0, tzinfo=UTC),
        closes=datetime(2025, 3, 8, 20, 0, tzinfo=UTC),
        questions=(
            SingleChoiceQuestion("ref", text("Agree?"), options("yes", "no"), True),
            ApprovalQuestion("council", text("Council"), options("a", "b", "c"), 1, 2, True),
        ),
        group_name=group.name,
    )


@dataclass(frozen=True)
class Published:
    """An election carried to its result on a board, and its exported record."""

    group: Group
    board_path: Path
    board_key: SigningKey
    election: Election
    ceremony: CeremonyResult
    result: ElectionResult
    codes: dict[str, str]
    record: Path
    archives: tuple[Path, ...]

    def board(self) -> Board:
        return Board(str(self.board_path), self.board_key)

    def copy(self, target: Path) -> Path:
        shutil.copytree(self.record, target)
        return target


def run_election(group: Group, directory: Path) -> Published:
    ceremony, trustees = run_ceremony(group, ELECTION_ID, 3, 2)
    registration = Registrar.generate(group, ELECTION_ID, list(VOTERS))
    key = SigningKey.generate()
    election = Election(
        record_manifest(group),
        group,
        ceremony.public_key,
        registration.credential_list,
        ceremony.transcript_hash,
        bytes(key.verify_key),
    )
    board_path = directory / "board.sqlite"
    with Board(str(board_path), key) as board:
        board.setup(election, ceremony)
        board.open_election(ELECTION_ID)
        codes = [registration.codes[voter] for voter in VOTERS]
        for code, choices in zip(codes, CHOICES, strict=True):
            plaintext = PlaintextBallot.from_selection(election.manifest, choices)
            board.cast(ELECTION_ID, encrypt_ballot(election, code, plaintext))
        revote = PlaintextBallot.from_selection(election.manifest, CHOICES[1])
        board.cast(ELECTION_ID, encrypt_ballot(election, codes[0], revote))
        audited, secrets = encrypt_ballot_for_audit(election, codes[2], revote)
        board.spoil(ELECTION_ID, audited, spoil_ballot(audited, secrets))
        board.checkpoint(ELECTION_ID)
        board.close_election(ELECTION_ID)
        tally = aggregate(election, board.counted_ballots(ELECTION_ID))
        context = election.proof_context()
        shares = []
        for trustee in trustees:
            if trustee.index == 2:
                continue
            own = trustee.share()
            shares.append(
                compute_decryption_share(
                    group, own.share, own.index, own.verification_key, tally, context
                )
            )
        counts, combined = decrypt_counts(
            election.manifest, tally, shares, 2, ceremony.verification_key_map(), context
        )
        result = compute_result(election.manifest, counts, turnout_of(tally))
        publish_tally(board, election, ceremony, tally, shares, combined)
        publish_result(board, election, result)
        archives = (directory / "record.tar.gz", directory / "record.zip")
        record = export_record(board, ELECTION_ID, directory / "record", archive=archives[0])
        export_record(board, ELECTION_ID, directory / "record-again", archive=archives[1])
    return Published(
        group,
        board_path,
        key,
        election,
        ceremony,
        result,
        dict(registration.codes),
        record,
        archives,
    )


@pytest.fixture(scope="module", params=[group.name for group in all_groups()])
def published(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Published:
    group = next(group for group in all_groups() if group.name == request.param)
    return run_election(group, tmp_path_factory.mktemp(f"record-{group.name}"))
