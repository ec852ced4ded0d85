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
    """The rules of steps 11.8 and 11.9 over dictionaries (what the verifier did before)."""

    codes: dict[bytes, int] = field(default_factory=dict)
    cast_markers: dict[bytes, int] = field(default_factory=dict)
    spoiled_markers: dict[bytes, int] = field(default_factory=dict)
    last: dict[bytes, tuple[int, int | None]] = field(default_factory=dict)
    superseded: dict[int, int | None] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)

    def absorb(self, fact: BallotFacts, single: bool) -> None:
        assert fact.ballot_hash is not None and fact.marker is not None
        assert fact.credential is not None
        where = f"board entry {fact.position}"
        code = fact.ballot_hash[:16]
        earlier = self.codes.get(code)
        if earlier is not None:
            self.violations.append(
                f"{where}: same ballot hash or tracking code as entry {earlier} (replay)"
            )
        self.codes[code] = fact.position
        if fact.spoiled:
            clash = self.spoiled_markers.get(fact.marker)
            if clash is not None:
                self.violations.append(
                    f"{where}: spoiled ballot with the ciphertexts of the one at {clash}"
                )
            self.spoiled_markers[fact.marker] = fact.position
            return
        copied = self.cast_markers.get(fact.marker)
        if copied is not None:
            self.violations.append(
                f"{where}: cast ballot with the ciphertexts of the ballot at {copied}"
                " (a copy, or reused nonces)"
            )
        else:
            self.cast_markers[fact.marker] = fact.position
        previous = self.last.get(fact.credential)
        if previous is not None:
            if single:
                self.violations.append(
                    f"{where}: second ballot of the credential that voted at {previous[0]};"
                    " the election allows one ballot per credential"
                )
            self.superseded[previous[0]] = previous[1]
        self.last[fact.credential] = (fact.position, fact.weight)

    def finish(self) -> None:
        for marker, spoiled_at in self.spoiled_markers.items():
            cast_at = self.cast_markers.get(marker)
            if cast_at is not None:
                self.violations.append(
                    f"board entry {cast_at}: cast ballot with the ciphertexts of the spoiled"
                    f" ballot at {spoiled_at}"
                )


def _tag(kind: str, number: int) -> bytes:
    return f"{kind}{number}".encode().ljust(32, b".")


facts_strategy = st.lists(
    st.tuples(
        st.booleans(),
        st.integers(0, 3),
        st.integers(0, 3),
        st.integers(0, 3),
        st.one_of(st.none(), st.integers(1, 2**32 - 1)),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(rows=facts_strategy, single=st.booleans())
def test_store_gives_the_in_memory_verdicts(
    rows: list[tuple[bool, int, int, int, int | None]], single: bool
) -> None:
    facts = [
        BallotFacts(
            position, spoiled, _tag("c", credential), _tag("h", code), _tag("m", marker), weight,
            None,
        )
        for position, (spoiled, credential, code, marker, weight) in enumerate(rows, start=2)
    ]
    reference = Reference()
    for fact in facts:
        reference.absorb(fact, single)
    reference.finish()
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
