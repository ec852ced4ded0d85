"""The board takes ballots with grades and ranking questions like any other (docs/spec.md 10.5)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from evote.ballots.encrypted import encrypt_ballot
from evote.ballots.manifest import Manifest, RankingRule
from evote.ballots.plaintext import PlaintextBallot
from evote.board import Board
from evote.errors import InvalidBallot
from tests.ballots.conftest import grades, ranking, referendum, text
from tests.board.helpers import BOARD_KEY, BoardElection, one_trustee_election

ELECTION_ID = "mixnet-kinds"


def make_kinds_election() -> BoardElection:
    """A referendum, a grades question and an STV ranking on ed25519, two voters."""
    manifest = Manifest(
        election_id=ELECTION_ID,
        title=text("Mixnet kinds"),
        opens=datetime(2025, 3, 1, 8, 0, tzinfo=UTC),
        closes=datetime(2025, 3, 8, 20, 0, tzinfo=UTC),
        questions=(referendum(), grades(), ranking(5, RankingRule.STV, 2)),
    )
    return one_trustee_election(manifest, ["a", "b"])


@pytest.fixture(scope="module")
def kinds() -> BoardElection:
    return make_kinds_election()


@pytest.fixture
def board(database_url: str, kinds: BoardElection) -> Iterator[Board]:
    with Board(database_url, BOARD_KEY) as opened:
        opened.setup(kinds.election, kinds.ceremony)
        opened.open_election(ELECTION_ID)
        yield opened


def test_a_grades_and_ranking_ballot_is_cast_and_read_back(
    board: Board, kinds: BoardElection
) -> None:
    manifest = kinds.election.manifest
    selection = {
        "ref": ["yes"],
        "grades": {"g0": "poor", "g1": "good", "g2": "good"},
        "rank": ["r4", "r2", "r0"],
    }
    plaintext = PlaintextBallot.from_selection(manifest, selection)
    ballot = encrypt_ballot(kinds.election, kinds.codes[0], plaintext)
    receipt = board.cast(ELECTION_ID, ballot)
    assert receipt.tracking_code == ballot.tracking_code
    empty = PlaintextBallot.from_selection(manifest, {**selection, "rank": []})
    board.cast(ELECTION_ID, encrypt_ballot(kinds.election, kinds.codes[1], empty))
    # The election read back from the board has the same manifest, hence the same fingerprint.
    assert board.load_election(ELECTION_ID).fingerprint == kinds.election.fingerprint
    counted = [stored.canonical_bytes() for stored, _ in board.counted_ballots(ELECTION_ID)]
    assert ballot.canonical_bytes() in counted and len(counted) == 2
    board.verify(ELECTION_ID)


def test_a_ballot_for_another_shape_is_refused(board: Board, kinds: BoardElection) -> None:
    manifest = kinds.election.manifest
    plaintext = PlaintextBallot.from_selection(
        manifest,
        {"ref": ["no"], "grades": {"g0": "fair", "g1": "fair", "g2": "fair"}, "rank": ["r1"]},
    )
    ballot = encrypt_ballot(kinds.election, kinds.codes[0], plaintext)
    data = ballot.canonical_bytes().replace(b'"q":[{"o":', b'"q":[{"x":1,"o":', 1)
    with pytest.raises(InvalidBallot):
        board.cast(ELECTION_ID, data)
