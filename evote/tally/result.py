"""The election result from the decrypted counts (docs/spec.md section 9.5).

:func:`compute_result` turns the decrypted counts into a frozen :class:`ElectionResult`: per
question the counts per option, the blank votes where the question allows blank, and the
turnout (counted ballots and their weight); for a budget question also the funded projects
under the manifest's rule (:meth:`BudgetQuestion.winners`: greedy by votes, ties by lower cost
then manifest order, each taken while it fits) and the money they spend.

:func:`check_result` calls :func:`compute_result` on the same counts and compares: one
implementation of the rules, two callers (the tally and the verifier).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

from evote.ballots.manifest import BudgetQuestion, Manifest, QuestionKind
from evote.crypto.groups import Element
from evote.crypto.proofs import ProofContext
from evote.errors import InvalidInput, InvalidResult
from evote.tally.aggregate import EncryptedTally
from evote.tally.decryption import (
    CombinedTally,
    DecryptionShare,
    column_bounds,
    combine_shares,
    solve_counts,
)


@dataclass(frozen=True, slots=True)
class DecryptedCounts:
    """Per question the weighted counts per option, and the blank count (None: no blank)."""

    options: tuple[tuple[int, ...], ...]
    blanks: tuple[int | None, ...]


@dataclass(frozen=True, slots=True)
class Turnout:
    """How many ballots were counted, and their total weight."""

    ballots: int
    weight: int


@dataclass(frozen=True, slots=True)
class QuestionResult:
    """One question's result; ``winners`` and ``spent`` only for a budget question."""

    question_id: str
    kind: QuestionKind
    counts: tuple[tuple[str, int], ...]
    blank: int | None
    turnout: int
    winners: tuple[str, ...] = ()
    spent: int | None = None


@dataclass(frozen=True, slots=True)
class ElectionResult:
    """The result of an election: frozen, recomputable by :func:`check_result`."""

    election_id: str
    turnout: Turnout
    questions: tuple[QuestionResult, ...]

    def question(self, question_id: str) -> QuestionResult:
        for item in self.questions:
            if item.question_id == question_id:
                return item
        raise InvalidInput(f"no question {question_id!r} in the result")


def _check_counts(manifest: Manifest, counts: DecryptedCounts, turnout: Turnout) -> None:
    if type(turnout.ballots) is not int or type(turnout.weight) is not int:
        raise InvalidInput("turnout: ballots and weight must be integers")
    if not 0 <= turnout.ballots <= turnout.weight:
        raise InvalidInput(f"turnout: {turnout.ballots} ballots with total weight {turnout.weight}")
    questions = manifest.questions
    if len(counts.options) != len(questions) or len(counts.blanks) != len(questions):
        raise InvalidInput(f"counts for {len(counts.options)} questions, expected {len(questions)}")
    for q, (question, row, blank) in enumerate(
        zip(questions, counts.options, counts.blanks, strict=True)
    ):
        where = f"question {q} ({question.id})"
        if len(row) != len(question.options):
            raise InvalidInput(f"{where}: {len(row)} counts for {len(question.options)} options")
        bound = turnout.weight * question.option_maximum
        for o, value in enumerate(row):
            if type(value) is not int or not 0 <= value <= bound:
                raise InvalidInput(f"{where} option {o}: count {value!r} outside [0, {bound}]")
        if (blank is not None) != question.blank_allowed:
            raise InvalidInput(
                f"{where}: blank count given where blank is not allowed"
                if blank is not None
                else f"{where}: blank count missing"
            )
        if blank is not None and not 0 <= blank <= turnout.weight:
            raise InvalidInput(f"{where}: blank count {blank} outside [0, {turnout.weight}]")


def compute_result(manifest: Manifest, counts: DecryptedCounts, turnout: Turnout) -> ElectionResult:
    """The result that ``counts`` give under ``manifest``'s rules."""
    _check_counts(manifest, counts, turnout)
    results = []
    for question, row, blank in zip(manifest.questions, counts.options, counts.blanks, strict=True):
        winners: tuple[str, ...] = ()
        spent = None
        if isinstance(question, BudgetQuestion):
            winners = question.winners(row)
            costs = {option.id: option.cost or 0 for option in question.options}
            spent = sum(costs[project] for project in winners)
        results.append(
            QuestionResult(
                question_id=question.id,
                kind=question.kind,
                counts=tuple(zip(question.option_ids, row, strict=True)),
                blank=blank,
                turnout=turnout.weight,
                winners=winners,
                spent=spent,
            )
        )
    return ElectionResult(manifest.election_id, turnout, tuple(results))


def check_result(
    manifest: Manifest, counts: DecryptedCounts, turnout: Turnout, result: ElectionResult
) -> None:
    """Recompute the result with :func:`compute_result`; InvalidResult names what differs."""
    expected = compute_result(manifest, counts, turnout)
    if result == expected:
        return
    if result.election_id != expected.election_id:
        raise InvalidResult(
            f"result: election {result.election_id!r}, expected {expected.election_id!r}"
        )
    if result.turnout != expected.turnout:
        raise InvalidResult(f"result: turnout {result.turnout}, expected {expected.turnout}")
    if len(result.questions) != len(expected.questions):
        raise InvalidResult(
            f"result: {len(result.questions)} questions, expected {len(expected.questions)}"
        )
    for q, (given, wanted) in enumerate(zip(result.questions, expected.questions, strict=True)):
        for item in fields(QuestionResult):
            if getattr(given, item.name) != getattr(wanted, item.name):
                stated, computed = getattr(given, item.name), getattr(wanted, item.name)
                raise InvalidResult(
                    f"result: question {q} ({wanted.question_id}): {item.name} is {stated!r},"
                    f" the counts give {computed!r}"
                )
    raise InvalidResult("result: differs from the one the counts give")


def decrypt_counts(
    manifest: Manifest,
    tally: EncryptedTally,
    shares: Sequence[DecryptionShare],
    threshold: int,
    verification_keys: Mapping[int, Element],
    context: ProofContext,
) -> tuple[DecryptedCounts, CombinedTally]:
    """Combine the shares and solve every count within the bound its question allows.

    The bound of an option is the counted weight times the option's maximum (1, or the maximum
    score); of a blank, the counted weight. Beyond it: TallyOutOfRange naming the question
    and option.
    """
    combined = combine_shares(tally, shares, threshold, verification_keys, context)
    bounds = column_bounds(tally, [q.option_maximum for q in manifest.questions])
    options, blanks = solve_counts(tally, combined, bounds)
    return DecryptedCounts(options, blanks), combined


def turnout_of(tally: EncryptedTally) -> Turnout:
    return Turnout(tally.ballot_count, tally.total_weight)
