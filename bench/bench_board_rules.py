"""Verify step 11.8 (the board's rules replayed over the ballot entries) at scale.

Run as a script: ``python bench/bench_board_rules.py [--ballots N] [--marks M]``. Synthetic
facts (no cryptography): N ballot entries, one credential per voter with one voter in ten
revoting and one entry in fifty a spoiled ballot, each entry with M random ciphertext marks.
Reported: the time to load the facts into the verifier's fact store (step 11.7's share), the
time of step 11.8 (:meth:`FactStore.violations`, both revote policies: the single policy
finds every revote) and of step 11.9 (:meth:`FactStore.counted`), and the peak resident
memory of this process.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from evote.verify.facts import FactStore  # noqa: E402
from evote.verify.work import BallotFacts  # noqa: E402

CHUNK = 500


def synthetic_facts(ballots: int, marks: int, seed: int = 7) -> Iterator[BallotFacts]:
    """Board-ordered facts: a revote in ten entries, a spoiled ballot in fifty."""
    rng = random.Random(seed)
    voters: list[bytes] = []
    for position in range(3, ballots + 3):
        if voters and rng.random() < 0.1:
            credential = rng.choice(voters)
        else:
            credential = rng.randbytes(32)
            voters.append(credential)
        yield BallotFacts(
            position=position,
            spoiled=rng.random() < 0.02,
            credential=credential,
            ballot_hash=rng.randbytes(32),
            marks=tuple(rng.randbytes(32) for _ in range(marks)),
            weight=1,
            error=None,
        )


def run(ballots: int, marks: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    with FactStore() as store:
        started = time.perf_counter()
        chunk: list[BallotFacts] = []
        for fact in synthetic_facts(ballots, marks):
            chunk.append(fact)
            if len(chunk) == CHUNK:
                store.add(chunk)
                chunk = []
        store.add(chunk)
        figures["load_s"] = time.perf_counter() - started
        for single in (False, True):
            started = time.perf_counter()
            found = store.violations(election_id="bench", one_ballot_per_credential=single)
            name = "single" if single else "last"
            figures[f"rules_{name}_s"] = time.perf_counter() - started
            figures[f"violations_{name}"] = found.count
        started = time.perf_counter()
        store.counted()
        figures["counted_s"] = time.perf_counter() - started
    figures["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ballots", type=int, default=100_000)
    parser.add_argument("--marks", type=int, default=3)
    args = parser.parse_args()
    figures = run(args.ballots, args.marks)
    for name, value in figures.items():
        print(f"{name:>20}: {value:.3f}" if isinstance(value, float) else f"{name}: {value}")


if __name__ == "__main__":
    main()
