"""`evote cast --choices` takes grades and rankings in their JSON forms (docs/spec.md 6.2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from evote.board import Board
from evote.cli.election import _choices, cast_ballot
from evote.errors import InvalidBallot
from tests.board.helpers import BOARD_KEY
from tests.board.test_mixnet_kinds_cast import ELECTION_ID, make_kinds_election
from tests.cli.test_workflow import fails, ok

CHOICES = (
    '{"ref": ["no"], "grades": {"g0": "very-good", "g1": "reject", "g2": "fair"},'
    ' "rank": ["r3", "r0"]}'
)


def test_grades_and_a_ranking_are_cast_from_their_json_forms(tmp_path: Path) -> None:
    kinds = make_kinds_election()
    with Board(f"sqlite:///{tmp_path / 'board.db'}", BOARD_KEY) as board:
        board.setup(kinds.election, kinds.ceremony)
        board.open_election(ELECTION_ID)
        receipt = cast_ballot(board, ELECTION_ID, kinds.codes[0], _choices(CHOICES))
        stored = board.ballot_at(ELECTION_ID, receipt.position)
        assert stored.tracking_code == receipt.tracking_code
        with pytest.raises(InvalidBallot, match=r"question 'rank', option 'r3': ranked twice"):
            cast_ballot(
                board,
                ELECTION_ID,
                kinds.codes[1],
                _choices(CHOICES.replace('["r3", "r0"]', '["r3", "r0", "r3"]')),
            )
        with pytest.raises(InvalidBallot, match=r"option 'g2': no grade given"):
            cast_ballot(
                board, ELECTION_ID, kinds.codes[1], _choices(CHOICES.replace(', "g2": "fair"', ""))
            )


def test_weighted_voters_are_refused_before_credentials_are_drawn(tmp_path: Path) -> None:
    # docs/spec.md 6.3: weights do not travel through the mix; refused at `credentials
    # generate`, before any letter is printed, not only when the election is opened.
    manifest = tmp_path / "manifest.json"
    manifest.write_bytes(make_kinds_election().election.manifest.to_json())
    election = tmp_path / "election"
    ok("election", "init", manifest, "--election", election)
    voters = tmp_path / "voters.csv"
    voters.write_text("voter_id,weight\nalice,1\nbob,2\n")
    line = fails(
        "credentials", "generate", voters, "--election", election, "--out", tmp_path / "registrar"
    )
    assert "question 1 (grades) is a grades question, counted by a mixnet" in line
    assert not (election / "credentials.json").exists()
    voters.write_text("voter_id,weight\nalice,1\nbob,1\n")
    ok("credentials", "generate", voters, "--election", election, "--out", tmp_path / "registrar")
