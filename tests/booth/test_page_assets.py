"""The booth page's shipped assets (evote/service/static/booth/) keep to the service's CSP.

`evote serve` sends `Content-Security-Policy: default-src 'self'`: no inline script or style,
no style attribute, no resource from elsewhere. The assets are package data, built from
booth/page and booth/src by `npm run build` (.ci/run checks they are what the sources build to).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from importlib.resources import files

STATIC = files("evote") / "service" / "static" / "booth"


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline_script = False
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_script = True


def _page() -> _Collector:
    collector = _Collector()
    collector.feed(STATIC.joinpath("index.html").read_text("utf-8"))
    return collector


def test_the_three_assets_ship_with_the_package() -> None:
    for name in ("index.html", "booth.js", "booth.css"):
        assert STATIC.joinpath(name).is_file(), name


def test_the_page_has_no_inline_script_nor_style() -> None:
    page = _page()
    assert not page.inline_script
    assert all(tag != "style" for tag, _ in page.tags)
    assert all("style" not in attrs for _, attrs in page.tags)
    assert all(not name.startswith("on") for _, attrs in page.tags for name in attrs)
    scripts = [attrs for tag, attrs in page.tags if tag == "script"]
    assert scripts == [{"type": "module", "src": "/static/booth/booth.js"}]
    sheets = [attrs["href"] for tag, attrs in page.tags if tag == "link"]
    assert sheets == ["/static/booth/booth.css"]


def test_the_page_declares_its_language_and_labels_its_code_field() -> None:
    page = _page()
    html = next(attrs for tag, attrs in page.tags if tag == "html")
    assert html.get("lang") == "fr"
    labels = {attrs.get("for") for tag, attrs in page.tags if tag == "label"}
    assert "credential-code" in labels
    live = {attrs.get("id") for _, attrs in page.tags if attrs.get("role") in ("alert", "status")}
    assert {"error", "status", "code-error", "choose-error", "sealed-error"} <= live


def test_the_script_loads_nothing_from_elsewhere() -> None:
    script = STATIC.joinpath("booth.js").read_text("utf-8")
    assert not re.search(
        r"https?://(?!www\.w3\.org)[a-z0-9.-]+\.[a-z]{2,}/", script.split("/*!")[0]
    )
    assert "eval(" not in script and "new Function" not in script
