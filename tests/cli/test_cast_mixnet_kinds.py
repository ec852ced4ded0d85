"""`evote cast --choices` takes grades and rankings in their JSON forms (docs/spec.md 6.2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from evote.board import Board
from evote.cli.election import _choices, cast_ballot
from evote.errors import InvalidBallot
from tests.board.helpers import BOARD_KEY
from tests.board.test_mixnet_kinds_cast import ELECTION_ID, make_kinds_election

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
