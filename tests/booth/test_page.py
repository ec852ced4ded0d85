"""The booth page in headless Chromium, against a stand-in of the HTTP contract.

The stand-in serves the shipped assets (evote/service/static/booth/) with the service's CSP and
the parts of /api/v1 the booth uses (election list and summary, voter-kit, ballot cast) on a
real board (SQLite). The page is driven through Playwright's Python API and the system's
Chromium: a mistyped code, an overvote and an overspent budget are each refused with a clear
message; an audit shows the choices; the cast ballot's receipt verifies; a service that does
not answer casts nothing. The end-to-end test on `evote serve` itself is the service's.
Skipped when Playwright or Chromium is missing, unless EVOTE_REQUIRE_BROWSER is set (CI).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from evote.board.board import Board
from evote.errors import EvoteError
from tests.booth import test_interop as interop

#: Headless Chromium on a machine with no outside network (the flags of tests/browser).
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def _chromium() -> str | None:
    named = os.environ.get("EVOTE_CHROMIUM", "").strip()
    return named or shutil.which("chromium") or shutil.which("chromium-browser")


def _unavailable(reason: str) -> None:
    """Skip, unless CI's EVOTE_REQUIRE_BROWSER makes a missing browser a failure."""
    if os.environ.get("EVOTE_REQUIRE_BROWSER", "") not in ("", "0", "false"):
        pytest.fail(f"EVOTE_REQUIRE_BROWSER is set but {reason}")
    pytest.skip(reason)


STATIC = files("evote") / "service" / "static" / "booth"
CSP = "default-src 'self'"


class _Service:
    """A stand-in of API.md's election endpoints for one open election."""

    def __init__(self, database: Path) -> None:
        setup = interop._setup("ed25519")
        self.election = setup.election
        self.codes = setup.codes
        self.board = Board(f"sqlite:///{database}", interop.BOARD_KEY)
        self.board.setup(self.election, setup.ceremony)
        self.board.open_election(self.election.election_id)
        self.kit = interop._voter_kit(self.election)
        del self.kit["credentials"]  # API.md's voter-kit: election, group, manifest
        self.casts = 0

    def get(self, path: str) -> tuple[int, Any, str]:
        election = self.election
        summary = {
            "election_id": election.election_id,
            "title": election.manifest.title,
            "state": "open",
            "fingerprint": election.fingerprint.hex(),
        }
        if path == "/api/v1/elections":
            return 200, {"elections": [summary]}, "application/json"
        if path == f"/api/v1/elections/{election.election_id}":
            detail = {**summary, "board_key": election.board_key.hex(), "group": "ed25519"}
            return 200, detail, "application/json"
        if path == f"/api/v1/elections/{election.election_id}/voter-kit":
            return 200, self.kit, "application/json"
        return 404, _problem(404, "UnknownElection", f"no such path {path}"), "problem"

    def post(self, path: str, body: bytes) -> tuple[int, Any, str]:
        if path != f"/api/v1/elections/{self.election.election_id}/ballots":
            return 404, _problem(404, "UnknownElection", "no such path"), "problem"
        try:
            receipt = self.board.cast(self.election.election_id, body)
        except EvoteError as error:
            return 400, _problem(400, type(error).__name__, str(error)), "problem"
        self.casts += 1
        return 201, receipt.to_json_obj(), "application/json"


def _problem(status: int, error: str, detail: str) -> dict[str, Any]:
    return {
        "type": "about:blank",
        "title": error,
        "status": status,
        "detail": detail,
        "error": error,
    }


def _handler(service: _Service) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: Any, kind: str) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            content_type = {"problem": "application/problem+json"}.get(kind, kind)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Security-Policy", CSP)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            if path == "/" or path.startswith("/elections/"):
                page = STATIC.joinpath("index.html").read_bytes()
                return self._send(200, page, "text/html; charset=utf-8")
            if path.startswith("/static/booth/"):
                name = path.rsplit("/", 1)[1]
                kind = "text/javascript" if name.endswith(".js") else "text/css"
                return self._send(200, STATIC.joinpath(name).read_bytes(), kind)
            self._send(*service.get(path))

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            self._send(*service.post(self.path, body))

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[_Service, str, ThreadingHTTPServer]]:
    stand_in = _Service(tmp_path / "board.db")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stand_in))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stand_in, f"http://127.0.0.1:{server.server_address[1]}", server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Any]:
    executable = _chromium()
    if executable is None:
        _unavailable("no chromium on PATH (apt-get install chromium, or set EVOTE_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415 (optional dev tool)
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=list(CHROMIUM_FLAGS))
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.set_default_timeout(60_000)
        faults: list[str] = []
        page.on("pageerror", lambda error: faults.append(str(error)))
        page.on(
            "console",
            lambda message: (
                faults.append(message.text)
                if message.type == "error" and "Content Security Policy" in message.text
                else None
            ),
        )
        yield page
        browser.close()
        assert faults == [], faults


def _visible(page: Any, screen: str) -> None:
    page.wait_for_selector(f"#{screen}:not([hidden])")


def test_a_whole_vote_with_an_audit_and_every_refusal(
    service: tuple[_Service, str, ThreadingHTTPServer], page: Any, tmp_path: Path
) -> None:
    stand_in, base, _ = service
    code = stand_in.codes[0]
    page.goto(f"{base}/?lang=en")
    _visible(page, "screen-elections")
    page.click("[data-testid='election-booth-interop']")
    _visible(page, "screen-code")
    assert page.get_attribute("html", "lang") == "en"
    assert page.text_content("#election-fingerprint") == stand_in.election.fingerprint.hex()
    # A mistyped code: the check character catches a changed character.
    typo = code[:3] + ("A" if code[3] != "A" else "B") + code[4:]
    page.fill("#credential-code", typo)
    page.click("#code-submit")
    assert "check character" in (page.text_content("#code-error") or "")
    page.screenshot(path=str(tmp_path / "1-code-mistyped.png"))
    page.fill("#credential-code", code.lower().replace("-", " "))
    page.press("#credential-code", "Enter")
    _visible(page, "screen-choose")
    assert page.input_value("#credential-code") == ""
    for testid in ("option-ref-yes", "option-mayor-bob", "option-wide-c3", "option-budget-p0"):
        page.click(f"[data-testid='{testid}']")
    for option in "abcd":
        page.click(f"[data-testid='option-council-{option}']")
    page.fill("[data-testid='score-rate-x']", "5")
    page.fill("[data-testid='score-grade-u']", "17")
    page.click("[data-testid='option-plain-budget-p1']")
    # An overvote: four councillors, three at most.
    page.click("#choose-submit")
    assert page.text_content("#choose-error") == "“Council”: too many choices (4); at most 3."
    page.click("[data-testid='option-council-d']")
    # An overspent budget.
    page.click("[data-testid='option-budget-p1']")
    page.click("[data-testid='option-budget-p3']")
    page.click("#choose-submit")
    assert "more than the budget of 1,000" in (page.text_content("#choose-error") or "")
    page.screenshot(path=str(tmp_path / "2-choose-overspent.png"), full_page=True)
    page.click("[data-testid='option-budget-p3']")
    page.click("#choose-submit")
    _visible(page, "screen-review")
    assert page.text_content("[data-testid='summary-council']") == "a · b · c"
    page.click("#review-seal")
    _visible(page, "screen-sealed")
    audited = page.text_content("#sealed-tracking-code")
    page.click("#sealed-audit")
    _visible(page, "screen-audit")
    assert (page.text_content("#audit-result") or "").startswith("The audit checks")
    assert page.text_content("#audit-tracking-code") == audited
    assert page.text_content("[data-testid='summary-ref']") == "yes"
    page.screenshot(path=str(tmp_path / "3-audit.png"), full_page=True)
    page.click("#audit-restart")
    _visible(page, "screen-choose")
    page.click("[data-testid='lang-switch']")
    assert page.get_attribute("html", "lang") == "fr"
    page.click("#choose-submit")
    _visible(page, "screen-review")
    page.click("#review-seal")
    _visible(page, "screen-sealed")
    cast = page.text_content("#sealed-tracking-code")
    assert cast != audited
    assert stand_in.casts == 0
    page.click("#sealed-cast")
    _visible(page, "screen-receipt")
    assert page.text_content("#receipt-tracking-code") == cast
    assert page.is_visible("#receipt-verified")
    assert page.text_content("#receipt-position") == "3"
    assert stand_in.casts == 1
    page.screenshot(path=str(tmp_path / "4-receipt.png"), full_page=True)


def test_a_service_that_does_not_answer_casts_nothing(
    service: tuple[_Service, str, ThreadingHTTPServer], page: Any
) -> None:
    stand_in, base, server = service
    page.goto(f"{base}/elections/booth-interop?lang=fr")
    _visible(page, "screen-code")
    page.fill("#credential-code", stand_in.codes[1])
    page.click("#code-submit")
    _visible(page, "screen-choose")
    page.click("[data-testid='blank-ref']")
    page.click("[data-testid='option-mayor-ann']")
    page.click("[data-testid='blank-council']")
    page.click("[data-testid='option-budget-p2']")
    page.click("#choose-submit")
    _visible(page, "screen-review")
    page.click("#review-seal")
    _visible(page, "screen-sealed")
    server.shutdown()
    server.server_close()
    page.click("#sealed-cast")
    page.wait_for_selector("#sealed-error:not([hidden])")
    assert "injoignable" in (page.text_content("#sealed-error") or "")
    assert "Rien n’a été déposé" in (page.text_content("#sealed-error") or "")
    assert page.is_visible("#screen-sealed")
    assert stand_in.casts == 0
