"""Every error of evote.errors has a deliberate HTTP status and a well-formed problem."""

from __future__ import annotations

import inspect

import pytest

from evote import errors
from evote.errors import EvoteError
from evote.service.errors import PROBLEM_BASE, problem, slug_of, status_of

#: The status each error of evote.errors is answered with. A new error class fails
#: test_every_error_class_has_a_chosen_status until it is placed here on purpose.
EXPECTED = {
    "EvoteError": 500,
    "InvalidInput": 400,
    "InvalidGroupElement": 400,
    "InvalidScalar": 400,
    "InvalidProof": 400,
    "InvalidSignature": 400,
    "InvalidManifest": 400,
    "InvalidBallot": 400,
    "InvalidCredential": 400,
    "UnknownCredential": 400,
    "DuplicateBallot": 409,
    "ContextMismatch": 400,
    "ElectionNotOpen": 409,
    "CeremonyError": 500,
    "InvalidShare": 500,
    "InsufficientShares": 500,
    "TallyOutOfRange": 500,
    "InvalidKeyFile": 400,
    "InvalidRecord": 500,
    "UnreadableRecord": 500,
    "UnsafeDependency": 500,
    "StorageUnavailable": 503,
    "SchemaVersionMismatch": 503,
    "BoardIntegrityError": 500,
    "BallotNotFound": 404,
    "UnknownElection": 404,
    "InvalidResult": 500,
}

CLASSES = sorted(
    (cls for _, cls in inspect.getmembers(errors, inspect.isclass) if issubclass(cls, EvoteError)),
    key=lambda cls: cls.__name__,
)


def test_every_error_class_has_a_chosen_status() -> None:
    assert {cls.__name__ for cls in CLASSES} == set(EXPECTED)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_the_problem_of_each_error(cls: type[EvoteError]) -> None:
    document = problem(cls("what is wrong, and where"))
    assert document == {
        "type": PROBLEM_BASE + slug_of(cls),
        "title": document["title"],
        "status": EXPECTED[cls.__name__],
        "detail": "what is wrong, and where",
        "error": cls.__name__,
    }
    assert document["title"]
    assert status_of(cls("x")) == EXPECTED[cls.__name__]


def test_slugs_are_kebab_case() -> None:
    assert slug_of(errors.ElectionNotOpen) == "election-not-open"
    assert slug_of(errors.InvalidBallot) == "invalid-ballot"
