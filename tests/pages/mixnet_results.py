"""One election with a question of each mixnet rule, counted by the library (shared by tests).

The answers are what the mixnet's decryption gives (spec 14.4); :func:`compute_result` counts
them with the rules of spec 13 (majority judgment, Schulze with a tie for first, STV with a
surplus transfer and exclusions), so the views are checked against a real result.
"""

from __future__ import annotations

from dataclasses import replace

from evote.ballots.manifest import RankingRule
from evote.board.checkpoint import Checkpoint
from evote.pages.view import ElectionView
from evote.tally.result import DecryptedCounts, Turnout, compute_result
from tests.ballots.conftest import grades, make_manifest, ranking, referendum

MANIFEST = make_manifest(
    (
        referendum(),
        grades(3),
        ranking(4, RankingRule.SCHULZE),
        replace(ranking(5, RankingRule.STV, 2), id="stv"),
    )
)
#: Grade integers v = G − 1 − p (p: the grade's place, best first; spec 6.2).
GRADES = [(4, 3, 2), (4, 2, 2), (3, 3, 1), (2, 4, 0), (4, 1, 2)]
#: Rank vectors: option j's rank, 0 for an option left out.
SCHULZE = [(1, 2, 3, 0), (2, 1, 3, 0), (1, 2, 0, 3), (2, 1, 0, 0), (0, 0, 1, 2)]
STV = [(1, 2, 0, 0, 0), (1, 0, 2, 0, 0), (1, 3, 2, 0, 0), (0, 1, 0, 0, 2), (0, 0, 0, 1, 0)]
RESULT = compute_result(
    MANIFEST,
    DecryptedCounts(((3, 2), (), (), ()), (None, None, None, None)),
    Turnout(5, 5),
    {1: GRADES, 2: SCHULZE, 3: STV},
)
CHECKPOINT = Checkpoint(MANIFEST.election_id, 40, bytes(32), 1741464000, bytes(32), bytes(64))
VIEW = ElectionView(MANIFEST, "tallied", bytes(32), bytes(32), 5, 0, CHECKPOINT, RESULT)
