"""The served demo's public pages in headless Chromium: a real ``evote serve --demo`` process.

Ballots are cast with the library over HTTP; the status page shows them; ``evote serve --demo
--close-and-tally`` publishes the result and the running service's results page shows every
question's numbers, in French and English, as the board's result entry says. The checkpoint
files downloaded from the pages' links pin the record ``evote verify`` checks, and the open
data's ``datapackage.json`` validates against its published profile.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from evote.ballots.encrypted import encrypt_ballot
from evote.ballots.plaintext import PlaintextBallot
from evote.board.board import Board
from evote.cli.demo import CODES_FILE, ELECTION_ID, random_choices
from evote.pages.i18n import number, word
from evote.tally.result import ElectionResult
from evote.tally.wire import result_from_json
from tests.cli.test_workflow import ok
from tests.pages.conftest import chart_values
from tests.pages.test_opendata import SCHEMA_PATH, schema_of, table_errors
from tests.service.test_end_to_end import Server

VOTERS = 4
#: Voter 0 votes twice: four ballot entries, three counted.
CASTS = (0, 1, 2, 0)
API = f"/api/v1/elections/{ELECTION_ID}"
PAGES = f"/elections/{ELECTION_ID}"


@dataclass(frozen=True)
class Demo:
    server: Server
    data: Path
    client: httpx.Client

    def url(self, path: str) -> str:
        return self.server.base + path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The served demo with :data:`CASTS` cast over HTTP (one server for the module)."""
    data = tmp_path_factory.mktemp("served-demo")
    server = Server("--demo", "--data", data, "--demo-voters", str(VOTERS),
                    "--cast-rate", "0", "--lookup-rate", "0")  # fmt: skip
    try:
        with httpx.Client(timeout=60) as client:
            server.wait_ready(client)
            with Board(str(data / "board.sqlite")) as board:
                election = board.load_election(ELECTION_ID)
            codes = (data / CODES_FILE).read_text().split()
            rng = random.Random(7)
            for voter in CASTS:
                choices = PlaintextBallot.from_selection(election.manifest, random_choices(rng))
                ballot = encrypt_ballot(election, codes[voter], choices)
                posted = client.post(server.base + f"{API}/ballots",
                                     content=ballot.canonical_bytes(),
                                     headers={"content-type": "application/json"})  # fmt: skip
                assert posted.status_code == 201, posted.text
            yield Demo(server, data, client)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def tallied(demo: Demo) -> ElectionResult:
    """The demo closed and tallied by the command, while the service runs; the result entry."""
    out = ok("serve", "--demo", "--data", demo.data, "--close-and-tally")
    assert "closed and tallied" in out
    response = demo.client.get(demo.url(f"{API}/result"))
    assert response.status_code == 200
    return result_from_json(response.content)


def download(page: Any, target: Path) -> Path:
    """Click the page's checkpoint download link; the file saved at ``target``."""
    with page.expect_download() as info:
        page.click('a.download[download="checkpoint.json"]')
    info.value.save_as(target)
    return target


def dd_after(page: Any, term: str) -> str:
    """The text of the description that follows the term ``term`` (exactly) on the page."""
    exactly = re.compile("^" + re.escape(term) + "$")
    found = page.locator("dt").filter(has_text=exactly)
    assert found.count() == 1, term
    return str(found.locator("xpath=following-sibling::dd[1]").inner_text())


def test_the_status_page_shows_the_ballots_cast(
    demo: Demo, page: Any, screenshot_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    page.goto(demo.url(f"{PAGES}/status?lang=en"))
    assert page.locator("html").get_attribute("lang") == "en"
    shown = dd_after(page, word("en", "ballots_cast"))
    assert shown == str(len(CASTS))
    assert page.locator(f'a[href="{PAGES}"]').count() == 1  # the booth, while open
    page.screenshot(path=str(screenshot_dir / "served-status-en.png"), full_page=True)
    # Kept for the auditor's check after the tally: the board then must extend it.
    folder = tmp_path_factory.getbasetemp() / "served-status-checkpoint"
    folder.mkdir(exist_ok=True)
    download(page, folder / "checkpoint.json")


def shown_counts(page: Any) -> list[list[str]]:
    """Every question's table: the votes column, as shown."""
    tables = []
    for section in page.locator("section.question").all():
        rows = section.locator("table").first.locator("tbody tr").all()
        tables.append([row.locator("td").first.inner_text() for row in rows])
    return tables


def drawn_values(page: Any) -> list[list[int]]:
    """Every question's first chart: the value of each mark."""
    charts = []
    for section in page.locator("section.question").all():
        marks = section.locator("svg.chart").first.locator("g.mark").all()
        charts.append([int(mark.get_attribute("data-value")) for mark in marks])
    return charts


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_results_page_shows_the_result_entry_s_numbers(
    demo: Demo, tallied: ElectionResult, page: Any, screenshot_dir: Path, lang: str
) -> None:
    response = page.goto(demo.url(f"{PAGES}/results?lang={lang}"))
    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == lang
    assert tallied.turnout.ballots == len(set(CASTS))
    assert dd_after(page, word(lang, "ballots_counted")) == number(lang, tallied.turnout.ballots)
    assert dd_after(page, word(lang, "total_weight")) == number(lang, tallied.turnout.weight)
    expected = chart_values(tallied)
    assert drawn_values(page) == expected
    assert shown_counts(page) == [[number(lang, value) for value in row] for row in expected]
    for width, name in ((390, "phone"), (1100, "desktop")):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(screenshot_dir / f"served-results-{lang}-{name}.png"),
                        full_page=True)  # fmt: skip


def test_the_pages_checkpoints_pin_the_record_that_verifies(
    demo: Demo, tallied: ElectionResult, page: Any, tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:  # fmt: skip
    page.goto(demo.url(f"{PAGES}/results?lang=en"))
    final = download(page, tmp_path / "checkpoint.json")
    record = tmp_path / "record.tar.gz"
    record.write_bytes(demo.client.get(demo.url(f"{API}/record")).content)
    fingerprint = demo.client.get(demo.url(API)).json()["fingerprint"]
    checkpoints = ["--checkpoint", final]
    earlier = tmp_path_factory.getbasetemp() / "served-status-checkpoint" / "checkpoint.json"
    if earlier.is_file():  # saved by the status page's test, before the tally
        checkpoints += ["--checkpoint", earlier]
    ok("verify", record, "--complete", "--fingerprint", fingerprint, *checkpoints)


def test_the_open_data_package_validates(demo: Demo, tallied: ElectionResult) -> None:
    base = demo.url(f"{PAGES}/open-data/")
    files = {name: demo.client.get(base + name).content
             for name in ("datapackage.json", "results.csv", "turnout.csv")}  # fmt: skip
    package = json.loads(files["datapackage.json"])
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert list(jsonschema.Draft7Validator(schema).iter_errors(package)) == []
    for name in ("results.csv", "turnout.csv"):
        assert table_errors(files[name], schema_of(files, name)) == [], name
    dcat = demo.client.get(base + "dcat.jsonld").text
    assert f"{base}results.csv" in dcat  # the request's own address
