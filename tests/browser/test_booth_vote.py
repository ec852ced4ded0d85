"""The voter's booth in headless Chromium on a real ``evote serve --demo`` process.

The whole vote as a voter makes it: a code from demo-codes.txt, choices, an audit (the page
shows what it encrypted and the board publishes the spoiled ballot, docs/spec.md 6.7 and
10.3), a new encryption and a cast, the signed receipt checked by the page against the board
key and downloaded; then, through the API, the tracking code counted and the audited one
spoiled; then the election closed on the demo's database, its record exported and verified
by ``evote verify``. Bad input first: a mistyped code, an overvote, a budget overspent, each a
clear message and nothing on the board. The HTTP contract is docs/service.md's. A screenshot
of each screen goes to the session's screenshot directory.

The tests run in file order on one server (``--dist loadfile`` keeps a file on one worker):
the last one closes the election.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from evote.board.board import Board
from evote.board.receipt import Receipt, check_receipt_signature
from evote.cli.demo import ELECTION_ID
from evote.record.export import export_record
from evote.service.settings import read_board_key
from tests.browser.booth import Demo, demo_server, enter_code, open_booth, seal, shot, tick, visible
from tests.cli.test_workflow import ok


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    yield from demo_server(tmp_path_factory.mktemp("booth-demo") / "data")


def test_bad_input_gets_a_clear_message_and_casts_nothing(
    demo: Demo, booth: Any, screenshot_dir: Path
) -> None:
    before = demo.head()
    open_booth(booth, demo.base, "en")
    code = demo.codes[1]
    # A mistyped code: one character changed, which the check character catches.
    typo = code[:3] + ("A" if code[3] != "A" else "B") + code[4:]
    booth.fill("#credential-code", typo)
    booth.click("#code-submit")
    assert "check character" in (booth.text_content("#code-error") or "")
    assert booth.get_attribute("#credential-code", "aria-invalid") == "true"
    shot(booth, screenshot_dir, "error-code-mistyped")
    enter_code(booth, code)
    tick(booth, "option-tram-north-yes")
    # An overvote: five projects, four at most (they cost 745, within the budget).
    five = ("school-gardens", "library-sundays", "street-trees", "skate-park", "fountains")
    tick(booth, *(f"option-budget-2027-{project}" for project in five))
    booth.click("#choose-submit")
    assert booth.text_content("#choose-error") == (
        "“Participatory budget (thousand euros)”: too many choices (5); at most 4."
    )
    shot(booth, screenshot_dir, "error-overvote")
    # A budget overspent: four projects costing 1,020.
    tick(booth, "option-budget-2027-school-gardens", "option-budget-2027-fountains",
         "option-budget-2027-bike-lanes")  # fmt: skip
    booth.click("#choose-submit")
    assert booth.text_content("#choose-error") == (
        "“Participatory budget (thousand euros)”: the projects chosen cost 1,020, more than"
        " the budget of 1,000."
    )
    assert booth.is_visible("#screen-choose")
    shot(booth, screenshot_dir, "error-overspent")
    assert demo.head() == before


def test_a_whole_vote_with_an_audit_then_a_cast_and_its_receipt(
    demo: Demo, booth: Any, screenshot_dir: Path
) -> None:
    booth.set_viewport_size({"width": 390, "height": 844})  # a phone's screen
    with httpx.Client(timeout=60) as client:
        summary = client.get(demo.api).json()
    booth.goto(f"{demo.base}/?lang=en")
    visible(booth, "screen-elections")
    shot(booth, screenshot_dir, "1-elections")
    booth.click(f"[data-testid='election-{ELECTION_ID}']")
    visible(booth, "screen-code")
    # The page recomputed the fingerprint from the voter-kit (it refuses a kit that does not
    # make it) and shows it to compare with the announced one.
    assert booth.text_content("#election-fingerprint") == summary["fingerprint"]
    shot(booth, screenshot_dir, "2-code")
    enter_code(booth, demo.codes[0].lower().replace("-", " "))
    assert booth.input_value("#credential-code") == ""
    tick(booth, "option-tram-north-no", "option-budget-2027-bike-lanes",
         "option-budget-2027-street-trees")  # fmt: skip
    shot(booth, screenshot_dir, "3-choose")
    booth.click("#choose-submit")
    visible(booth, "screen-review")
    assert booth.text_content("[data-testid='summary-tram-north']") == "No"
    shot(booth, screenshot_dir, "4-review")
    booth.click("#review-seal")
    visible(booth, "screen-sealed")
    audited = str(booth.text_content("#sealed-tracking-code"))
    shot(booth, screenshot_dir, "5-sealed")

    # The audit: the page shows what it encrypted, and the board publishes it as spoiled.
    booth.click("#sealed-audit")
    visible(booth, "screen-audit")
    assert (booth.text_content("#audit-result") or "").startswith("The audit checks")
    assert booth.text_content("#audit-tracking-code") == audited
    assert booth.text_content("[data-testid='summary-tram-north']") == "No"
    booth.wait_for_selector("#audit-board[data-published='true']")
    assert audited in (booth.text_content("#audit-board") or "")
    shot(booth, screenshot_dir, "6-audit")
    with httpx.Client(timeout=60) as client:
        spoiled = client.get(f"{demo.api}/ballots/{audited}").json()
        assert spoiled["status"] == "spoiled"
        assert client.get(demo.api).json()["spoiled"] == 1

    # A new encryption of other choices, cast.
    booth.click("#audit-restart")
    visible(booth, "screen-choose")
    tick(booth, "option-tram-north-yes")
    cast = seal(booth)
    assert cast != audited
    booth.click("#sealed-cast")
    visible(booth, "screen-receipt")
    assert booth.text_content("#receipt-tracking-code") == cast
    assert booth.is_visible("#receipt-verified")
    assert booth.text_content("#receipt-position") == str(spoiled["position"] + 1)
    with booth.expect_download() as download:
        booth.click("#receipt-download")
    receipt = Receipt.from_json_obj(json.loads(Path(download.value.path()).read_text()))
    shot(booth, screenshot_dir, "7-receipt")
    assert receipt.tracking_code == cast
    check_receipt_signature(receipt, bytes.fromhex(summary["board_key"]))

    with httpx.Client(timeout=60) as client:
        status = client.get(f"{demo.api}/ballots/{cast}").json()
        assert status["status"] == "counted"
        assert status["position"] == receipt.position
        assert client.get(f"{demo.api}/head").json()["position"] == receipt.position


def test_the_closed_election_s_record_verifies(demo: Demo, tmp_path: Path) -> None:
    """The officer closes the election on the demo's board (its own key file), the service
    exports the record, and the auditor's ``evote verify`` accepts it, both ballots in it."""
    with Board(str(demo.database), read_board_key(demo.key_file)) as board:
        board.close_election(ELECTION_ID)
    archive = tmp_path / "record.tar.gz"
    with httpx.Client(timeout=120) as client:
        assert client.get(f"{demo.api}/head").json()["state"] == "closed"
        with client.stream("GET", f"{demo.api}/record") as download:
            assert download.status_code == 200
            with archive.open("wb") as out:
                for chunk in download.iter_bytes():
                    out.write(chunk)
    verified = ok("verify", archive)  # exit status 0, or ok() fails
    assert "record verified" in verified
    with Board(str(demo.database)) as board:
        export_record(board, ELECTION_ID, tmp_path / "exported")
    board_lines = (tmp_path / "exported" / "board.jsonl").read_text().splitlines()
    kinds = [json.loads(line)["kind"] for line in board_lines]
    assert kinds == ["setup", "open", "spoiled", "ballot", "close"]
