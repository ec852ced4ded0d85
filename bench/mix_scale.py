"""Ballots mixed twice, proven and verified: ``python -m bench.mix_scale --answers 10000``.

The mixnet's scale run (docs/spec.md section 12; docs/performance.md, "Verifiable shuffle"):
N answers of width 5 (a graded or ranked question of five options, one ciphertext per option)
are encrypted under a fresh key (the voters' job, not counted), then mixed by two mix servers
in sequence, each shuffling the previous list and proving its shuffle (``shuffle``,
``prove_shuffle``), then both proofs are checked (``check_shuffle``), as the verifier of the
record does. Every phase runs in this one process on one core: the library's shuffle, proof
and check are sequential. A last, uncounted phase decrypts the final list with the secret key
and compares it, as a multiset of answers, with what was encrypted: the mixes lost nothing.

Prints per phase the time and the time per answer, as a table and as JSON, with the load
average before and after (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from bench.scale import print_report
from evote.crypto.elgamal import PublicKey, SecretKey, decrypt_to_element, encrypt, generate_keypair
from evote.crypto.groups import group_by_name
from evote.crypto.proofs import ProofContext
from evote.crypto.shuffle import (
    Answer,
    ShuffleProof,
    check_shuffle,
    prove_shuffle,
    shuffle,
    shuffle_generators,
)

WIDTH = 5
MIXES = 2
#: The fingerprint of no election: the proofs bind it as they would bind a real one.
FINGERPRINT = bytes(range(32))


@dataclass
class PhaseFigures:
    name: str
    seconds: float
    answers: int
    ms_per_answer: float
    counted: bool


@dataclass
class MixScaleReport:
    answers: int
    width: int
    mixes: int
    group: str
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    phases: list[PhaseFigures] = field(default_factory=list)

    @contextmanager
    def phase(self, name: str, counted: bool = True) -> Iterator[None]:
        print(f"-- {name} ({self.answers} answers)", file=sys.stderr, flush=True)
        started = time.perf_counter()
        yield
        seconds = time.perf_counter() - started
        self.phases.append(
            PhaseFigures(name, seconds, self.answers, seconds * 1000 / self.answers, counted)
        )

    @property
    def counted_seconds(self) -> float:
        return sum(phase.seconds for phase in self.phases if phase.counted)

    def table(self) -> str:
        rows = [f"{'phase':<30}{'seconds':>10}{'ms/answer':>12}"]
        for phase in self.phases:
            mark = "" if phase.counted else "  (not counted)"
            rows.append(f"{phase.name:<30}{phase.seconds:>10.1f}{phase.ms_per_answer:>12.2f}{mark}")
        rows.append(f"{'total (counted phases)':<30}{self.counted_seconds:>10.1f}")
        rows.append(f"load average before {self.load_before}, after {self.load_after}")
        return "\n".join(rows)


def _context(position: int) -> ProofContext:
    return ProofContext(FINGERPRINT, ("mix", position, "question", 0))


def _encrypt_answers(
    key: PublicKey, count: int, seed: int
) -> tuple[list[tuple[int, ...]], list[Answer]]:
    rng = random.Random(seed)  # simulated choices (grades 0..4), not cryptography
    plaintexts = [tuple(rng.randrange(WIDTH) for _ in range(WIDTH)) for _ in range(count)]
    answers = [tuple(encrypt(key, value).ciphertext for value in row) for row in plaintexts]
    return plaintexts, answers


def _decrypted_multiset(
    secret: SecretKey, answers: Sequence[Answer]
) -> Counter[tuple[object, ...]]:
    return Counter(
        tuple(decrypt_to_element(secret, component).value for component in answer)
        for answer in answers
    )


def run_mix_scale(answers: int, group_name: str, seed: int) -> MixScaleReport:
    group = group_by_name(group_name)
    report = MixScaleReport(answers, WIDTH, MIXES, group_name, os.getloadavg())
    secret, key = generate_keypair(group)
    with report.phase("encrypt (voters)", counted=False):
        plaintexts, inputs = _encrypt_answers(key, answers, seed)
    with report.phase("generators h_0..h_N", counted=False):
        shuffle_generators(group, answers)
    lists: list[Sequence[Answer]] = [inputs]
    proofs: list[ShuffleProof] = []
    for position in range(1, MIXES + 1):
        with report.phase(f"mix {position}: shuffle"):
            shuffled = shuffle(key, lists[-1])
        with report.phase(f"mix {position}: prove"):
            proofs.append(prove_shuffle(key, _context(position), lists[-1], shuffled))
        lists.append(shuffled.outputs)
    for position in range(1, MIXES + 1):
        with report.phase(f"mix {position}: check"):
            check_shuffle(
                key, _context(position), lists[position - 1], lists[position], proofs[position - 1]
            )
    with report.phase("decrypt and compare", counted=False):
        expected = Counter(
            tuple(group.base_exp(value).value for value in row) for row in plaintexts
        )
        if _decrypted_multiset(secret, lists[-1]) != expected:
            raise RuntimeError("the mixed answers do not decrypt to the encrypted ones")
    report.load_after = os.getloadavg()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mix_scale", description=__doc__)
    parser.add_argument("--answers", type=int, default=10_000)
    parser.add_argument("--group", default="ed25519", choices=["ed25519", "modp4096"])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    report = run_mix_scale(args.answers, args.group, args.seed)
    print_report(report, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
