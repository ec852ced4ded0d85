"""``evote --version``: the version an officer quotes in a report, the one pyproject.toml builds."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import evote
from evote.cli import main


def test_version_is_printed_and_is_the_packaged_one(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text("utf-8"))
    assert capsys.readouterr().out == f"evote {project['project']['version']}\n"
    assert evote.__version__ == project["project"]["version"]
