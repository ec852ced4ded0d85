"""The booth in headless Chromium on a real ``evote serve --demo`` whose answers go wrong: a
voter-kit altered on the way (the page recomputes the fingerprint, docs/spec.md 6.3, and
refuses it), and a service that stops answering before the cast (a clear message, nothing
cast). Its own server, since the last test stops it (file order: ``--dist loadfile``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evote.cli.demo import ELECTION_ID
from tests.browser.booth import Demo, demo_server, enter_code, open_booth, seal, shot, tick


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    yield from demo_server(tmp_path_factory.mktemp("booth-unreachable") / "data", voters=2)


def test_a_tampered_voter_kit_is_refused(demo: Demo, booth: Any, screenshot_dir: Path) -> None:
    def swap_the_options(route: Any) -> None:
        kit = route.fetch().json()
        kit["manifest"]["questions"][0]["options"].reverse()  # "yes" would count as "no"
        route.fulfill(json=kit)

    booth.route(f"**/api/v1/elections/{ELECTION_ID}/voter-kit", swap_the_options)
    booth.goto(f"{demo.base}/elections/{ELECTION_ID}?lang=en")
    booth.wait_for_selector("#error:not([hidden])")
    error = booth.text_content("#error") or ""
    assert error.startswith("This election cannot be loaded")
    assert "fingerprint does not match" in error
    assert booth.is_hidden("#screen-code") and booth.is_hidden("#screen-choose")
    shot(booth, screenshot_dir, "error-tampered-kit")


def test_a_service_that_stops_answering_casts_nothing(
    demo: Demo, booth: Any, screenshot_dir: Path
) -> None:
    before = demo.head()
    open_booth(booth, demo.base, "fr")
    enter_code(booth, demo.codes[1])
    tick(booth, "blank-tram-north", "option-budget-2027-school-gardens")
    tracking_code = seal(booth)
    demo.server.stop()
    booth.click("#sealed-cast")
    booth.wait_for_selector("#sealed-error:not([hidden])")
    message = booth.text_content("#sealed-error") or ""
    assert "injoignable" in message and "Rien n’a été déposé" in message
    assert booth.is_visible("#screen-sealed")
    assert booth.text_content("#sealed-tracking-code") == tracking_code
    shot(booth, screenshot_dir, "error-unreachable")
    assert demo.head() == before
