"""The board and the verifier's step 11.8 judge alike, entry by entry (docs/spec.md 10.5, 11.8).

Random sequences of casts, revotes, replays, copies of another voter's ciphertexts and spoiled
ballots go through a real board (its store, its database, its transaction: SQLite, and
PostgreSQL when ``EVOTE_TEST_POSTGRES_URL`` is set) and, attempt by attempt, through the
verifier's replay (:class:`evote.verify.facts.FactStore`) of the board's entries with the
attempt appended as if the board had taken it. They must agree: every entry the board appends
is one the verifier accepts; every attempt the board refuses (or answers with an entry it
holds, a retry) leaves the board unchanged and is the violation the verifier reports there,
in the board's own words; at the end, the counted and superseded ballots are the same.

The ballots are their board columns only (credential, hash, ciphertext marks): the ballot
checks before the store (proofs, signature) are not what is judged here, and a copy of
another voter's ciphertext could not pass them.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evote.ballots.encrypted import tracking_code
from evote.board import Board
from evote.board.chain import EntryKind
from evote.board.payloads import event_payload
from evote.board.rules import Verdict
from evote.board.store import BallotColumns, BoardStore
from evote.crypto.hashing import Purpose, digest32
from evote.errors import DuplicateBallot, ElectionNotOpen
from evote.verify.facts import FactStore, violation_message
from evote.verify.work import BallotFacts

CREDENTIALS = 3
MARKS = 7

#: A ballot: its credential and the alphas (marks) of its ciphertexts, from small pools so that
#: revotes, copies and reused nonces happen.
ballot_strategy = st.tuples(
    st.integers(0, CREDENTIALS - 1), st.lists(st.integers(0, MARKS - 1), min_size=1, max_size=3)
)
#: What a portal does with ballot number n: cast it, spoil it, or close the election.
attempt_strategy = st.tuples(
    st.sampled_from(["cast"] * 8 + ["spoil", "close"]), st.integers(0, 4)
)


@pytest.fixture
def store(database_url: str) -> Iterator[BoardStore]:
    with Board(database_url, sqlite_synchronous="NORMAL") as board:
        yield board.store


def _credential(number: int) -> bytes:
    return digest32(Purpose.TEST, "credential", number)


def _mark(number: int) -> bytes:
    return digest32(Purpose.TEST, "mark", number)


def _replayed(facts: list[BallotFacts], election_id: str, single: bool) -> tuple[int, str | None]:
    with FactStore() as replay:
        replay.add(facts)
        found = replay.violations(election_id=election_id, one_ballot_per_credential=single)
    return found.count, found.first


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    ballots=st.lists(ballot_strategy, min_size=2, max_size=5),
    attempts=st.lists(attempt_strategy, min_size=6, max_size=16),
    single=st.booleans(),
)
def test_board_and_verifier_agree_entry_by_entry(
    store: BoardStore,
    ballots: list[tuple[int, list[int]]],
    attempts: list[tuple[str, int]],
    single: bool,
) -> None:
    election_id = f"agree-{secrets.token_hex(6)}"
    store.create_election(election_id, bytes(32), "launch", b"{}")
    store.append_event(election_id, EntryKind.OPEN, event_payload(EntryKind.OPEN))
    on_board: list[BallotFacts] = []
    closed = False
    for action, number in attempts:
        head = store.head(election_id)
        if action == "close":
            if not closed:
                store.append_event(election_id, EntryKind.CLOSE, event_payload(EntryKind.CLOSE))
                closed = True
            continue
        credential, marks = ballots[number % len(ballots)]
        ballot_hash = digest32(Purpose.TEST, election_id, number % len(ballots))
        spoiled = action == "spoil"
        attempt = BallotFacts(
            position=head.position + 1,
            spoiled=spoiled,
            credential=_credential(credential),
            ballot_hash=ballot_hash,
            marks=tuple(_mark(mark) for mark in marks),
            weight=1,
            error=None,
        )
        try:
            columns = BallotColumns(
                None if spoiled else _credential(credential),
                ballot_hash,
                tuple(_mark(mark) for mark in marks),
            )
            entry, retried = store.append_ballot(
                election_id,
                EntryKind.SPOILED if spoiled else EntryKind.BALLOT,
                b'{"ballot": %d}' % number,
                columns,
                single,
            )
        except (DuplicateBallot, ElectionNotOpen) as refusal:
            assert store.head(election_id) == head
            if closed:
                # The verifier holds the life cycle in step 11.5, not in 11.8.
                continue
            assert isinstance(refusal, DuplicateBallot)
            count, first = _replayed([*on_board, attempt], election_id, single)
            assert count == 1
            assert first == f"board entry {attempt.position}: {refusal}"
            continue
        if retried:
            assert store.head(election_id) == head
            count, first = _replayed([*on_board, attempt], election_id, single)
            assert count == 1
            assert first == violation_message(
                attempt.position, Verdict(retry_of=entry.position), tracking_code(ballot_hash)
            )
            continue
        assert not closed
        assert entry.position == attempt.position
        on_board.append(attempt)
        assert _replayed(on_board, election_id, single) == (0, None)
    counted = [entry.position for entry in store.counted_entries(election_id)]
    with FactStore() as replay:
        replay.add(on_board)
        assert replay.counted().ballots == len(counted)
        superseded = {position for position, _ in replay.superseded()}
    cast = {fact.position for fact in on_board if not fact.spoiled}
    assert superseded == cast - set(counted)
