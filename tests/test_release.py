"""The release artefacts: what the wheel and the sdist hold, and that a wheel is reproducible.

A city's operators install the wheel and auditors rebuild it from the tagged commit: two builds
of one commit with the same ``SOURCE_DATE_EPOCH`` must give the same bytes, and neither
artefact may carry the tests, caches or anything but the package. Builds run ``python -m
build`` (PyPA's build front end, in the dev extra) in a copy of the tracked files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EPOCH = "1700000000"

pytestmark = pytest.mark.slow


def _tracked_copy(target: Path) -> Path:
    """The files git tracks, copied to ``target`` (no venv, caches or build leftovers)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, destination)
    return target


def _build(source: Path, kind: str, out: Path) -> Path:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    subprocess.run(
        [sys.executable, "-m", "build", f"--{kind}", "--outdir", str(out), str(source)],
        check=True, capture_output=True, env=env,
    )  # fmt: skip
    (artefact,) = out.iterdir()
    return artefact


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the git checkout to list the tracked files")
    return _tracked_copy(tmp_path_factory.mktemp("source"))


def test_the_wheel_holds_the_package_and_builds_byte_for_byte(
    source: Path, tmp_path: Path
) -> None:
    first = _build(source, "wheel", tmp_path / "one")
    shutil.rmtree(source / "build", ignore_errors=True)
    second = _build(source, "wheel", tmp_path / "two")
    assert first.read_bytes() == second.read_bytes()
    names = zipfile.ZipFile(first).namelist()
    assert "evote/py.typed" in names
    assert "evote/pages/static/pages.css" in names  # the public pages' stylesheet
    # The booth's built assets, so that `pip install .` serves a booth without node.
    booth = ROOT / "evote" / "service" / "static" / "booth"
    built = sorted(path.name for path in booth.iterdir())
    assert {"index.html", "booth.js", "booth.css"} <= set(built)
    assert {f"evote/service/static/booth/{name}" for name in built} <= set(names)
    assert "evote/__init__.py" in names and "evote/cli/__init__.py" in names
    # The board's migrations, run from the installed package (evote.board.migrations).
    assert "evote/board/migrations/env.py" in names
    migrations = (ROOT / "evote" / "board" / "migrations" / "versions").glob("v*.py")
    assert {f"evote/board/migrations/versions/{path.name}" for path in migrations} <= set(names)
    # The JSON Schemas of the record (evote.record.schemas reads them), every one of them.
    schemas = sorted(path.name for path in (ROOT / "evote" / "record" / "schema").iterdir())
    assert schemas and all(name.endswith(".schema.json") for name in schemas)
    assert {f"evote/record/schema/{name}" for name in schemas} <= set(names)
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    assert any(name.endswith(".dist-info/entry_points.txt") for name in names)
    top = {name.split("/")[0] for name in names}
    assert top == {"evote", first.name.split("-py3")[0] + ".dist-info"}, top
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_the_sdist_holds_no_tests_nor_caches(source: Path, tmp_path: Path) -> None:
    sdist = _build(source, "sdist", tmp_path / "sdist")
    with tarfile.open(sdist) as archive:
        names = [name.split("/", 1)[1] for name in archive.getnames() if "/" in name]
    assert {"LICENSE", "README.md", "pyproject.toml", "evote/py.typed"} <= set(names)
    assert not [name for name in names if name.startswith(("tests/", "bench/", ".venv/"))]
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
