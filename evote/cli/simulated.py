"""Simulated voters for ``evote demo``: a random valid selection for every question of a manifest.

One function per question kind returns what :meth:`PlaintextBallot.from_selection` takes for
that kind (``None`` for a blank vote). The choices are drawn from a seeded
:class:`random.Random`: they simulate voters, they are not cryptography. Every selection
follows the manifest's rules, so every simulated ballot is accepted by the board.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, Final

from evote.ballots.manifest import (
    ApprovalQuestion,
    BudgetQuestion,
    GradesQuestion,
    Manifest,
    Question,
    RankingQuestion,
    ScoreQuestion,
    SingleChoiceQuestion,
)
from evote.ballots.plaintext import Selection
from evote.errors import InvalidInput

#: How often a voter votes blank where the question allows it.
BLANK_SHARE: Final = 0.05
#: Random draws a budget question may take before the demo gives up on it.
_BUDGET_ATTEMPTS: Final = 200


def random_single(question: SingleChoiceQuestion, rng: random.Random) -> Selection:
    """One option, uniformly; blank now and then where allowed."""
    if question.blank_allowed and rng.random() < BLANK_SHARE:
        return None
    return [rng.choice(question.option_ids)]


def random_approval(question: ApprovalQuestion, rng: random.Random) -> Selection:
    """Between ``minimum`` and ``maximum`` options, uniformly in number then in choice."""
    if question.blank_allowed and rng.random() < BLANK_SHARE:
        return None
    count = rng.randint(question.minimum, question.maximum)
    return rng.sample(question.option_ids, k=count)


def random_score(question: ScoreQuestion, rng: random.Random) -> Selection:
    """A score per option in [0, max_score], lowered at random until within ``max_total``."""
    scores = {option_id: rng.randint(0, question.max_score) for option_id in question.option_ids}
    if question.max_total is not None:
        while sum(scores.values()) > question.max_total:
            scored = [option_id for option_id, score in scores.items() if score]
            scores[rng.choice(scored)] -= 1
    return scores


def random_budget(question: BudgetQuestion, rng: random.Random) -> Selection:
    """Projects taken in a random order, each with probability one half while it fits.

    Draws again until the spend reaches ``min_spend`` and the number of projects is allowed;
    the manifest's own check made sure that such a choice exists, but a random walk may not
    find a rare one: the demo then says so.
    """
    low, high = question.count_range or (0, len(question.options))
    for attempt in range(_BUDGET_ATTEMPTS):
        # Later attempts take every project that fits: they reach a high min_spend.
        keep = 0.5 if attempt < _BUDGET_ATTEMPTS // 2 else 1.0
        chosen: list[str] = []
        spent = 0
        for option in rng.sample(question.options, k=len(question.options)):
            cost = option.cost or 0
            if len(chosen) < high and spent + cost <= question.budget and rng.random() < keep:
                chosen.append(option.id)
                spent += cost
        if len(chosen) >= low and spent >= question.min_spend:
            return chosen
    raise InvalidInput(
        f"question {question.id!r}: the demo's simulated voters found no valid choice of"
        f" projects in {_BUDGET_ATTEMPTS} random draws (min_spend {question.min_spend},"
        f" budget {question.budget}); the demo cannot run this manifest"
    )


def random_grades(question: GradesQuestion, rng: random.Random) -> Selection:
    """A grade for every option (a grades question has no blank: every option is graded)."""
    return {option_id: rng.choice(question.grade_ids) for option_id in question.option_ids}


def random_ranking(question: RankingQuestion, rng: random.Random) -> Selection:
    """Some of the options, most preferred first: all of them mostly, fewer now and then
    (a partial ranking), none at times (valid: no preference, or for STV not counted)."""
    count = len(question.options) if rng.random() < 0.5 else rng.randint(0, len(question.options))
    return rng.sample(question.option_ids, k=count)


_BY_KIND: Final[dict[type[Any], Callable[[Any, random.Random], Selection]]] = {
    SingleChoiceQuestion: random_single,
    ApprovalQuestion: random_approval,
    ScoreQuestion: random_score,
    BudgetQuestion: random_budget,
    GradesQuestion: random_grades,
    RankingQuestion: random_ranking,
}


def random_selection(manifest: Manifest, rng: random.Random) -> dict[str, Selection]:
    """A simulated voter's valid selection for every question of ``manifest``."""
    return {question.id: _random_answer(question, rng) for question in manifest.questions}


def _random_answer(question: Question, rng: random.Random) -> Selection:
    draw = _BY_KIND.get(type(question))
    if draw is None:
        raise InvalidInput(
            f"question {question.id!r}: the demo cannot simulate voters for kind {question.kind!s}"
        )
    return draw(question, rng)
