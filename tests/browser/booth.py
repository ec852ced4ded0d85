"""What the booth's browser tests share: a real ``evote serve --demo`` process and the page's
steps. One server per test module (the module's fixture starts it with :func:`demo_server`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from evote.board.board import Board
from evote.cli.demo import CODES_FILE, ELECTION_ID
from evote.cli.workspace import BOARD_FILE, BOARD_KEY_FILE
from tests.service.test_end_to_end import Server

#: Long enough for a busy shared machine; a step that never comes fails instead of hanging.
STEP_TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class Demo:
    """The running demo service: its address, data directory and the voters' codes."""

    server: Server
    data: Path
    codes: tuple[str, ...]

    @property
    def base(self) -> str:
        return self.server.base

    @property
    def api(self) -> str:
        return f"{self.server.base}/api/v1/elections/{ELECTION_ID}"

    @property
    def database(self) -> Path:
        return self.data / BOARD_FILE

    @property
    def key_file(self) -> Path:
        return self.data / BOARD_KEY_FILE

    def head(self, election_id: str = ELECTION_ID) -> tuple[int, bytes]:
        """The board's head read from the database itself (whether the service answers or not)."""
        with Board(str(self.database)) as board:
            head = board.head(election_id)
        return head.position, head.chain_hash


def demo_server(data: Path, voters: int = 4) -> Iterator[Demo]:
    """``evote serve --demo --data DATA`` on a free port, until the module is done."""
    yield from running(data, None, "--demo", "--data", data, "--demo-voters", str(voters))


def running(data: Path, codes: tuple[str, ...] | None, *args: str | Path) -> Iterator[Demo]:
    """``evote serve ARGS`` (no rate limits) on a free port, its board in ``data``; the codes
    given, or the demo's from demo-codes.txt."""
    server = Server(*args, "--cast-rate", "0", "--lookup-rate", "0")
    try:
        with httpx.Client(timeout=60) as client:
            server.wait_ready(client)
        if codes is None:
            codes = tuple((data / CODES_FILE).read_text().splitlines())
        yield Demo(server, data, codes)
    finally:
        if server.process.poll() is None:
            server.stop()


def watch(page: Any) -> list[str]:
    """The page's script errors and CSP refusals, collected for the test to assert none."""
    faults: list[str] = []
    page.set_default_timeout(STEP_TIMEOUT_MS)
    page.on("pageerror", lambda error: faults.append(str(error)))
    page.on(
        "console",
        lambda message: (
            faults.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    return faults


def visible(page: Any, screen: str) -> None:
    page.wait_for_selector(f"#{screen}:not([hidden])")


def shot(page: Any, directory: Path, name: str) -> None:
    page.screenshot(path=str(directory / f"booth-{name}.png"), full_page=True)


def open_booth(page: Any, base: str, lang: str, election_id: str = ELECTION_ID) -> None:
    """The booth's page of an election, up to its code screen."""
    page.goto(f"{base}/elections/{election_id}?lang={lang}")
    visible(page, "screen-code")


def enter_code(page: Any, code: str) -> None:
    page.fill("#credential-code", code)
    page.click("#code-submit")
    visible(page, "screen-choose")


def tick(page: Any, *testids: str) -> None:
    for testid in testids:
        page.click(f"[data-testid='{testid}']")


def seal(page: Any) -> str:
    """From the choices to the sealed screen; the ballot's tracking code."""
    page.click("#choose-submit")
    visible(page, "screen-review")
    page.click("#review-seal")
    visible(page, "screen-sealed")
    return str(page.text_content("#sealed-tracking-code"))
