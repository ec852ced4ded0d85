"""Progress of long steps (evote/cli/progress.py) when standard error is not a terminal."""

from __future__ import annotations

import io
import re

import pytest

from evote.cli import progress
from evote.cli.progress import Progress

LINE = re.compile(
    r"(?P<label>[^:]+(?:: [^:]+)?): (?P<count>\d+)(?P<total>/\d+ \(\d+%\))?, \d+/s, \d+ s"
)


def _lines(stream: io.StringIO) -> list[re.Match[str]]:
    matches = [LINE.fullmatch(line) for line in stream.getvalue().splitlines()]
    assert all(matches), stream.getvalue()
    return [m for m in matches if m is not None]


def test_a_long_step_prints_counts_and_rate_with_the_total(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(progress, "LINE_INTERVAL", 0.0)
    stream = io.StringIO()
    with Progress("export: entries", 500, stream) as bar:
        for _ in range(500):
            bar.advance()
    lines = _lines(stream)
    assert [int(m["count"]) for m in lines[:500]] == list(range(1, 501))
    assert lines[-1]["total"] == "/500 (100%)" and lines[-1]["label"] == "export: entries"


def test_a_count_not_known_in_advance_has_no_total(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "LINE_INTERVAL", 0.0)
    stream = io.StringIO()
    with Progress("tally: ballots", None, stream) as bar:
        for _ in range(300):
            bar.advance()
    lines = _lines(stream)
    assert lines[-1]["count"] == "300" and lines[-1]["total"] is None


def test_a_short_step_stays_quiet() -> None:
    stream = io.StringIO()
    with Progress("tally: ballots", None, stream) as bar:
        bar.advance(10)
    assert stream.getvalue() == ""
