"""The Board on SQLite and PostgreSQL: life cycle, cast checks, reads, checkpoints."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from nacl.signing import SigningKey

from evote import jsonstrict
from evote.ballots.manifest import RevotePolicy
from evote.ballots.plaintext import Answer, PlaintextBallot
from evote.board import (
    Board,
    EntryKind,
    check_checkpoint,
    check_extends,
    check_receipt,
    verify_chain,
)
from evote.board.chain import genesis_hash
from evote.ceremony.dkg import run_ceremony
from evote.ceremony.wire import ceremony_result_to_json
from evote.crypto.groups import MODP4096
from evote.errors import (
    BallotNotFound,
    BoardIntegrityError,
    CeremonyError,
    ContextMismatch,
    DuplicateBallot,
    ElectionNotOpen,
    InvalidBallot,
    InvalidInput,
    InvalidSignature,
    UnknownCredential,
    UnknownElection,
)
from tests.board.helpers import BOARD_KEY, BoardElection, dump_tables, make_election

KEY = BOARD_KEY


@pytest.fixture
def board(database_url: str) -> Iterator[Board]:
    with Board(database_url, KEY) as opened:
        yield opened


@pytest.fixture(scope="module")
def referendum() -> BoardElection:
    return make_election(voters=5)


@pytest.fixture
def open_board(board: Board, referendum: BoardElection) -> Board:
    board.setup(referendum.election, referendum.ceremony)
    board.open_election("board-test")
    return board


def test_setup_round_trip(board: Board, referendum: BoardElection) -> None:
    entry = board.setup(referendum.election, referendum.ceremony, launch_code="launch-1")
    assert entry.position == 1
    assert entry.kind is EntryKind.SETUP
    reopened = Board(board.engine.url.render_as_string(hide_password=False))
    try:
        election = reopened.load_election("board-test")
        assert election.fingerprint == referendum.election.fingerprint
        trustees = reopened.setup_record("board-test").trustees
        assert trustees == jsonstrict.loads(ceremony_result_to_json(referendum.ceremony), "t")
        assert reopened.setup_record("board-test").launch_code == "launch-1"
        assert reopened.election_ids() == ["board-test"]
    finally:
        reopened.dispose()
    with pytest.raises(InvalidInput, match="already set up"):
        board.setup(referendum.election, referendum.ceremony)


def test_life_cycle(board: Board, referendum: BoardElection) -> None:
    board.setup(referendum.election, referendum.ceremony)
    ballot = referendum.ballot(0)
    with pytest.raises(ElectionNotOpen, match="not open yet"):
        board.cast("board-test", ballot)
    with pytest.raises(ElectionNotOpen):
        board.close_election("board-test")
    opened = board.open_election("board-test")
    check_checkpoint(opened, bytes(KEY.verify_key))
    assert opened.position == 2
    receipt = board.cast("board-test", ballot)
    assert receipt.position == 3
    assert receipt.tracking_code == ballot.tracking_code
    check_receipt(receipt, board.entry_at("board-test", 3))
    with pytest.raises(ElectionNotOpen):
        board.publish_tally("board-test", {"aggregate": []})
    closed = board.close_election("board-test")
    with pytest.raises(ElectionNotOpen, match="closed"):
        board.cast("board-test", referendum.ballot(1))
    with pytest.raises(ElectionNotOpen):
        board.publish_result("board-test", {"yes": 1})
    board.publish_tally("board-test", {"shares": [1]})
    board.publish_tally("board-test", {"shares": [2]})
    board.publish_result("board-test", {"yes": 1, "no": 0})
    with pytest.raises(ElectionNotOpen):
        board.publish_tally("board-test", {})
    head = board.verify("board-test")
    assert head.position == 7
    assert board.head("board-test").kind is EntryKind.RESULT
    assert [e.kind for e in board.entries("board-test")] == [
        EntryKind.SETUP, EntryKind.OPEN, EntryKind.BALLOT, EntryKind.CLOSE,
        EntryKind.TALLY, EntryKind.TALLY, EntryKind.RESULT,
    ]  # fmt: skip
    on_demand = board.checkpoint("board-test")
    assert on_demand.position == 7
    assert board.checkpoints("board-test") == [opened, closed, on_demand]
    assert check_extends(opened, board.entries("board-test"), on_demand).position == 7
    assert check_extends(closed, board.entries("board-test", start=4)).position == 7


def test_cast_is_idempotent_and_revotes_count_last(
    open_board: Board, referendum: BoardElection
) -> None:
    first = referendum.ballot(0, "yes")
    receipt = open_board.cast("board-test", first)
    assert open_board.cast("board-test", first) == receipt
    assert open_board.cast("board-test", first.canonical_bytes()) == receipt
    other = open_board.cast("board-test", referendum.ballot(1, "no"))
    revote = referendum.ballot(0, "no")
    revote_receipt = open_board.cast("board-test", revote)
    before = dump_tables(_url(open_board))
    with pytest.raises(DuplicateBallot, match="replay"):
        open_board.cast("board-test", first)
    assert dump_tables(_url(open_board)) == before
    counted = list(open_board.counted_entries("board-test"))
    assert [entry.position for entry in counted] == [other.position, revote_receipt.position]
    ballots = list(open_board.counted_ballots("board-test"))
    assert [b.tracking_code for b, _ in ballots] == [other.tracking_code, revote.tracking_code]
    assert [weight for _, weight in ballots] == [1, 1]
    found = open_board.ballot_by_tracking_code("board-test", revote.tracking_code)
    assert found.position == revote_receipt.position
    assert open_board.ballot_at("board-test", revote_receipt.position) == revote
    assert [e.position for e in open_board.ballot_entries("board-test")] == [3, 4, 5]
    with pytest.raises(InvalidInput):
        open_board.ballot_at("board-test", 2)
    with pytest.raises(InvalidInput):
        open_board.ballot_by_tracking_code("board-test", "0000-0000")


def test_lookup_by_tracking_code_in_any_spelling(
    open_board: Board, referendum: BoardElection
) -> None:
    receipt = open_board.cast("board-test", referendum.ballot(0, "yes"))
    code = receipt.tracking_code
    for typed in (code, code.lower(), code.replace("-", ""), code.replace("-", " ").lower()):
        assert open_board.ballot_by_tracking_code("board-test", typed).position == receipt.position
    absent = "0000-0000-0000-0000-00000"
    with pytest.raises(BallotNotFound, match=f"no ballot with tracking code {absent}$"):
        open_board.ballot_by_tracking_code("board-test", absent.replace("-", ""))
    with pytest.raises(LookupError):
        open_board.ballot_by_tracking_code("board-test", absent)
    mistyped = code[:-1] + "1"  # the last symbol of a tracking code is even
    with pytest.raises(InvalidInput, match=r"^this is not a tracking code: .* ends with '1'"):
        open_board.ballot_by_tracking_code("board-test", mistyped)
    with pytest.raises(InvalidInput, match="a character is missing"):
        open_board.ballot_by_tracking_code("board-test", code[:-2])


def _url(board: Board) -> str:
    return board.engine.url.render_as_string(hide_password=False)


def test_refused_ballots_write_nothing(open_board: Board, referendum: BoardElection) -> None:
    open_board.cast("board-test", referendum.ballot(0))
    other_election = make_election(voters=2, election_id="other-vote")
    open_board.setup(other_election.election, other_election.ceremony)
    open_board.open_election("other-vote")
    valid = referendum.ballot(1)
    stranger = make_election(voters=1).election.credentials.entries[0].public
    cases: list[tuple[object, type[Exception]]] = [
        (other_election.ballot(0), ContextMismatch),
        (dataclasses.replace(valid, fingerprint=b"\x00" * 32), ContextMismatch),
        (dataclasses.replace(valid, credential=stranger), UnknownCredential),
        (dataclasses.replace(valid, signature=referendum.ballot(1).signature), InvalidSignature),
        (valid.canonical_bytes()[:-2], InvalidBallot),
    ]
    before = dump_tables(_url(open_board))
    for ballot, error in cases:
        with pytest.raises(error):
            open_board.cast("board-test", ballot)  # type: ignore[arg-type]
        assert dump_tables(_url(open_board)) == before
    with pytest.raises(UnknownElection):
        open_board.cast("no-such-vote", valid)
    open_board.close_election("board-test")
    before = dump_tables(_url(open_board))
    with pytest.raises(ElectionNotOpen):
        open_board.cast("board-test", valid)
    assert dump_tables(_url(open_board)) == before


def test_single_ballot_policy(board: Board) -> None:
    single = make_election(voters=2, election_id="single-vote", revote=RevotePolicy.SINGLE)
    board.setup(single.election, single.ceremony)
    board.open_election("single-vote")
    first = single.ballot(0)
    receipt = board.cast("single-vote", first)
    assert board.cast("single-vote", first) == receipt
    before = dump_tables(_url(board))
    with pytest.raises(DuplicateBallot, match="one ballot per credential"):
        board.cast("single-vote", single.ballot(0, "no"))
    assert dump_tables(_url(board)) == before


def test_spoiled_ballot_is_never_cast(open_board: Board, referendum: BoardElection) -> None:
    audited, audit = referendum.spoiled(2)
    entry = open_board.spoil("board-test", audited, audit)
    assert entry.kind is EntryKind.SPOILED
    assert entry.credential is None
    before = dump_tables(_url(open_board))
    with pytest.raises(DuplicateBallot, match="spoiled"):
        open_board.cast("board-test", audited)
    assert dump_tables(_url(open_board)) == before
    assert list(open_board.counted_entries("board-test")) == []
    cast, its_audit = referendum.spoiled(3)  # cast first, then offered for an audit
    open_board.cast("board-test", cast)
    with pytest.raises(DuplicateBallot):
        open_board.spoil("board-test", cast, its_audit)


def test_spoil_refuses_an_audit_that_is_not_a_reveal(
    open_board: Board, referendum: BoardElection
) -> None:
    audited, audit = referendum.spoiled(2)
    before = dump_tables(_url(open_board))
    with pytest.raises(InvalidInput, match="must be an AuditedBallot"):
        open_board.spoil("board-test", audited, audit.to_json_obj())  # type: ignore[arg-type]
    assert dump_tables(_url(open_board)) == before


def test_spoil_refuses_an_audit_that_does_not_hold(
    open_board: Board, referendum: BoardElection
) -> None:
    # The board judges the reveal with the verifier's own check (spec 6.7, step 11.7.1): a
    # false audit on the board would fail the whole election's verification.
    audited, audit = referendum.spoiled(2, "yes")
    answers = list(audit.plaintext.answers)
    answers[0] = Answer(tuple(reversed(answers[0].values)))  # reveals "no" for a "yes"
    lie = dataclasses.replace(audit, plaintext=PlaintextBallot(tuple(answers)))
    other, _ = referendum.spoiled(3, "yes")
    before = dump_tables(_url(open_board))
    with pytest.raises(InvalidBallot, match=r"audit: question 'ref', option 0"):
        open_board.spoil("board-test", audited, lie)
    with pytest.raises(InvalidBallot, match="audit: the revealed data is for another ballot"):
        open_board.spoil("board-test", other, audit)
    assert dump_tables(_url(open_board)) == before
    assert open_board.spoil("board-test", audited, audit).kind is EntryKind.SPOILED


def test_many_elections_are_isolated(board: Board) -> None:
    first = make_election(voters=2, election_id="commune-a")
    second = make_election(voters=2, election_id="commune-b")
    for item in (first, second):
        board.setup(item.election, item.ceremony)
        board.open_election(item.election.election_id)
    a = board.cast("commune-a", first.ballot(0))
    b = board.cast("commune-b", second.ballot(0))
    assert a.position == b.position == 3
    assert a.chain_hash != b.chain_hash
    assert board.election_ids() == ["commune-a", "commune-b"]
    board.close_election("commune-a")
    board.cast("commune-b", second.ballot(1))
    assert board.verify("commune-a").position == 4
    assert board.verify("commune-b").position == 4
    with pytest.raises(UnknownElection):
        board.head("commune-c")
    with pytest.raises(UnknownElection):
        board.load_election("commune-c")


def test_verify_detects_checkpoint_mismatch(open_board: Board, referendum: BoardElection) -> None:
    open_board.cast("board-test", referendum.ballot(0))
    record = open_board.setup_record("board-test")
    genesis = genesis_hash("board-test", record.election.fingerprint, record.launch_code)
    entries = list(open_board.entries("board-test"))
    assert verify_chain(entries, genesis).position == 3
    other_key = Board(_url(open_board), SigningKey.generate())
    try:
        # The checkpoints are judged by the election's key, whoever reads the board.
        assert other_key.verify("board-test").position == 3
        with pytest.raises(ContextMismatch, match="not this board's signing key"):
            other_key.cast("board-test", referendum.ballot(0))
    finally:
        other_key.dispose()


def test_events_need_the_signing_key(database_url: str, referendum: BoardElection) -> None:
    with Board(database_url) as keyless:
        keyless.setup(referendum.election, referendum.ceremony)
        with pytest.raises(InvalidInput, match="signing key"):
            keyless.open_election("board-test")
        with pytest.raises(InvalidInput, match="signing key"):
            keyless.checkpoint("board-test")
        assert keyless.board_key is None


def test_tampered_setup_fails_verification(open_board: Board) -> None:
    # A board whose election row names another launch code than its setup entry.
    with pytest.raises(BoardIntegrityError):
        raw = sa.create_engine(_url(open_board))
        try:
            with raw.begin() as connection:
                if raw.dialect.name == "sqlite":
                    connection.exec_driver_sql("DROP TRIGGER evote_board_elections_no_update")
                else:
                    connection.exec_driver_sql(
                        "DROP TRIGGER evote_board_elections_append_only ON evote_board_elections"
                    )
                connection.execute(
                    sa.text("UPDATE evote_board_elections SET launch_code = 'forged'")
                )
        finally:
            raw.dispose()
        open_board.verify("board-test")


def test_setup_refuses_a_ceremony_result_the_record_could_not_use(
    board: Board, referendum: BoardElection
) -> None:
    election, ceremony = referendum.election, referendum.ceremony
    rerun, _ = run_ceremony(election.group, election.election_id, 1, 1)
    other_election, _ = run_ceremony(election.group, "another-election", 1, 1)
    other_group, _ = run_ceremony(MODP4096, election.election_id, 1, 1)
    refused = {
        "opaque JSON": ({}, InvalidInput, "expected the key ceremony's CeremonyResult"),
        "another election's": (other_election, ContextMismatch, "'another-election'"),
        "another group's": (other_group, ContextMismatch, "modp4096"),
        "another run's": (rerun, ContextMismatch, "another joint key"),
        "another transcript": (
            dataclasses.replace(ceremony, transcript_hash=bytes(32)),
            ContextMismatch,
            "another transcript hash",
        ),
        "forged keys": (
            dataclasses.replace(ceremony, verification_keys=(election.group.generator,)),
            CeremonyError,
            "verification key of trustee 1",
        ),
    }
    for name, (value, error, message) in refused.items():
        with pytest.raises(error, match=message):
            board.setup(election, value)  # type: ignore[arg-type]
        assert board.election_ids() == [], name
    board.setup(election, ceremony)
    assert board.election_ids() == [election.election_id]
