"""The Containerfile parses sensibly (no container engine runs in the tests): pinned base
images, the files it copies exist, it runs as a non-root user, its entrypoint is evote serve."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = (ROOT / "Containerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n\s*", " ", text)
    found = []
    for raw in joined.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def test_base_images_are_pinned_to_a_release() -> None:
    images = [args.split()[0] for word, args in instructions() if word == "FROM"]
    assert images
    for image in images:
        assert re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", image), image


def test_it_copies_only_files_that_exist() -> None:
    for word, args in instructions():
        if word == "COPY" and not args.startswith("--from"):
            *sources, _ = args.split()
            for source in sources:
                assert (ROOT / source).exists(), source


def test_it_runs_as_a_non_root_user() -> None:
    users = [args for word, args in instructions() if word == "USER"]
    assert users, "no USER: the service would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    last_from = max(i for i, (word, _) in enumerate(instructions()) if word == "FROM")
    last_user = max(i for i, (word, _) in enumerate(instructions()) if word == "USER")
    assert last_user > last_from


def test_the_entrypoint_is_evote_serve() -> None:
    entrypoints = [json.loads(args) for word, args in instructions() if word == "ENTRYPOINT"]
    assert entrypoints[-1] == ["evote", "serve"]
    command = json.loads([args for word, args in instructions() if word == "CMD"][-1])
    assert "--host" in command and "0.0.0.0" in command
