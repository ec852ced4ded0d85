"""The booth in headless Chromium on ``evote serve`` with an election of every question kind
(single choice with and without blank, approval, score with and without a total, budgets with
and without a count of projects, grades, rankings by Schulze and by STV:
tests/booth/test_interop.py's), beyond the demo's two: the rules' messages (overvote, points
over the total, an option left ungraded, two options with one rank, a gap in the ranks), an
audit published and a cast whose receipt the page verifies. The tally of grades and rankings
(the mixnet's) is not this test's: the cast ballot accepted by the board is."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from evote.board.board import Board
from evote.cli.workspace import BOARD_FILE, BOARD_KEY_FILE, ElectionDir, write_secret
from tests.booth import test_interop as interop
from tests.browser.booth import Demo, enter_code, open_booth, running, seal, shot, tick, visible

ELECTION = "booth-interop"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    data = tmp_path_factory.mktemp("booth-every-kind")
    setup = interop._setup("ed25519")
    with Board(str(data / BOARD_FILE), interop.BOARD_KEY) as board:
        board.setup(setup.election, setup.ceremony)
        board.open_election(ELECTION)
    key_file = write_secret(data / BOARD_KEY_FILE,
                            ElectionDir.signing_key_bytes(interop.BOARD_KEY))  # fmt: skip
    yield from running(data, setup.codes, "--database", data / BOARD_FILE, "--board-key", key_file)


def test_every_question_kind_its_rules_an_audit_and_a_cast(
    served: Demo, booth: Any, screenshot_dir: Path
) -> None:
    api = f"{served.base}/api/v1/elections/{ELECTION}"
    before = served.head(ELECTION)
    open_booth(booth, served.base, "en", ELECTION)
    enter_code(booth, served.codes[0])
    tick(booth, "option-ref-yes", "option-mayor-bob", "option-wide-c3", "option-budget-p0",
         "option-plain-budget-p1", *(f"option-council-{o}" for o in "abcd"))  # fmt: skip
    booth.fill("[data-testid='score-rate-x']", "5")
    booth.fill("[data-testid='score-rate-y']", "4")
    booth.fill("[data-testid='score-grade-u']", "17")
    booth.click("#choose-submit")
    assert booth.text_content("#choose-error") == "“Council”: too many choices (4); at most 3."
    tick(booth, "option-council-d")
    booth.click("#choose-submit")
    assert booth.text_content("#choose-error") == "“Rate”: 9 points given, at most 8."
    shot(booth, screenshot_dir, "every-kind-error-over-total")
    booth.fill("[data-testid='score-rate-y']", "3")
    booth.click("#choose-submit")
    assert booth.text_content("#choose-error") == (
        "“Jury”: “ann” has no grade; every option must be graded."
    )
    # Keyboard users land on the option to grade.
    assert booth.evaluate("document.activeElement.dataset.testid") == "grade-jury-ann-very-good"
    tick(booth, "grade-jury-ann-good", "grade-jury-bob-very-good", "grade-jury-cyd-reject")
    rank(booth, "board", c="1", a="1")
    booth.click("#choose-submit")
    assert booth.text_content("#choose-error") == (
        "“Board”: “a” and “c” both have rank 1; each rank goes to one option only."
    )
    rank(booth, "board", a="3")
    booth.click("#choose-submit")
    assert booth.text_content("#choose-error") == (
        "“Board”: rank 2 is missing;"
        " the ranks must follow each other from 1 (1, 2, 3…) with no gap."
    )
    shot(booth, screenshot_dir, "every-kind-error-rank-gap")
    rank(booth, "board", a="2")
    # 16 options: each rank is typed (16 selects of 17 entries would be many).
    rank(booth, "seats", c15="1", c0="2.5")
    booth.click("#choose-submit")
    assert booth.text_content("#choose-error") == (
        "“Seats”: the rank of “c0” must be a whole number from 1 to 16, or left empty."
    )
    assert booth.evaluate("document.activeElement.dataset.testid") == "rank-seats-c0"
    rank(booth, "seats", c0="2")
    assert served.head(ELECTION) == before
    audited = seal(booth)
    shot(booth, screenshot_dir, "every-kind-sealed")
    booth.click("#sealed-audit")
    visible(booth, "screen-audit")
    assert (booth.text_content("#audit-result") or "").startswith("The audit checks")
    assert booth.text_content("[data-testid='summary-council']") == "a · b · c"
    assert booth.text_content("[data-testid='summary-rate']") == "x: 5 · y: 3 · z: 0"
    assert booth.text_content("[data-testid='summary-jury']") == (
        "ann: good · bob: very-good · cyd: reject"
    )
    assert booth.text_content("[data-testid='summary-board']") == "1. c · 2. a"
    assert booth.text_content("[data-testid='summary-seats']") == "1. c15 · 2. c0"
    booth.wait_for_selector("#audit-board[data-published='true']")
    shot(booth, screenshot_dir, "every-kind-audit")
    booth.click("#audit-restart")
    visible(booth, "screen-choose")
    # The choices are kept for the second ballot; this one ranks nothing on "Board".
    assert booth.input_value("[data-testid='rank-board-a']") == "2"
    rank(booth, "board", a="0", c="0")
    cast = seal(booth)
    booth.click("#sealed-cast")
    visible(booth, "screen-receipt")
    assert booth.is_visible("#receipt-verified")
    assert booth.text_content("#receipt-position") == str(before[0] + 2)
    with httpx.Client(timeout=60) as client:
        assert client.get(f"{api}/ballots/{audited}").json()["status"] == "spoiled"
        assert client.get(f"{api}/ballots/{cast}").json()["status"] == "counted"


def test_grades_and_ranking_in_french(served: Demo, booth: Any) -> None:
    """The controls' texts and the messages in French; nothing is cast."""
    before = served.head(ELECTION)
    open_booth(booth, served.base, "fr", ELECTION)
    enter_code(booth, served.codes[1])
    assert booth.text_content("[data-testid='question-jury'] .help") == (
        "Donnez une mention à chaque option, de « very-good (fr) é » (la meilleure)"
        " à « reject (fr) é » (la moins bonne)."
    )
    assert booth.text_content("[data-testid='rank-board-a'] option[value='0']") == "non classée"
    assert booth.text_content("[data-testid='rank-board-a'] option[value='2']") == "rang 2"
    tick(booth, "option-ref-no", "option-mayor-bob", "option-council-a", "option-budget-p0")
    rank(booth, "board", b="2", d="2")
    booth.click("#choose-submit")
    assert booth.text_content("#choose-error") == (
        "« Board (fr) é » : « b (fr) é » et « d (fr) é » ont toutes deux le rang 2 ;"
        " chaque rang ne va qu’à une option."
    )
    # The focus is on the second option of the tie; the keyboard alone changes its rank.
    assert booth.evaluate("document.activeElement.dataset.testid") == "rank-board-d"
    booth.keyboard.press("ArrowUp")
    assert booth.input_value("[data-testid='rank-board-d']") == "1"
    booth.click("#choose-submit")
    assert booth.text_content("#choose-error") == (
        "« Jury (fr) é » : « ann (fr) é » n’a pas de mention ; chaque option doit en recevoir une."
    )
    assert served.head(ELECTION) == before


def rank(page: Any, question: str, **ranks: str) -> None:
    """Set the ranks of ``question``'s options ("0": not ranked): chosen in a select, or typed
    when the question has more than 10 options."""
    for option, value in ranks.items():
        selector = f"[data-testid='rank-{question}-{option}']"
        if page.eval_on_selector(selector, "field => field.tagName") == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)
