"""The verifier's fact store (SQLite) gives the board's judge the facts dictionaries give it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evote.ballots.encrypted import TRACKING_CODE_BYTES, tracking_code
from evote.board.chain import EntryKind
from evote.board.rules import CastFacts, SameBallot, judge_cast
from evote.verify.facts import FactStore, violation_message
from evote.verify.work import BallotFacts


@dataclass
class Reference:
    """Steps 11.8 and 11.9 over dictionaries, entry by entry in board order: the facts the board
    would have had at each cast, judged by the board's judge."""

    codes: dict[bytes, tuple[int, bool]] = field(default_factory=dict)
    holders: dict[bytes, int] = field(default_factory=dict)  # mark -> first entry holding it
    spoiled: dict[int, bool] = field(default_factory=dict)
    last: dict[bytes, tuple[int, int | None]] = field(default_factory=dict)
    superseded: dict[int, int | None] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    previous: tuple[int, bool] | None = None

    def absorb(self, fact: BallotFacts, single: bool) -> None:
        assert fact.ballot_hash is not None and fact.marks is not None
        assert fact.credential is not None
        code = fact.ballot_hash[:TRACKING_CODE_BYTES]
        kind = EntryKind.SPOILED if fact.spoiled else EntryKind.BALLOT
        mine = None if fact.spoiled else self.last.get(fact.credential)
        last = None if mine is None else mine[0]
        same = None
        if code in self.codes:
            position, was_spoiled = self.codes[code]
            same = SameBallot(
                position,
                EntryKind.SPOILED if was_spoiled else EntryKind.BALLOT,
                not was_spoiled,
                last,
            )
        held = [self.holders[mark] for mark in fact.marks if mark in self.holders]
        clash = min(held) if held else None
        head_kind = EntryKind.OPEN
        if self.previous is not None and self.previous[0] == fact.position - 1:
            head_kind = EntryKind.SPOILED if self.previous[1] else EntryKind.BALLOT
        verdict = judge_cast(
            CastFacts(
                election_id="e",
                kind=kind,
                tracking_code=tracking_code(code),
                one_ballot_per_credential=single,
                head_position=fact.position - 1,
                head_kind=head_kind,
                same=same,
                repeated_mark=len(set(fact.marks)) != len(fact.marks),
                clash_position=clash,
                clash_kind=None
                if clash is None
                else (EntryKind.SPOILED if self.spoiled[clash] else EntryKind.BALLOT),
                last=last,
            )
        )
        if not verdict.accepted:
            self.violations.append(violation_message(fact.position, verdict, tracking_code(code)))
        # Every entry is on the board, judged valid or not: the later ones see it.
        self.previous = (fact.position, fact.spoiled)
        self.spoiled[fact.position] = fact.spoiled
        self.codes[code] = (fact.position, fact.spoiled)
        for mark in fact.marks:
            self.holders.setdefault(mark, fact.position)
        if fact.spoiled:
            return
        if mine is not None:
            self.superseded[mine[0]] = mine[1]
        self.last[fact.credential] = (fact.position, fact.weight)


def _tag(kind: str, number: int) -> bytes:
    return f"{kind}{number}".encode().ljust(32, b".")


facts_strategy = st.lists(
    st.tuples(
        st.booleans(),
        st.integers(0, 3),
        st.integers(0, 3),
        st.lists(st.integers(0, 12), min_size=1, max_size=3),
        st.one_of(st.none(), st.integers(1, 2**32 - 1)),
        st.booleans(),  # an event (or an undecoded entry) before this entry
    ),
    max_size=25,
)


def _positions(
    rows: list[tuple[bool, int, int, list[int], int | None, bool]],
) -> list[tuple[int, tuple[bool, int, int, list[int], int | None, bool]]]:
    """Board positions from 2 on, skipping one where ``gap`` puts something else first."""
    placed = []
    position = 1
    for row in rows:
        position += 2 if row[5] else 1
        placed.append((position, row))
    return placed


def _facts(
    position: int, spoiled: bool, credential: int, code: int, marks: list[int], weight: int | None
) -> BallotFacts:
    """A decoded entry's facts, its credential, ballot hash and marks tags of small numbers."""
    return BallotFacts(
        position,
        spoiled,
        _tag("c", credential),
        _tag("h", code),
        tuple(_tag("m", mark) for mark in marks),
        weight,
        None,
    )


@settings(max_examples=60, deadline=None)
@given(rows=facts_strategy, single=st.booleans())
def test_store_gives_the_in_memory_verdicts(
    rows: list[tuple[bool, int, int, list[int], int | None, bool]], single: bool
) -> None:
    facts = [
        _facts(position, spoiled, credential, code, marks, weight)
        for position, (spoiled, credential, code, marks, weight, gap) in _positions(rows)
    ]
    reference = Reference()
    for fact in facts:
        reference.absorb(fact, single)
    with FactStore() as store:
        for start in range(0, len(facts), 4):
            store.add(facts[start : start + 4])
        found = store.violations(election_id="e", one_ballot_per_credential=single)
        assert found.count == len(reference.violations)
        assert found.first == (reference.violations[0] if reference.violations else None)
        counted = store.counted()
        weights = [weight for _, weight in reference.last.values()]
        assert counted.ballots == len(reference.last)
        assert counted.weighed == sum(weight is not None for weight in weights)
        assert counted.total_weight == sum(weight or 0 for weight in weights)
        assert list(store.superseded()) == sorted(reference.superseded.items())
        assert store.has_superseded() == bool(reference.superseded)


def test_undecoded_facts_are_not_stored_and_the_directory_goes() -> None:
    store = FactStore()
    directory = Path(store._directory)
    store.add([BallotFacts(2, False, None, None, None, None, "InvalidBallot: bad")])
    assert store.rows == 0
    assert store.counted().ballots == 0
    assert store.violations(election_id="e", one_ballot_per_credential=True).count == 0
    store.close()
    assert not directory.exists()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        # A replay of a superseded ballot, named with the board's words.
        ([(False, 1, 1, [1]), (False, 1, 2, [2]), (False, 1, 1, [1])], "superseded by"),
        # The same ballot again while it is its credential's last: the board answers a retry.
        ([(False, 1, 1, [1]), (False, 1, 1, [1])], "never appends it twice"),
        # A ciphertext of a spoiled ballot cast.
        ([(True, 1, 1, [1, 2]), (False, 2, 2, [2, 3])], "of the spoiled ballot at position 2"),
        # A copy of another voter's ciphertext.
        ([(False, 1, 1, [1]), (False, 2, 2, [1])], "a copy, or reused nonces"),
        # Two ciphertexts of one ballot with one alpha.
        ([(False, 1, 1, [4, 4])], "a reused nonce"),
    ],
)
def test_each_rule_is_the_board_s(
    rows: list[tuple[bool, int, int, list[int]]], message: str
) -> None:
    facts = [
        _facts(position, spoiled, credential, code, marks, 1)
        for position, (spoiled, credential, code, marks) in enumerate(rows, start=2)
    ]
    with FactStore() as store:
        store.add(facts)
        found = store.violations(election_id="e", one_ballot_per_credential=False)
    assert found.count == 1
    assert found.first is not None
    assert found.first.startswith(f"board entry {len(rows) + 1}: ")
    assert message in found.first


def test_a_second_ballot_is_a_violation_only_under_the_single_policy() -> None:
    facts = [
        BallotFacts(position, False, _tag("c", 1), _tag("h", position), (_tag("m", position),),
                    1, None)
        for position in (2, 3)
    ]  # fmt: skip
    with FactStore() as store:
        store.add(facts)
        assert store.violations(election_id="e", one_ballot_per_credential=False).count == 0
        found = store.violations(election_id="e", one_ballot_per_credential=True)
    assert found.count == 1
    assert found.first is not None and "allows one ballot per credential" in found.first
