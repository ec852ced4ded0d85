"""Fixtures for the tests that drive a real browser: Debian's Chromium through Playwright.

Playwright's Python API drives the browser the machine already has (``/usr/bin/chromium``, or
the one ``EVOTE_CHROMIUM`` names); Playwright's own browser download is never used, so the tests
run on a machine with no access to a browser vendor's servers. ``.ci/run`` installs Debian's
chromium and sets ``EVOTE_REQUIRE_BROWSER=1``, which turns a missing browser into a failure
instead of a skip: CI must run these tests, a developer's laptop may not have a browser.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.booth import watch

#: Flags for a headless Chromium on a machine with no outside network: without the
#: background-networking flags Chromium keeps trying to reach its vendor's servers.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def _chromium_path() -> str | None:
    named = os.environ.get("EVOTE_CHROMIUM", "").strip()
    if named:
        return named
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _unavailable(reason: str) -> None:
    if os.environ.get("EVOTE_REQUIRE_BROWSER", "") not in ("", "0", "false"):
        pytest.fail(f"EVOTE_REQUIRE_BROWSER is set but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """A headless Chromium browser, shared by the whole test session (one process per worker)."""
    executable = _chromium_path()
    if executable is None:
        _unavailable("no chromium on PATH (apt-get install chromium, or set EVOTE_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415 (optional dev tool)
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        # Playwright adds its own headless flag.
        flags = [flag for flag in CHROMIUM_FLAGS if not flag.startswith("--headless")]
        browser = playwright.chromium.launch(executable_path=executable, args=flags)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A fresh page (its own context: no cookies or storage shared between tests)."""
    context = chromium.new_context(viewport={"width": 1024, "height": 800})
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def booth(page: Any) -> Iterator[Any]:
    """A fresh page for the booth; the test fails if the page raised a script error or broke
    its Content-Security-Policy meanwhile."""
    faults = watch(page)
    yield page
    assert faults == [], faults


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the browser tests save their screenshots: ``EVOTE_SCREENSHOT_DIR`` or a temp dir."""
    named = os.environ.get("EVOTE_SCREENSHOT_DIR", "").strip()
    directory = Path(named) if named else tmp_path_factory.mktemp("screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory
