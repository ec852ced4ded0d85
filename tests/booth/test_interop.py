"""The booth (booth/, JavaScript) and the Python core agree, byte for byte, both ways.

A node script (booth/scripts/interop.js) reads the election as the service's voter-kit gives it
(the record's election.json, group.json and manifest.json, plus the credential list so that it
recomputes the fingerprint), makes ballots for random valid choices on every question kind
(grades and rankings, the mixnet's, included), and spoils a few for a Benaloh audit. Python
then decodes each ballot from the exact bytes the booth would POST, runs ``check_ballot``,
compares the tracking codes, casts it on a board (SQLite) and checks each audit with
``check_audit`` (whose revealed values must be those Python encodes from the selection); the
board's signed receipts go back to node, which checks them against the election's board key.
The known-answer vectors are reproduced by the booth's own tests (``cd booth && npm test``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey

from evote import jsonstrict
from evote.ballots.audit import audited_ballot_from_json, check_audit
from evote.ballots.encrypted import check_ballot, decode_ballot
from evote.ballots.manifest import (
    ApprovalQuestion,
    BudgetQuestion,
    Grade,
    GradesQuestion,
    Manifest,
    Option,
    Question,
    RankingQuestion,
    RankingRule,
    ScoreQuestion,
    SingleChoiceQuestion,
)
from evote.ballots.plaintext import PlaintextBallot
from evote.board.board import Board
from evote.board.receipt import check_receipt_signature
from evote.crypto.groups import Group, group_by_name
from evote.crypto.hashing import Purpose, digest32
from evote.election import Election
from evote.errors import InvalidBallot
from evote.record.documents import credentials_document, election_document, group_document
from tests.tally.conftest import TallySetup, make_setup

BOOTH = Path(__file__).resolve().parents[2] / "booth"
NODE = shutil.which("node")
BOARD_KEY = SigningKey(digest32(Purpose.TEST, "booth interop board key"))
#: Ballots made by the booth per group (ed25519 is cheap; modp4096 costs seconds a ballot).
BALLOTS = {"ed25519": 5, "modp4096": 1}

pytestmark = [
    pytest.mark.skipif(NODE is None, reason="node is not installed: the booth cannot run"),
    pytest.mark.skipif(
        not (BOOTH / "node_modules" / "@noble" / "curves").is_dir(),
        reason="the booth's dependencies are not installed: run `npm ci` in booth/",
    ),
]


def _text(word: str) -> dict[str, str]:
    return {"en": word, "fr": f"{word} (fr) é"}


def _options(*ids: str) -> tuple[Option, ...]:
    return tuple(Option(option_id, _text(option_id)) for option_id in ids)


#: Majority judgment's grades, best first (encoded 4 for "very-good" down to 0 for "reject").
GRADES = tuple(
    Grade(grade_id, _text(grade_id)) for grade_id in ("very-good", "good", "fair", "poor", "reject")
)


def _jury() -> GradesQuestion:
    return GradesQuestion("jury", _text("Jury"), _options("ann", "bob", "cyd"), GRADES)


def _manifest(group: Group) -> Manifest:
    """Every question kind, and both proof forms (CDS and bits) for options and sums. A ranking
    of 16 options (ranks [0, 16]: bits) only on ed25519, where its 16 interval proofs are cheap;
    on modp4096 the bits are those of the score question "grade"."""
    many = tuple(f"c{i}" for i in range(20))
    projects = tuple(
        Option(f"p{i}", _text(f"project {i}"), cost)
        for i, cost in enumerate((300, 500, 200, 400, 150))
    )
    questions = (
        SingleChoiceQuestion("ref", _text("Referendum"), _options("yes", "no"), True),
        SingleChoiceQuestion("mayor", _text("Mayor"), _options("ann", "bob", "cyd"), False),
        ApprovalQuestion(
            "council", _text("Council"), _options("a", "b", "c", "d", "e"), 1, 3, True
        ),
        ApprovalQuestion("wide", _text("Wide approval"), _options(*many), 0, 17, False),
        ScoreQuestion("rate", _text("Rate"), _options("x", "y", "z"), 5, 8),
        ScoreQuestion("grade", _text("Grade"), _options("u", "v"), 20, None),
        BudgetQuestion("budget", _text("Budget"), projects, 1000, 100, None, 3),
        BudgetQuestion("plain-budget", _text("Budget"), projects[:3], 700, 0, None, None),
        _jury(),
        RankingQuestion("board", _text("Board"), _options("a", "b", "c", "d"), RankingRule.SCHULZE),
    )
    if group.name == "ed25519":
        seats = RankingQuestion("seats", _text("Seats"), _options(*many[:16]), RankingRule.STV, 3)
        questions = (*questions, seats)
    return _manifest_of("booth-interop", group, questions)


def _manifest_of(election_id: str, group: Group, questions: tuple[Question, ...]) -> Manifest:
    return Manifest(
        election_id=election_id,
        title=_text("Booth interoperability"),
        opens=datetime(2025, 3, 1, 8, 0, tzinfo=UTC),
        closes=datetime(2025, 3, 8, 20, 0, tzinfo=UTC),
        questions=questions,
        group_name=group.name,
    )


def _referendum_and_grades(group: Group) -> Manifest:
    """A homomorphic question and a mixnet one on the same ballot."""
    referendum = SingleChoiceQuestion("ref", _text("Referendum"), _options("yes", "no"), True)
    return _manifest_of("booth-mixed", group, (referendum, _jury()))


_SETUPS: dict[tuple[str, str], TallySetup] = {}


def _setup(name: str, kind: str = "every-kind") -> TallySetup:
    if (name, kind) not in _SETUPS:
        group = group_by_name(name)
        manifest = _manifest(group) if kind == "every-kind" else _referendum_and_grades(group)
        _SETUPS[name, kind] = make_setup(group, 1, 1, manifest=manifest, board_key=BOARD_KEY)
    return _SETUPS[name, kind]


def _voter_kit(election: Election) -> dict[str, Any]:
    """What GET /api/v1/elections/{id}/voter-kit serves, with the credential list added."""
    credentials = credentials_document(election)
    return {
        "election": election_document(election, "launch"),
        "group": group_document(election.group),
        "manifest": jsonstrict.loads(election.manifest.canonical_bytes(), "manifest"),
        "credentials": {"group": credentials["group"], "entries": credentials["entries"]},
    }


def _node(request: dict[str, Any]) -> Any:
    assert NODE is not None
    completed = subprocess.run(
        [NODE, str(BOOTH / "scripts" / "interop.js")],
        input=json.dumps(request).encode(),
        capture_output=True,
        check=False,
    )
    if completed.returncode != 0:
        pytest.fail(f"the booth script failed: {completed.stderr.decode()}")
    return json.loads(completed.stdout)


@pytest.mark.parametrize("kind", ["every-kind", "mixed"])
@pytest.mark.parametrize("name", ["ed25519", "modp4096"])
def test_python_accepts_the_booths_ballots_and_the_booth_accepts_the_receipts(
    name: str, kind: str, tmp_path: Path
) -> None:
    setup = _setup(name, kind)
    election = setup.election
    made = _node(
        {
            "mode": "make",
            "kit": _voter_kit(election),
            "codes": list(setup.codes),
            "ballots": BALLOTS[name],
            "audits": 1,
        }
    )
    assert made["fingerprint_checked"] is True
    board = Board(f"sqlite:///{tmp_path / 'board.db'}", BOARD_KEY)
    board.setup(election, setup.ceremony)
    board.open_election(election.election_id)
    receipts = []
    for item in made["ballots"]:
        data = item["bytes"].encode()
        ballot = decode_ballot(election, data)
        check_ballot(election, ballot)
        assert ballot.tracking_code == item["tracking_code"]
        # The booth encrypted what was chosen (a valid selection by Python's own rules).
        PlaintextBallot.from_selection(election.manifest, item["selection"])
        receipt = board.cast(election.election_id, data)
        check_receipt_signature(receipt, election.board_key)
        assert receipt.tracking_code == item["tracking_code"]
        receipts.append(
            {
                "receipt": receipt.to_json_obj(),
                "tracking_code": item["tracking_code"],
                "ballot_hash": jsonstrict.b64encode(ballot.ballot_hash()),
            }
        )
    assert _node(
        {
            "mode": "check-receipts",
            "board_key": jsonstrict.b64encode(election.board_key),
            "receipts": receipts,
        }
    ) == {"checked": len(receipts)}
    for item in made["audits"]:
        ballot = decode_ballot(election, item["bytes"].encode())
        audit = audited_ballot_from_json(item["audit"].encode())
        check_audit(election, ballot, audit)
        expected = PlaintextBallot.from_selection(election.manifest, item["selection"])
        assert audit.plaintext == expected
        board.spoil(election.election_id, ballot, audit)


def test_a_receipt_for_another_ballot_is_refused_by_the_booth(tmp_path: Path) -> None:
    setup = _setup("ed25519")
    election = setup.election
    made = _node(
        {
            "mode": "make",
            "kit": _voter_kit(election),
            "codes": list(setup.codes),
            "ballots": 2,
        }
    )
    board = Board(f"sqlite:///{tmp_path / 'board.db'}", BOARD_KEY)
    board.setup(election, setup.ceremony)
    board.open_election(election.election_id)
    first, second = (board.cast(election.election_id, b["bytes"].encode()) for b in made["ballots"])
    assert NODE is not None
    completed = subprocess.run(
        [NODE, str(BOOTH / "scripts" / "interop.js")],
        input=json.dumps(
            {
                "mode": "check-receipts",
                "board_key": jsonstrict.b64encode(election.board_key),
                "receipts": [
                    {
                        "receipt": second.to_json_obj(),
                        "tracking_code": first.tracking_code,
                        "ballot_hash": jsonstrict.b64encode(first.ballot_hash),
                    }
                ],
            }
        ).encode(),
        capture_output=True,
        check=False,
    )
    assert completed.returncode == 1
    assert b"names another ballot than the one cast" in completed.stderr


def test_a_ballot_the_booth_made_is_refused_once_changed() -> None:
    """The Python check is not vacuous on booth ballots: one flipped ciphertext fails."""
    setup = _setup("ed25519")
    election = setup.election
    made = _node(
        {"mode": "make", "kit": _voter_kit(election), "codes": list(setup.codes), "ballots": 1}
    )
    obj = json.loads(made["ballots"][0]["bytes"])
    options = obj["q"][0]["o"]
    options[0], options[1] = options[1], options[0]
    ballot = decode_ballot(election, jsonstrict.dumps(obj))
    with pytest.raises(Exception) as caught:
        check_ballot(election, ballot)
    assert type(caught.value).__name__ == "InvalidSignature"
    assert not isinstance(caught.value, InvalidBallot)
