"""The JSON Schemas of the record's documents, shipped in the package (``evote/record/schema/``).

One schema per document of docs/record-format.md (and per board payload), JSON Schema draft
2020-12, each named by its ``$id`` (``urn:evote:record:1:NAME``), which ``$ref`` uses. They are
what a second verifier is written from; evote's own reader is stricter than they are (it also
re-encodes and compares, docs/record-format.md section 2). Read them from an installed evote
with :func:`json_schemas`, whatever the installation (directory, zip, wheel).
"""

from __future__ import annotations

import json
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, Final

SCHEMA_DIRECTORY: Final = "schema"
SCHEMA_SUFFIX: Final = ".schema.json"


def schema_files() -> dict[str, Traversable]:
    """{document name (``record``, ``board-entry``, ...): its schema file}, sorted by name."""
    directory = resources.files("evote.record").joinpath(SCHEMA_DIRECTORY)
    found = {
        item.name.removesuffix(SCHEMA_SUFFIX): item
        for item in directory.iterdir()
        if item.name.endswith(SCHEMA_SUFFIX)
    }
    return dict(sorted(found.items()))


def json_schemas() -> dict[str, Any]:
    """{``$id``: schema} of every schema shipped with evote."""
    schemas: dict[str, Any] = {}
    for item in schema_files().values():
        schema = json.loads(item.read_text(encoding="utf-8"))
        schemas[str(schema["$id"])] = schema
    return schemas
