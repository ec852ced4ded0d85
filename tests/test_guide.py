"""docs/guide.md's Python runs: its code blocks, in order, in one namespace, in an empty dir."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "guide.md"
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def guide_code() -> list[str]:
    return BLOCK.findall(GUIDE.read_text(encoding="utf-8"))


def test_the_guide_has_its_page_of_python() -> None:
    blocks = guide_code()
    assert blocks
    assert "evote.run_tally(" in "".join(blocks)
    assert "evote.verify_record(" in "".join(blocks)


def test_the_guide_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "guide"}
    for number, block in enumerate(guide_code(), start=1):
        exec(compile(block, f"{GUIDE}:block {number}", "exec"), namespace)
    assert (tmp_path / "record").is_dir()
    assert (tmp_path / "board.sqlite").is_file()
