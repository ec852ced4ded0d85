"""The public pages in-process, on a tallied election: the results page and the open data are
what the renderers make of the exported record, and the live view is kept per head."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from evote.errors import InvalidInput
from evote.pages.html import PageLinks, render_results_page, render_status_page
from evote.pages.opendata import Publication, open_data_files
from evote.pages.view import ElectionView, view_from_record
from evote.record import load_record
from evote.record.schemas import json_schemas
from evote.service.pages import OPEN_DATA_TYPES, PageViews
from evote.tally.wire import result_from_json
from evote.tallying import run_tally
from tests.pages.test_opendata import SCHEMA_PATH, schema_of, table_errors
from tests.service.helpers import JSON, Served, TestClient, serve_election

API = "/api/v1/elections"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Served:
    """Four ballots (one a revote), one spoiled ballot, closed and tallied."""
    served = serve_election(tmp_path_factory.mktemp("pages-tallied"), "pages-tallied")
    with served.board() as board:
        for voter, choice in ((0, "no"), (0, "yes"), (1, "yes"), (2, "no")):
            board.cast(served.election_id, served.ballot(voter, choice))
        board.spoil(served.election_id, *served.spoiled(3))
        board.close_election(served.election_id)
        run_tally(board, served.election_id, [t.share() for t in served.trustees])
    return served


@pytest.fixture(scope="module")
def record_view(
    served: Served, client: TestClient, tmp_path_factory: pytest.TempPathFactory
) -> ElectionView:
    """The view of the record the service publishes (not the live board's)."""
    archive = tmp_path_factory.mktemp("record") / "record.tar.gz"
    archive.write_bytes(client.get(f"{API}/{served.election_id}/record").content)
    return view_from_record(load_record(archive))


def page_views(client: TestClient) -> PageViews:
    views: PageViews = client.app.state.page_views  # type: ignore[attr-defined]
    return views


def test_the_live_view_is_the_record_s_view(
    client: TestClient, served: Served, record_view: ElectionView
) -> None:
    live = page_views(client).view(served.election_id)
    assert live == record_view
    assert live.state == "tallied" and live.ballots == 4 and live.spoiled == 1
    assert [audit.holds for audit in live.audits] == [True]
    # Kept per head: the same object until the board moves.
    assert page_views(client).view(served.election_id) is live


def test_the_api_s_result_is_the_record_s_result_json_and_its_documented_schema(
    client: TestClient, served: Served
) -> None:
    """One format of a result: the API answers result.json's bytes, described in the OpenAPI
    document by the record's own schema."""
    answered = client.get(f"{API}/{served.election_id}/result").content
    record_file = client.get(f"{API}/{served.election_id}/record/result.json").content
    assert answered == record_file
    document = client.get("/openapi.json").json()
    route = document["paths"]["/api/v1/elections/{election_id}/result"]["get"]
    schema = route["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/Result"}
    result_schema = document["components"]["schemas"]["Result"]
    assert result_schema == {
        key: value
        for key, value in json_schemas()["urn:evote:record:1:result"].items()
        if key not in ("$schema", "$id")
    }
    validator = jsonschema.Draft202012Validator(result_schema)
    validator.validate(json.loads(answered))
    assert not validator.is_valid(json.loads(answered) | {"title": "a label"})


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_results_page_is_the_record_s_results_page(
    client: TestClient, served: Served, record_view: ElectionView, lang: str
) -> None:
    response = client.get(f"/elections/{served.election_id}/results?lang={lang}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=3600"
    expected = render_results_page(record_view, lang, PageLinks.served(served.election_id))
    assert response.text == expected
    result = result_from_json(client.get(f"{API}/{served.election_id}/result").content)
    assert result == record_view.result and result.turnout.ballots == 3
    assert '<span class="count">3</span>' in response.text


def test_the_status_page_links_the_results_once_tallied(
    client: TestClient, served: Served, record_view: ElectionView
) -> None:
    text = client.get(f"/elections/{served.election_id}/status?lang=fr").text
    assert text == render_status_page(record_view, "fr", PageLinks.served(served.election_id))
    assert f'href="/elections/{served.election_id}/results?lang=fr"' in text
    # Voting is over: no link to the booth.
    assert f'href="/elections/{served.election_id}"' not in text


def test_the_open_data_is_the_record_s_with_the_request_s_address(
    client: TestClient, served: Served, record_view: ElectionView
) -> None:
    base = f"http://testserver/elections/{served.election_id}/open-data/"
    expected = open_data_files(record_view, Publication(base, "testserver"))
    # No grades or ranking question: no ballots per grade or rank, no STV stages.
    optional = ("results-distribution.csv", "stv-stages.csv")
    assert list(expected) == [name for name in OPEN_DATA_TYPES if name not in optional]
    for name in optional:
        response = client.get(f"/elections/{served.election_id}/open-data/{name}")
        assert response.status_code == 404, name
        assert "it has no question that needs it" in response.text
    for name, data in expected.items():
        response = client.get(f"/elections/{served.election_id}/open-data/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith(OPEN_DATA_TYPES[name].split(";")[0])
        assert response.headers["cache-control"] == "public, max-age=3600"
        assert response.content == data, name


def test_the_datapackage_validates_and_describes_its_csv(
    client: TestClient, served: Served
) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    base = f"/elections/{served.election_id}/open-data/"
    files = {name: client.get(base + name).content for name in OPEN_DATA_TYPES}
    package = json.loads(files["datapackage.json"])
    assert list(jsonschema.Draft7Validator(schema).iter_errors(package)) == []
    for name in ("results.csv", "turnout.csv"):
        assert table_errors(files[name], schema_of(files, name)) == [], name


def test_the_public_url_and_publisher_settings_enter_the_metadata(
    served: Served, tmp_path: Path
) -> None:
    settings = {"public_url": "https://vote.example.org/", "publisher": "Ville d'Exemple",
                "record_cache": str(tmp_path)}  # fmt: skip
    with served.client(**settings) as client:
        dcat = client.get(f"/elections/{served.election_id}/open-data/dcat.jsonld").text
    assert f"https://vote.example.org/elections/{served.election_id}/open-data/results.csv" in dcat
    assert "Ville d'Exemple" in dcat and "testserver" not in dcat


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"public_url": "ftp://vote.example.org"}, "expected an http(s) URL"),
        ({"publisher": " "}, "give the publishing body's name"),
        ({"licence": "all-rights-reserved"}, "expected one of"),
    ],
)
def test_bad_open_data_settings_are_refused_at_start(
    served: Served, changes: dict[str, str], message: str
) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)):
        served.client(**changes)


def test_a_cast_after_the_tally_is_refused_and_the_view_stays(
    client: TestClient, served: Served
) -> None:
    before = page_views(client).view(served.election_id)
    late = client.post(f"{API}/{served.election_id}/ballots", headers=JSON,
                       content=served.ballot(4).canonical_bytes())  # fmt: skip
    assert late.status_code == 409
    assert page_views(client).view(served.election_id) is before
