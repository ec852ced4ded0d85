"""The portal API: API keys (hashed at rest, compared in constant time), 401 and 403."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from evote.errors import InvalidInput
from evote.service.errors import RateLimited
from evote.service.security import TokenBuckets
from evote.service.settings import (
    PORTAL_KEYS_VARIABLE,
    RateLimit,
    key_digest,
    new_portal_key,
    parse_portal_keys,
    portal_of,
)
from tests.service.helpers import JSON, Served, TestClient, is_problem, serve_election

PORTAL = "/api/v1/portal/elections"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Served:
    return serve_election(tmp_path_factory.mktemp("portal"))


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, Path]:
    """A key for every election, a key for another election only, and the keys file."""
    city, city_line = new_portal_key("city")
    other, other_line = new_portal_key("district")
    path = tmp_path_factory.mktemp("keys") / "portal-keys"
    path.write_text(f"# portals\n{city_line}\n\n{other_line} another-election\n")
    return city, other, path


@pytest.fixture(scope="module")
def client(served: Served, keys: tuple[str, str, Path]) -> Iterator[TestClient]:
    with served.client(portal_keys_file=str(keys[2])) as client:
        yield client


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def test_the_keys_file_holds_hashes_only(keys: tuple[str, str, Path]) -> None:
    city, _, path = keys
    text = path.read_text()
    assert city not in text and key_digest(city).hex() in text


def test_without_a_key_401_with_the_scheme(client: TestClient) -> None:
    response = client.get(PORTAL)
    assert "Bearer" in is_problem(response, 401, "NotAuthenticated")["detail"]
    assert response.headers["www-authenticate"].startswith("Bearer")
    is_problem(client.get(PORTAL, headers=bearer("evp_guessed")), 401, "NotAuthenticated")
    is_problem(client.get(PORTAL, headers={"authorization": "Basic abc"}), 401,
               "NotAuthenticated")  # fmt: skip


def test_a_portal_reads_states_and_counts(
    client: TestClient, served: Served, keys: tuple[str, str, Path]
) -> None:
    for voter, choice in ((0, "yes"), (1, "yes"), (1, "no")):
        data = served.ballot(voter, choice).canonical_bytes()
        posted = client.post(f"/api/v1/elections/{served.election_id}/ballots", content=data,
                             headers=JSON)  # fmt: skip
        assert posted.status_code == 201
    body = client.get(PORTAL, headers=bearer(keys[0])).json()
    assert body["portal"] == "city"
    [entry] = body["elections"]
    assert entry["state"] == "open"
    assert (entry["ballots"], entry["revotes"], entry["spoiled"]) == (3, 1, 0)
    assert entry["voters"] == len(served.codes)
    one = client.get(f"{PORTAL}/{served.election_id}", headers=bearer(keys[0])).json()
    assert one == entry


def test_a_portal_limited_to_other_elections_gets_403(
    client: TestClient, served: Served, keys: tuple[str, str, Path]
) -> None:
    response = client.get(f"{PORTAL}/{served.election_id}", headers=bearer(keys[1]))
    assert "district" in is_problem(response, 403, "Forbidden")["detail"]
    assert client.get(PORTAL, headers=bearer(keys[1])).json()["elections"] == []


def test_keys_from_the_environment(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    key, line = new_portal_key("env-portal")
    monkeypatch.setenv(PORTAL_KEYS_VARIABLE, line)
    with served.client() as client:
        assert client.get(PORTAL, headers=bearer(key)).json()["portal"] == "env-portal"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("city", "expected 'NAME sha256:HEX'"),
        ("city md5:00", "expected 'NAME sha256:HEX'"),
        ("city sha256:zz", "not hexadecimal"),
        ("city sha256:00ff", "not 32 bytes"),
        ("ci/ty sha256:" + "00" * 32, "not a portal name"),
    ],
)
def test_a_bad_keys_line_names_its_line(line: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=rf"keys: line 2: .*{message}"):
        parse_portal_keys(f"# comment\n{line}\n", "keys")


def test_portal_of_finds_only_the_presented_key() -> None:
    key, line = new_portal_key("a")
    keys = parse_portal_keys(line, "keys")
    found = portal_of(keys, key)
    assert found is not None and found.portal == "a"
    assert portal_of(keys, key + "x") is None


def test_a_token_bucket_refills_at_its_rate() -> None:
    buckets = TokenBuckets(RateLimit(2.0, 2), "casting")
    buckets.take("a", now=0.0)
    buckets.take("a", now=0.0)
    with pytest.raises(RateLimited, match="retry in 1 s"):
        buckets.take("a", now=0.0)
    buckets.take("b", now=0.0)  # another client has its own bucket
    buckets.take("a", now=0.5)  # one token back after half a second at 2/s
    with pytest.raises(RateLimited):
        buckets.take("a", now=0.5)
    TokenBuckets(RateLimit(0, 0), "off").take("a")
