"""No part of a spoiled ballot can ever be cast (docs/spec.md sections 6.7 and 10.5).

The board keeps one mark per ciphertext (its alpha's hash) and refuses any ballot or spoiled
ballot one of whose marks is already on the election's board. Runs on SQLite and, with
EVOTE_TEST_POSTGRES_URL, on PostgreSQL (whose cast is the server-side function).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest

from evote.ballots.audit import ciphertext_marks, spoil_ballot
from evote.ballots.credentials import Registrar
from evote.ballots.encrypted import (
    BallotSecrets,
    EncryptedBallot,
    encrypt_ballot,
    encrypt_ballot_for_audit,
)
from evote.ballots.manifest import ApprovalQuestion, Manifest, Option, SingleChoiceQuestion
from evote.ballots.plaintext import PlaintextBallot
from evote.board import Board, EntryKind
from evote.board.board import ballot_columns
from evote.board.store import BallotColumns
from evote.ceremony.dkg import CeremonyResult, run_ceremony
from evote.crypto.groups import ED25519
from evote.election import Election
from evote.errors import DuplicateBallot
from tests.ballots.strategies import resign
from tests.board.helpers import BOARD_KEY, dump_tables, one_trustee_election

ELECTION = "marks-test"
KEY = BOARD_KEY


def _text(words: str) -> dict[str, str]:
    return {"en": words, "fr": f"{words} (fr)"}


@dataclass(frozen=True)
class TwoQuestions:
    """A referendum (blank allowed) and an approval question, four voters."""

    election: Election
    codes: tuple[str, ...]
    ceremony: CeremonyResult

    def plaintext(self, ref: str, approved: list[str]) -> PlaintextBallot:
        selection = {"ref": [ref], "council": approved}
        return PlaintextBallot.from_selection(self.election.manifest, selection)

    def ballot(self, voter: int, ref: str, approved: list[str]) -> EncryptedBallot:
        return encrypt_ballot(self.election, self.codes[voter], self.plaintext(ref, approved))


def _two_questions() -> TwoQuestions:
    options = tuple(Option(name, _text(name)) for name in ("ann", "bob", "cid"))
    manifest = Manifest(
        election_id=ELECTION,
        title=_text("Marks test"),
        opens=datetime(2025, 3, 1, 8, 0, tzinfo=UTC),
        closes=datetime(2025, 3, 8, 20, 0, tzinfo=UTC),
        questions=(
            SingleChoiceQuestion(
                "ref",
                _text("Agree?"),
                (Option("yes", _text("Yes")), Option("no", _text("No"))),
                True,
            ),
            ApprovalQuestion("council", _text("Council"), options, 0, 2, False),
        ),
        group_name=ED25519.name,
    )
    base = one_trustee_election(manifest, [f"voter-{i}" for i in range(4)])
    return TwoQuestions(base.election, base.codes, base.ceremony)


_ITEM: list[TwoQuestions] = []


@pytest.fixture
def item() -> TwoQuestions:
    if not _ITEM:
        _ITEM.append(_two_questions())
    return _ITEM[0]


@pytest.fixture
def board(database_url: str, item: TwoQuestions) -> Iterator[Board]:
    with Board(database_url, KEY) as opened:
        opened.setup(item.election, item.ceremony)
        opened.open_election(ELECTION)
        yield opened


def _spoiled(board: Board, item: TwoQuestions, voter: int) -> EncryptedBallot:
    """An audited ballot of ``voter`` (yes; ann and bob), published as spoiled."""
    plaintext = item.plaintext("yes", ["ann", "bob"])
    ballot, nonces = encrypt_ballot_for_audit(item.election, item.codes[voter], plaintext)
    board.spoil(ELECTION, ballot, spoil_ballot(ballot, nonces))
    return ballot


def test_an_audited_question_recast_verbatim_is_refused(
    board: Board, item: TwoQuestions, database_url: str
) -> None:
    audited = _spoiled(board, item, 0)
    # The voter keeps the audited referendum (its ciphertexts and proofs, which bind the
    # credential and the question's position) and changes the other question, then signs.
    changed = item.ballot(0, "no", ["cid"])
    mixed = resign(
        item.election, item.codes[0], changed, (audited.questions[0], changed.questions[1])
    )
    assert mixed.ballot_hash() != audited.ballot_hash()
    before = dump_tables(database_url)
    with pytest.raises(
        DuplicateBallot, match=r"the spoiled ballot at position 3; .* nonces are public"
    ):
        board.cast(ELECTION, mixed)
    assert dump_tables(database_url) == before
    # The voter's fresh ballot is taken.
    assert board.cast(ELECTION, changed).position == 4


def test_one_spoiled_option_ciphertext_is_enough(board: Board, item: TwoQuestions) -> None:
    audited = _spoiled(board, item, 1)
    changed = item.ballot(1, "yes", ["bob"])
    council = changed.questions[1]
    # One option's ciphertext and proof of the audited approval question, the rest fresh.
    options = (audited.questions[1].options[0], *council.options[1:])
    forged = resign(
        item.election, item.codes[1], changed,
        (changed.questions[0], replace(council, options=options)),
    )  # fmt: skip
    with pytest.raises(DuplicateBallot, match="spoiled ballot at position 3"):
        board.store.append_ballot(
            ELECTION, EntryKind.BALLOT, forged.canonical_bytes(), ballot_columns(forged), False
        )


def test_a_spoiled_ballot_may_not_reuse_a_cast_ciphertext(board: Board, item: TwoQuestions) -> None:
    cast, cast_secrets = encrypt_ballot_for_audit(
        item.election, item.codes[2], item.plaintext("no", [])
    )
    receipt = board.cast(ELECTION, cast)
    plaintext = item.plaintext("yes", ["ann"])
    fresh, nonces = encrypt_ballot_for_audit(item.election, item.codes[2], plaintext)
    reused = resign(item.election, item.codes[2], fresh, (fresh.questions[0], cast.questions[1]))
    # A truthful reveal of the reused ballot (its second question is the cast one's), so that
    # the audit holds and only the marks can refuse it.
    reveal = BallotSecrets(
        PlaintextBallot(
            (plaintext.answers[0], cast_secrets.plaintext.answers[1]),
        ),
        (nonces.questions[0], cast_secrets.questions[1]),
    )
    with pytest.raises(DuplicateBallot, match=f"cast ballot at position {receipt.position}"):
        board.spoil(ELECTION, reused, spoil_ballot(reused, reveal))


def test_marks_of_another_election_do_not_count(board: Board, item: TwoQuestions) -> None:
    ballot = item.ballot(0, "yes", ["ann"])
    columns = ballot_columns(ballot)
    # A spoiled ballot with these very marks in another election of the same board.
    other = replace(item.election.manifest, election_id=f"other-{secrets.token_hex(4)}")
    twin_ceremony, _ = run_ceremony(ED25519, other.election_id, 1, 1)
    twin = Election(
        other,
        ED25519,
        twin_ceremony.public_key,
        Registrar.generate(ED25519, other.election_id, ["v"]).credential_list,
        twin_ceremony.transcript_hash,
        bytes(KEY.verify_key),
    )
    board.setup(twin, twin_ceremony)
    board.open_election(twin.election_id)
    foreign = BallotColumns(None, secrets.token_bytes(32), columns.marks)
    board.store.append_ballot(twin.election_id, EntryKind.SPOILED, b"{}", foreign, False)
    assert board.cast(ELECTION, ballot).position == 3


def test_two_ciphertexts_of_one_alpha_are_refused(item: TwoQuestions) -> None:
    ballot = item.ballot(0, "yes", ["ann"])
    marks = ciphertext_marks(ballot)
    with pytest.raises(DuplicateBallot, match="two of its ciphertexts have the same alpha"):
        BallotColumns(ballot.credential.to_bytes(), ballot.ballot_hash(), (*marks, marks[0]))
