"""The OpenAPI document: served at /openapi.json, kept as docs/openapi.json, the two agree."""

from __future__ import annotations

import json
from pathlib import Path

from tests.service.helpers import Served

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
REGENERATE = "evote serve --print-openapi docs/openapi.json"


def test_docs_openapi_json_is_the_served_document(served: Served) -> None:
    with served.client() as client:
        served_document = client.get("/openapi.json").json()
    kept = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    assert served_document == kept, f"docs/openapi.json is stale: run '{REGENERATE}'"


def test_every_error_is_a_problem_and_the_portal_needs_its_key() -> None:
    document = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    paths = document["paths"]
    assert "/api/v1/elections/{election_id}/ballots" in paths
    for path, item in paths.items():
        for operation in item.values():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], path
            if path.startswith("/api/v1/portal/"):
                assert operation["security"] == [{"portalKey": []}]
    cast = paths["/api/v1/elections/{election_id}/ballots"]["post"]
    assert {"201", "200", "400", "409", "413", "415", "429"} <= set(cast["responses"])
    assert "application/json" in cast["requestBody"]["content"]
