"""The public API in-process: every endpoint on an open election, and bad input at the HTTP
boundary, each answered with a clear problem document and the board unchanged."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from evote import jsonstrict
from evote.board.receipt import Receipt, check_receipt_signature
from evote.errors import InvalidInput
from evote.record import documents as doc
from evote.service.app import CAST_PATH, _route_path, create_app
from evote.service.security import CONTENT_SECURITY_POLICY
from evote.service.settings import RateLimit
from tests.service.helpers import JSON, Served, TestClient, is_problem

API = "/api/v1/elections"


def cast(client: TestClient, served: Served, data: bytes, **headers: str) -> object:
    return client.post(f"{API}/{served.election_id}/ballots", content=data,
                       headers={**JSON, **headers})  # fmt: skip


# -- reads


def test_the_list_names_the_election_with_its_state_and_fingerprint(
    client: TestClient, served: Served
) -> None:
    response = client.get(API)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    [listed] = response.json()["elections"]
    assert listed == {
        "election_id": served.election_id,
        "title": {"en": "Served test", "fr": "Test servi"},
        "state": "open",
        "fingerprint": served.election.fingerprint.hex(),
    }


def test_the_summary_gives_the_election_s_public_data_and_head(
    client: TestClient, served: Served
) -> None:
    body = client.get(f"{API}/{served.election_id}").json()
    position, chain_hash = served.head()
    assert body["board_key"] == served.election.board_key.hex()
    assert body["group"] == "ed25519"
    assert body["state"] == "open"
    assert body["head"] == {"position": position, "chain_hash": chain_hash.hex()}
    assert body["opens"] == "2025-03-01T08:00:00+00:00"
    assert body["closes"] == "2025-03-08T20:00:00+00:00"
    assert set(body) == {"election_id", "title", "state", "fingerprint", "board_key", "group",
                         "ballots", "spoiled", "head", "opens", "closes"}  # fmt: skip


def test_the_voter_kit_holds_the_record_s_own_documents(client: TestClient, served: Served) -> None:
    response = client.get(f"{API}/{served.election_id}/voter-kit")
    kit = response.json()
    with served.board() as board:
        launch_code = board.setup_record(served.election_id).launch_code
    assert kit["election"] == doc.election_document(served.election, launch_code)
    assert kit["group"] == doc.group_document(served.election.group)
    assert kit["manifest"] == served.election.manifest.to_json_obj()
    assert kit["credential_list_digest"] == served.election.credentials.digest().hex()
    assert set(kit) == {"election", "group", "manifest", "credential_list_digest"}
    assert "max-age" in response.headers["cache-control"]


def test_head_and_checkpoints(client: TestClient, served: Served) -> None:
    head = client.get(f"{API}/{served.election_id}/head").json()
    position, chain_hash = served.head()
    assert head == {"election_id": served.election_id, "state": "open", "position": position,
                    "chain_hash": chain_hash.hex()}  # fmt: skip
    checkpoints = client.get(f"{API}/{served.election_id}/checkpoints").json()
    assert checkpoints["kind"] == "checkpoints"
    assert len(checkpoints["checkpoints"]) == 1  # the opening's


# -- casting


def test_a_cast_returns_the_board_s_signed_receipt_and_a_retry_the_same_one(
    client: TestClient, served: Served
) -> None:
    data = served.ballot(0).canonical_bytes()
    before, _ = served.head()
    first = cast(client, served, data)
    assert first.status_code == 201, first.text
    receipt = Receipt.from_json_obj(first.json())
    check_receipt_signature(receipt, served.election.board_key)
    assert receipt.position == before + 1
    again = cast(client, served, data)
    assert again.status_code == 200
    assert again.content == first.content
    assert served.head()[0] == before + 1


def test_a_ballot_s_status_by_tracking_code_in_any_case_and_spacing(
    client: TestClient, served: Served
) -> None:
    first = Receipt.from_json_obj(cast(client, served, served.ballot(1).canonical_bytes()).json())
    typed = first.tracking_code.lower().replace("-", " ")
    body = client.get(f"{API}/{served.election_id}/ballots/{typed}").json()
    assert body == {
        "tracking_code": first.tracking_code,
        "position": first.position,
        "ballot_hash": jsonstrict.b64encode(first.ballot_hash),
        "status": "counted",
    }
    cast(client, served, served.ballot(1, "no").canonical_bytes())  # a revote
    code = first.tracking_code.replace("-", "")
    assert client.get(f"{API}/{served.election_id}/ballots/{code}").json()["status"] == (
        "superseded"
    )


def test_a_spoiled_ballot_shows_as_spoiled(client: TestClient, served: Served) -> None:
    ballot, audited = served.spoiled(2)
    with served.board() as board:
        board.spoil(served.election_id, ballot, audited)
    body = client.get(f"{API}/{served.election_id}/ballots/{ballot.tracking_code}").json()
    assert body["status"] == "spoiled"
    assert client.get(f"{API}/{served.election_id}").json()["spoiled"] == 1


def test_counts_follow_the_board(client: TestClient, served: Served) -> None:
    with served.board() as board:
        ballots = sum(1 for _ in board.ballot_entries(served.election_id))
    assert client.get(f"{API}/{served.election_id}").json()["ballots"] == ballots


# -- bad input at the boundary: a problem document, the board unchanged


@pytest.fixture
def unchanged(served: Served) -> Iterator[None]:
    before = served.head()
    yield
    assert served.head() == before


@pytest.mark.usefixtures("unchanged")
def test_malformed_json_is_an_invalid_ballot(client: TestClient, served: Served) -> None:
    body = is_problem(cast(client, served, b'{"election_id": '), 400, "InvalidBallot")
    assert "not JSON" in body["detail"]


@pytest.mark.usefixtures("unchanged")
def test_a_ballot_in_another_byte_form_is_refused(client: TestClient, served: Served) -> None:
    data = served.ballot(3).canonical_bytes() + b"\n"
    assert "canonical" in is_problem(cast(client, served, data), 400, "InvalidBallot")["detail"]


@pytest.mark.usefixtures("unchanged")
def test_a_forged_signature_is_refused(client: TestClient, served: Served) -> None:
    ballot = served.ballot(3)
    obj = jsonstrict.loads(ballot.canonical_bytes(), "ballot")
    other = jsonstrict.loads(served.ballot(4).canonical_bytes(), "ballot")
    obj["s"] = other["s"]  # the other ballot's signature (short keys: docs/spec.md 6.1)
    response = cast(client, served, jsonstrict.dumps(obj))
    assert response.status_code == 400
    assert response.json()["error"] in ("InvalidSignature", "InvalidBallot")


@pytest.mark.usefixtures("unchanged")
def test_a_wrong_content_type_is_415(client: TestClient, served: Served) -> None:
    data = served.ballot(3).canonical_bytes()
    response = client.post(f"{API}/{served.election_id}/ballots", content=data,
                           headers={"content-type": "text/plain"})  # fmt: skip
    assert "application/json" in is_problem(response, 415, "UnsupportedMediaType")["detail"]
    response = client.post(f"{API}/{served.election_id}/ballots", content=data)
    is_problem(response, 415, "UnsupportedMediaType")


@pytest.mark.usefixtures("unchanged")
def test_an_oversized_body_is_413_declared_or_streamed(served: Served) -> None:
    data = served.ballot(3).canonical_bytes()
    with served.client(max_body_bytes=len(data) - 1) as small:
        declared = cast(small, served, data)
        assert "declared" in is_problem(declared, 413, "PayloadTooLarge")["detail"]
        streamed = small.post(f"{API}/{served.election_id}/ballots", headers=JSON,
                              content=iter([data[:100], data[100:]]))  # fmt: skip
        is_problem(streamed, 413, "PayloadTooLarge")


@pytest.mark.usefixtures("unchanged")
def test_an_unknown_election_is_404(client: TestClient, served: Served) -> None:
    for response in (
        client.get(f"{API}/nowhere"),
        client.get(f"{API}/nowhere/voter-kit"),
        client.get(f"{API}/nowhere/head"),
        client.post(f"{API}/nowhere/ballots", content=served.ballot(3).canonical_bytes(),
                    headers=JSON),
        client.get(f"{API}/nowhere/ballots/0000-0000-0000-0000-00000"),
    ):  # fmt: skip
        assert "nowhere" in is_problem(response, 404, "UnknownElection")["detail"]


@pytest.mark.usefixtures("unchanged")
def test_tracking_codes_malformed_400_unknown_404(client: TestClient, served: Served) -> None:
    malformed = client.get(f"{API}/{served.election_id}/ballots/not-a-code!")
    assert "tracking code" in is_problem(malformed, 400, "InvalidInput")["detail"]
    unknown = client.get(f"{API}/{served.election_id}/ballots/0000-0000-0000-0000-00000")
    is_problem(unknown, 404, "BallotNotFound")


def test_a_burst_beyond_the_rate_limit_is_429(served: Served) -> None:
    data = b"{}"
    with served.client(cast_limit=RateLimit(0.001, 2), lookup_limit=RateLimit(0.001, 1)) as limited:
        before = served.head()
        statuses = [cast(limited, served, data).status_code for _ in range(3)]
        assert statuses[:2] == [400, 400]
        refused = cast(limited, served, served.ballot(3).canonical_bytes())
        body = is_problem(refused, 429, "RateLimited")
        assert "retry in" in body["detail"]
        assert int(refused.headers["retry-after"]) >= 1
        assert served.head() == before
        code = "0000-0000-0000-0000-00000"
        limited.get(f"{API}/{served.election_id}/ballots/{code}")
        is_problem(limited.get(f"{API}/{served.election_id}/ballots/{code}"), 429, "RateLimited")


def test_unknown_paths_and_methods_are_problems(client: TestClient) -> None:
    is_problem(client.get("/api/v1/nothing"), 404, "NotFound")
    is_problem(client.delete(API), 405, "MethodNotAllowed")


def test_the_record_and_result_wait_for_the_close(client: TestClient, served: Served) -> None:
    is_problem(client.get(f"{API}/{served.election_id}/record"), 409, "ElectionNotOpen")
    is_problem(client.get(f"{API}/{served.election_id}/result"), 404, "NotFound")


# -- faults of the service


def test_an_unexpected_fault_is_a_500_that_names_nothing_and_one_log_line(
    served: Served, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(served.settings())

    def explode(election_id: str) -> None:
        raise RuntimeError("secret internals at /srv/evote")

    monkeypatch.setattr(app.state.view, "summary", explode)
    with TestClient(app) as client, caplog.at_level(logging.ERROR, "evote.service"):
        response = client.get(f"{API}/{served.election_id}")
    body = is_problem(response, 500, "InternalError")
    assert "secret" not in response.text and "Traceback" not in response.text
    assert "log" in body["detail"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "RuntimeError" in errors[0].getMessage()
    assert "\n" not in errors[0].getMessage()


def test_without_the_board_key_the_service_is_read_only(served: Served) -> None:
    with served.client(board_key_file=None) as client:
        assert client.get(f"{API}/{served.election_id}").status_code == 200
        response = cast(client, served, served.ballot(3).canonical_bytes())
        assert "--board-key" in is_problem(response, 503, "ServiceMisconfigured")["detail"]


def test_a_board_key_file_others_can_read_is_refused(served: Served, tmp_path: Path) -> None:
    loose = tmp_path / "board-key.json"
    loose.write_bytes(served.key_file.read_bytes())
    os.chmod(loose, 0o640)
    with pytest.raises(InvalidInput, match=r"mode 0640.*chmod 600"):
        create_app(served.settings(board_key_file=str(loose)))


# -- headers and pages


def test_security_headers_on_every_answer(client: TestClient, served: Served) -> None:
    for response in (client.get(API), client.get("/api/v1/nothing"), client.get("/")):
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
        assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"


def test_cors_only_for_the_configured_portal_origins(served: Served) -> None:
    portal = "https://portal.example"
    with served.client(cors_origins=(portal,)) as client:
        allowed = client.get(API, headers={"origin": portal})
        assert allowed.headers["access-control-allow-origin"] == portal
        other = client.get(API, headers={"origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in other.headers
    with served.client() as client:
        response = client.get(API, headers={"origin": portal})
        assert "access-control-allow-origin" not in response.headers


def test_without_the_booth_the_home_page_points_to_the_api(served: Served, tmp_path: Path) -> None:
    with served.client(static_dir=str(tmp_path / "none")) as client:
        page = client.get("/")
        assert page.status_code == 200 and "/openapi.json" in page.text
        assert "<script" not in page.text and "style=" not in page.text


def test_the_booth_is_served_at_home_and_election_paths(served: Served, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<!doctype html><title>booth</title>")
    (tmp_path / "booth.js").write_text("console.log('booth');")
    with served.client(static_dir=str(tmp_path)) as client:
        assert "booth" in client.get("/").text
        assert "booth" in client.get(f"/elections/{served.election_id}").text
        script = client.get("/static/booth/booth.js")
        assert script.status_code == 200 and "javascript" in script.headers["content-type"]


def test_no_log_line_holds_the_client_address(
    client: TestClient, served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, "evote.service"):
        client.get(f"{API}/{served.election_id}/ballots/0000-0000-0000-0000-00000")
        cast(client, served, b"{}")
    lines = [record.getMessage() for record in caplog.records]
    assert any("/ballots" in line for line in lines)
    assert not any("testclient" in line or "127.0.0.1" in line for line in lines)


# -- the cast's fast path (CastFastPath answers it before the router)


def test_the_cast_path_is_matched_below_the_root_path() -> None:
    scope = {"path": "/vote/api/v1/elections/e-1/ballots", "root_path": "/vote"}
    found = CAST_PATH.fullmatch(_route_path(scope))
    assert found is not None
    assert found["election_id"] == "e-1"
    assert _route_path({"path": "/voter/api/v1/elections/e-1/ballots", "root_path": "/vote"}) == (
        "/voter/api/v1/elections/e-1/ballots"
    )


@pytest.mark.usefixtures("unchanged")
def test_paths_beside_the_cast_path_go_to_the_router(client: TestClient, served: Served) -> None:
    data = served.ballot(3).canonical_bytes()
    for path in (f"{API}/a/b/ballots", f"{API}//ballots", f"{API}/{served.election_id}/ballot"):
        is_problem(client.post(path, content=data, headers=JSON), 404, "NotFound")
    for response in (
        client.post(f"{API}/{served.election_id}/ballots/x", content=data, headers=JSON),
        client.put(f"{API}/{served.election_id}/ballots", content=data, headers=JSON),
    ):
        is_problem(response, 405, "MethodNotAllowed")
