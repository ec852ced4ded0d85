"""The results pages in a real browser (headless Chromium, skipped where it is not installed).

A copy of each static results page loads a test-only probe (tests/pages/browser/probe.js) that
measures in the browser's own layout what a parser cannot see: every chart's figures as
drawn, text inside its chart, WCAG 2.1 AA contrast of every text and bar (4.5:1 and 3:1), and
nothing wider than a 360-pixel phone screen but the scrollable tables. Screenshots are saved in
the test's folder, or in $EVOTE_SCREENSHOTS when set.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from evote.ballots.manifest import Option
from evote.pages.html import static_results_files
from evote.pages.i18n import number
from evote.pages.view import ElectionView
from tests.browser.conftest import CHROMIUM_FLAGS
from tests.pages.conftest import Demo, chart_values

PROBE = Path(__file__).parent / "browser"
BROWSER = next(
    (found for name in ("chromium", "chromium-browser", "google-chrome")
     if (found := shutil.which(name))),
    None,
)  # fmt: skip

#: CI sets EVOTE_REQUIRE_BROWSER (tests/browser/conftest.py): there a missing browser fails.
REQUIRED = os.environ.get("EVOTE_REQUIRE_BROWSER", "") not in ("", "0", "false")
pytestmark = pytest.mark.skipif(BROWSER is None and not REQUIRED, reason="no Chromium installed")


def chromium(*args: str) -> str:
    if BROWSER is None:
        pytest.fail("EVOTE_REQUIRE_BROWSER is set but no Chromium is installed")
    done = subprocess.run(
        [BROWSER, *CHROMIUM_FLAGS, "--hide-scrollbars", *args],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class ProbeReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.probe: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            value = dict(attrs).get("data-probe")
            if value is not None:
                self.probe = json.loads(value)


def probe(site: Path, page: str) -> dict[str, Any]:
    """Load ``page`` with the probe in a 360-pixel layout; the probe's findings."""
    for name in ("probe.js", "probe.css"):
        shutil.copy(PROBE / name, site / name)
    html = (site / page).read_text(encoding="utf-8")
    probed = site / f"probe-{page}"
    probed.write_text(
        html.replace("</head>", '<link rel="stylesheet" href="probe.css">\n</head>').replace(
            "</body>", '<script src="probe.js"></script>\n</body>'
        ),
        encoding="utf-8",
    )
    reader = ProbeReader()
    reader.feed(chromium("--window-size=500,3000", "--dump-dom", probed.as_uri()))
    assert reader.probe is not None, "the probe did not run"
    return reader.probe


def screenshots() -> Path | None:
    folder = os.environ.get("EVOTE_SCREENSHOTS")
    return None if folder is None else Path(folder)


def write_site(view: ElectionView, site: Path) -> None:
    site.mkdir(parents=True, exist_ok=True)
    for name, data in static_results_files(view, "record.tar.gz").items():
        (site / name).write_bytes(data)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_results_page_in_a_browser(demo: Demo, tmp_path: Path, lang: str) -> None:
    site = tmp_path / "site"
    write_site(demo.view, site)
    found = probe(site, f"results.{lang}.html")
    assert found["phone"] == 360
    assert found["contrast"] == []
    assert found["overflow"] == []
    assert found["outside"] == []
    drawn = [[int(value) for value, _ in chart] for chart in found["marks"]]
    assert drawn[: len(chart_values(demo.view.result))] == chart_values(demo.view.result)
    for chart in found["marks"]:
        for value, text in chart:
            assert text.startswith(number(lang, int(value)))
    shots = screenshots() or tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    for width, name in ((500, "phone"), (1100, "desktop")):
        shot = shots / f"results-{lang}-{name}.png"
        chromium(f"--window-size={width},3000", f"--screenshot={shot}",
                 (site / f"results.{lang}.html").as_uri())  # fmt: skip
        assert shot.stat().st_size > 10_000


def test_long_labels_stay_inside_their_chart(demo: Demo, tmp_path: Path) -> None:
    manifest = demo.view.manifest
    question = manifest.questions[1]
    long = "Réaménagement complet des berges et des quais " * 6
    options = tuple(
        Option(option.id, {"en": long, "fr": long}, option.cost) for option in question.options
    )
    view = replace(
        demo.view,
        manifest=replace(manifest, questions=(manifest.questions[0], replace(question,
                                                                              options=options))),
    )  # fmt: skip
    site = tmp_path / "site"
    write_site(view, site)
    found = probe(site, "results.fr.html")
    assert found["overflow"] == [] and found["outside"] == []
