"""Hypothesis strategies for plaintext answers, and a forger for crafted ballots."""

from __future__ import annotations

from hypothesis import strategies as st

from evote import jsonstrict
from evote.ballots.credentials import credential_keypair
from evote.ballots.encrypted import (
    EncryptedBallot,
    EncryptedOption,
    EncryptedQuestion,
    _unsigned_obj,
)
from evote.ballots.manifest import Question, RankingQuestion
from evote.ballots.plaintext import Answer, check_answer
from evote.ballots.signature import sign_message
from evote.election import Election
from evote.errors import InvalidBallot


@st.composite
def any_answer(draw: st.DrawFn, question: Question) -> Answer:
    """Any answer with values in [0, M] (valid or not)."""
    values = tuple(
        draw(st.integers(0, question.option_maximum)) for _ in range(len(question.options))
    )
    if question.blank_allowed and draw(st.booleans()):
        return Answer((0,) * len(values), blank=True)
    return Answer(values)


@st.composite
def valid_answer(draw: st.DrawFn, question: Question) -> Answer:
    """A valid answer: a random subset or scores, repaired until the rules hold."""
    count = len(question.options)
    if isinstance(question, RankingQuestion):
        # A proper ranking: a random order of the options, cut after the first k (k may be 0).
        order = draw(st.permutations(range(count)))
        ranks = [0] * count
        for rank, option in enumerate(order[: draw(st.integers(0, count))], start=1):
            ranks[option] = rank
        return Answer(tuple(ranks))
    if question.blank_allowed and draw(st.integers(0, 4)) == 0:
        return Answer((0,) * count, blank=True)
    order = draw(st.permutations(range(count)))
    values = [0] * count
    chosen = draw(st.integers(0, count))
    for index in order[:chosen]:
        values[index] = draw(st.integers(1, question.option_maximum))
    # Remove choices until the answer follows the rules (an overvote, an over-budget spend),
    # then add until it does (an undervote, an under-spend).
    for index in [*order[:chosen][::-1], *order[chosen:]]:
        try:
            check_answer(question, Answer(tuple(values)))
            break
        except InvalidBallot:
            values[index] = 0 if values[index] else 1
    check_answer(question, Answer(tuple(values)))
    return Answer(tuple(values))


def resign(
    election: Election,
    code: str,
    ballot: EncryptedBallot,
    questions: tuple[EncryptedQuestion, ...] | None = None,
) -> EncryptedBallot:
    """What a voter (or an attacker holding a code) can do: sign any questions with it."""
    group = election.group
    secret, public = credential_keypair(group, election.election_id, code)
    questions = ballot.questions if questions is None else questions
    message = jsonstrict.dumps(
        _unsigned_obj(ballot.election_id, ballot.fingerprint, public, questions)
    )
    signature = sign_message(group, secret, public, ballot.fingerprint, message)
    return EncryptedBallot(ballot.election_id, ballot.fingerprint, public, questions, signature)


__all__ = ["EncryptedOption", "any_answer", "resign", "valid_answer"]
