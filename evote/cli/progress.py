"""Progress of a long step on standard error: a bar on a terminal, else a line now and then.

On a terminal the bar is redrawn in place. Elsewhere (a log file, a CI job, ``nohup``) a line
``label: done/total (percent), rate/s`` is written every :data:`LINE_INTERVAL` seconds, and a last
one at the end if any was written: a short step stays quiet, a long one shows it is alive.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

LINE_INTERVAL = 5.0
"""Seconds between progress lines when standard error is not a terminal."""


class Progress:
    """``with Progress("casting", total) as bar: bar.advance()`` draws ``casting [####  ] 40%``."""

    def __init__(self, label: str, total: int | None, stream: TextIO | None = None) -> None:
        """``total`` None: a count not known in advance (the counted ballots of a board), shown
        without a bar or a percentage."""
        self.label = label
        self.total = None if total is None else max(total, 1)
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty()
        self._last_draw = 0.0
        self._started = time.monotonic()
        self._last_line = self._started
        self._lines = 0

    def __enter__(self) -> Progress:
        self._draw(force=True)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._draw(force=True)
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
        elif self._lines:
            self._line(time.monotonic())

    def advance(self, count: int = 1) -> None:
        self.done += count
        self._draw()

    def note(self, message: str) -> None:
        """A line about what comes after the count (``writing the file``), in long steps only."""
        if self.enabled or self._lines:
            self.stream.write(("\n" if self.enabled else "") + f"{self.label}: {message}\n")
            self.stream.flush()

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled:
            if not force and now - self._last_line >= LINE_INTERVAL:
                self._line(now)
            return
        if not force and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        if self.total is None:
            self.stream.write(f"\r{self.label:<24} {self.done}")
            self.stream.flush()
            return
        fraction = min(self.done / self.total, 1.0)
        filled = int(fraction * 30)
        bar = "#" * filled + " " * (30 - filled)
        self.stream.write(f"\r{self.label:<24} [{bar}] {fraction:4.0%} {self.done}/{self.total}")
        self.stream.flush()

    def _line(self, now: float) -> None:
        self._last_line = now
        self._lines += 1
        elapsed = max(now - self._started, 1e-9)
        if self.total is None:
            count = f"{self.done}"
        else:
            count = f"{self.done}/{self.total} ({min(self.done / self.total, 1.0):.0%})"
        self.stream.write(f"{self.label}: {count}, {self.done / elapsed:.0f}/s, {elapsed:.0f} s\n")
        self.stream.flush()
