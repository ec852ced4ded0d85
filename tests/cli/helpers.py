"""What several CLI test modules share."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from evote.ceremony import keyfile


def stopping_at(k: int) -> Callable[[Path, bytes], None]:
    """The atomic-write helper, raising KeyboardInterrupt instead of its k-th write."""
    write = keyfile.write_atomically
    calls = [0]

    def stopping(target: Path, data: bytes) -> None:
        calls[0] += 1
        if calls[0] == k:
            raise KeyboardInterrupt
        write(target, data)

    return stopping
