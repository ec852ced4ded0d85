"""The verifier's fact store (SQLite) gives the verdicts of the in-memory board rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from evote.verify.facts import FactStore
from evote.verify.work import BallotFacts


@dataclass
class Reference:
    """The rules of steps 11.8 and 11.9 over dictionaries, entry by entry in board order."""

    codes: dict[bytes, int] = field(default_factory=dict)
    holders: dict[bytes, int] = field(default_factory=dict)  # mark -> first entry holding it
    spoiled: dict[int, bool] = field(default_factory=dict)
    last: dict[bytes, tuple[int, int | None]] = field(default_factory=dict)
    superseded: dict[int, int | None] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)

    def absorb(self, fact: BallotFacts, single: bool) -> None:
        assert fact.ballot_hash is not None and fact.marks is not None
        assert fact.credential is not None
        where = f"board entry {fact.position}"
        self.spoiled[fact.position] = fact.spoiled
        code = fact.ballot_hash[:16]
        earlier = self.codes.get(code)
        if earlier is not None:
            self.violations.append(
                f"{where}: same ballot hash or tracking code as entry {earlier} (replay)"
            )
        self.codes[code] = fact.position
        # Marks held by an earlier entry, or repeated inside this one (held by itself).
        reused: list[int] = []
        seen: set[bytes] = set()
        for mark in fact.marks:
            holder = self.holders.setdefault(mark, fact.position)
            if holder != fact.position or mark in seen:
                reused.append(holder)
            seen.add(mark)
        if reused:
            other = min(reused)
            this = "spoiled ballot" if fact.spoiled else "cast ballot"
            if other == fact.position:
                message = f"{this} with two ciphertexts of the same alpha (a reused nonce)"
            elif self.spoiled[other]:
                message = (
                    f"{this} with a ciphertext alpha of the spoiled ballot at {other}"
                    " (whose nonces the audit made public)"
                )
            else:
                message = (
                    f"{this} with a ciphertext alpha of the cast ballot at {other}"
                    " (a copy, or reused nonces)"
                )
            self.violations.append(f"{where}: {message}")
        if fact.spoiled:
            return
        previous = self.last.get(fact.credential)
        if previous is not None:
            if single:
                self.violations.append(
                    f"{where}: second ballot of the credential that voted at {previous[0]};"
                    " the election allows one ballot per credential"
                )
            self.superseded[previous[0]] = previous[1]
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
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(rows=facts_strategy, single=st.booleans())
def test_store_gives_the_in_memory_verdicts(
    rows: list[tuple[bool, int, int, list[int], int | None]], single: bool
) -> None:
    facts = [
        BallotFacts(
            position,
            spoiled,
            _tag("c", credential),
            _tag("h", code),
            tuple(_tag("m", mark) for mark in marks),
            weight,
            None,
        )
        for position, (spoiled, credential, code, marks, weight) in enumerate(rows, start=2)
    ]
    reference = Reference()
    for fact in facts:
        reference.absorb(fact, single)
    with FactStore() as store:
        for start in range(0, len(facts), 4):
            store.add(facts[start : start + 4])
        found = store.violations(one_ballot_per_credential=single)
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
    assert store.violations(one_ballot_per_credential=True).count == 0
    store.close()
    assert not directory.exists()
