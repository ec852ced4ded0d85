"""The booth in headless Chromium on ``evote serve`` with an election of every question kind
(single choice with and without blank, approval, score with and without a total, budgets with
and without a count of projects: tests/booth/test_interop.py's), beyond the demo's two: the
rules' messages (overvote, points over the total), an audit published and a cast whose
receipt the page verifies."""

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
    assert served.head(ELECTION) == before
    audited = seal(booth)
    shot(booth, screenshot_dir, "every-kind-sealed")
    booth.click("#sealed-audit")
    visible(booth, "screen-audit")
    assert (booth.text_content("#audit-result") or "").startswith("The audit checks")
    assert booth.text_content("[data-testid='summary-council']") == "a · b · c"
    assert booth.text_content("[data-testid='summary-rate']") == "x: 5 · y: 3 · z: 0"
    booth.wait_for_selector("#audit-board[data-published='true']")
    shot(booth, screenshot_dir, "every-kind-audit")
    booth.click("#audit-restart")
    visible(booth, "screen-choose")
    cast = seal(booth)
    booth.click("#sealed-cast")
    visible(booth, "screen-receipt")
    assert booth.is_visible("#receipt-verified")
    assert booth.text_content("#receipt-position") == str(before[0] + 2)
    with httpx.Client(timeout=60) as client:
        assert client.get(f"{api}/ballots/{audited}").json()["status"] == "spoiled"
        assert client.get(f"{api}/ballots/{cast}").json()["status"] == "counted"
