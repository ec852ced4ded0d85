"""The public pages in-process, on an open election: the status page, the lookup page with each
answer, the results page before the tally, the open data before the tally, and the refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from evote.cli.verify import read_checkpoint_file
from evote.pages.html import stylesheet_bytes
from evote.service.pages import accepted_languages
from evote.service.security import CONTENT_SECURITY_POLICY
from tests.service.helpers import JSON, Served, TestClient, is_problem, serve_election

API = "/api/v1/elections"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Served:
    return serve_election(tmp_path_factory.mktemp("pages"), "pages-open")


@pytest.fixture(scope="module")
def codes(served: Served, client: TestClient) -> dict[str, str]:
    """Voter 0 votes then revotes, voter 1 votes, voter 2 spoils a ballot: their codes."""
    found = {}
    for name, ballot in (("superseded", served.ballot(0, "no")), ("counted", served.ballot(0)),
                         ("other", served.ballot(1))):  # fmt: skip
        posted = client.post(f"{API}/{served.election_id}/ballots",
                             content=ballot.canonical_bytes(), headers=JSON)  # fmt: skip
        assert posted.status_code == 201, posted.text
        found[name] = posted.json()["tracking_code"]
    ballot, audited = served.spoiled(2)
    with served.board() as board:
        board.spoil(served.election_id, ballot, audited)
    found["spoiled"] = ballot.tracking_code
    return found


def page(client: TestClient, path: str, **headers: str) -> tuple[int, str]:
    response = client.get(path, headers=headers)
    if response.status_code < 500 and response.headers["content-type"].startswith("text/html"):
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    return response.status_code, response.text


def test_the_status_page_shows_the_state_the_counts_and_the_last_checkpoint(
    client: TestClient, served: Served, codes: dict[str, str]
) -> None:
    response = client.get(f"/elections/{served.election_id}/status?lang=en")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-language"] == "en"
    assert response.headers["x-content-type-options"] == "nosniff"
    text = response.text
    assert '<html lang="en">' in text and "Served test" in text
    # Three ballot entries (a revote included) and one spoiled ballot.
    assert '<span class="count">3</span>' in text
    assert '<span class="count">1</span>' in text
    assert served.election.fingerprint.hex() in text
    with served.board() as board:
        checkpoint = board.checkpoints(served.election_id)[-1]
    assert checkpoint.chain_hash.hex() in text
    # The booth while voting is open, the stylesheet, the checkpoint's file.
    assert f'href="/elections/{served.election_id}"' in text
    assert 'href="/static/pages/pages.css"' in text
    assert f'href="/elections/{served.election_id}/open-data/checkpoint.json"' in text


def test_the_status_page_follows_accept_language_then_the_manifest(
    client: TestClient, served: Served
) -> None:
    path = f"/elections/{served.election_id}/status"
    assert '<html lang="fr">' in page(client, path, **{"accept-language": "fr-CA,en;q=0.5"})[1]
    assert '<html lang="en">' in page(client, path, **{"accept-language": "de, en;q=0.2"})[1]
    assert '<html lang="en">' in page(client, path, **{"accept-language": "fr;q=0, de"})[1]
    # The manifest's first language (its title is {"en": ..., "fr": ...}).
    assert '<html lang="en">' in page(client, path)[1]
    assert '<html lang="fr">' in page(client, path + "?lang=fr")[1]


def test_accept_language_is_read_by_weight() -> None:
    assert accepted_languages("en;q=0.3, fr-FR;q=0.9, de") == ["de", "fr", "en"]
    assert accepted_languages("fr;q=zero, en") == ["en"]
    assert accepted_languages("") == []


def test_the_checkpoint_file_downloads_before_the_tally(
    client: TestClient, served: Served, codes: dict[str, str], tmp_path: Path
) -> None:
    response = client.get(f"/elections/{served.election_id}/open-data/checkpoint.json")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"
    assert 'filename="checkpoint.json"' in response.headers["content-disposition"]
    with served.board() as board:
        checkpoint = board.checkpoints(served.election_id)[-1]
    (tmp_path / "checkpoint.json").write_bytes(response.content)
    assert read_checkpoint_file(tmp_path / "checkpoint.json") == checkpoint


@pytest.mark.parametrize("status", ["counted", "superseded", "spoiled"])
def test_the_lookup_page_says_what_the_board_says_of_a_code(
    client: TestClient, served: Served, codes: dict[str, str], status: str
) -> None:
    typed = codes[status].lower().replace("-", " ")
    code, text = page(client, f"/elections/{served.election_id}/lookup?lang=en&code={typed}")
    assert code == 200
    api = client.get(f"{API}/{served.election_id}/ballots/{codes[status]}").json()
    assert api["status"] == status
    assert codes[status] in text
    assert f"position {api['position']}" in text
    assert f'value="{typed}"' in text  # the form again, with what was typed


def test_the_lookup_page_tells_a_counted_ballot_from_the_others(
    client: TestClient, served: Served, codes: dict[str, str]
) -> None:
    counted = page(client, f"/elections/{served.election_id}/lookup?code={codes['counted']}")[1]
    superseded = page(
        client, f"/elections/{served.election_id}/lookup?code={codes['superseded']}"
    )[1]
    assert 'class="answer good"' in counted and 'class="answer good"' not in superseded


def test_the_lookup_page_of_an_unknown_code_is_404(client: TestClient, served: Served) -> None:
    unknown = "AAAA-AAAA-AAAA-AAAA-AAAAA"
    code, text = page(client, f"/elections/{served.election_id}/lookup?lang=fr&code={unknown}")
    assert code == 404 and '<html lang="fr">' in text and unknown in text


def test_the_lookup_page_of_a_malformed_code_is_400_and_escapes_it(
    client: TestClient, served: Served
) -> None:
    code, text = page(client, f"/elections/{served.election_id}/lookup?code=%3Cscript%3E")
    assert code == 400
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_the_lookup_page_without_a_code_is_the_form(client: TestClient, served: Served) -> None:
    code, text = page(client, f"/elections/{served.election_id}/lookup?code=")
    assert code == 200 and '<form class="lookup"' in text and 'role="status"' not in text


def test_the_results_page_before_the_tally_is_404_and_links_the_status(
    client: TestClient, served: Served
) -> None:
    code, text = page(client, f"/elections/{served.election_id}/results?lang=en")
    assert code == 404
    assert "The result is not published yet." in text
    assert f'href="/elections/{served.election_id}/status?lang=en"' in text


def test_the_open_data_before_the_tally_is_404(client: TestClient, served: Served) -> None:
    response = client.get(f"/elections/{served.election_id}/open-data/results.csv")
    assert "no result yet" in is_problem(response, 404, "NotFound")["detail"]


def test_an_unknown_open_data_file_is_404(client: TestClient, served: Served) -> None:
    response = client.get(f"/elections/{served.election_id}/open-data/secrets.json")
    assert "not an open-data file" in is_problem(response, 404, "NotFound")["detail"]


@pytest.mark.parametrize("path", ["status", "results", "lookup?code=x", "open-data/results.csv"])
def test_an_unknown_election_is_a_404_problem(client: TestClient, path: str) -> None:
    response = client.get(f"/elections/nowhere/{path}")
    is_problem(response, 404, "UnknownElection")


@pytest.mark.parametrize("path", ["status", "results", "lookup"])
def test_an_unknown_language_is_a_400_problem(
    client: TestClient, served: Served, path: str
) -> None:
    response = client.get(f"/elections/{served.election_id}/{path}?lang=de")
    assert "the pages are in en, fr" in is_problem(response, 400, "InvalidInput")["detail"]


def test_the_stylesheet_is_served(client: TestClient) -> None:
    response = client.get("/static/pages/pages.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert response.content == stylesheet_bytes()


def test_the_pages_are_not_in_the_api_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [path for path in paths if not path.startswith("/api/")]
