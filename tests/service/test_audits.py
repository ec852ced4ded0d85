"""POST /api/v1/elections/{id}/audits in-process: a Benaloh-audited ballot (docs/spec.md 6.7)
reaches the board as a spoiled entry (10.3) only when its audit holds; every refusal is a
problem document and leaves the board's head where it was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evote import jsonstrict
from evote.ballots.audit import AuditedBallot
from evote.ballots.encrypted import EncryptedBallot
from tests.service.helpers import JSON, Served, TestClient, is_problem, serve_election

API = "/api/v1/elections"


def body_of(ballot: EncryptedBallot, audit: Any) -> bytes:
    audit_obj = audit.to_json_obj() if isinstance(audit, AuditedBallot) else audit
    return jsonstrict.dumps(
        {"audit": audit_obj, "ballot": jsonstrict.b64encode(ballot.canonical_bytes())}
    )


def post(client: TestClient, served: Served, data: bytes, **headers: str) -> Any:
    return client.post(f"{API}/{served.election_id}/audits", content=data,
                       headers={**JSON, **headers})  # fmt: skip


def refused(client: TestClient, served: Served, data: bytes, status: int, error: str) -> str:
    before = served.head()
    detail = is_problem(post(client, served, data), status, error)["detail"]
    assert served.head() == before
    return str(detail)


def test_an_audit_that_holds_is_published_as_spoiled(client: TestClient, served: Served) -> None:
    ballot, audit = served.spoiled(0)
    before, _ = served.head()
    response = post(client, served, body_of(ballot, audit))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body == {
        "tracking_code": ballot.tracking_code,
        "position": before + 1,
        "ballot_hash": jsonstrict.b64encode(ballot.ballot_hash()),
        "status": "spoiled",
    }
    status = client.get(f"{API}/{served.election_id}/ballots/{ballot.tracking_code}").json()
    assert status["status"] == "spoiled"
    with served.board() as board:
        entry = board.entry_at(served.election_id, before + 1)
    assert entry.payload == body_of(ballot, audit)


def test_the_same_audit_twice_is_a_duplicate(client: TestClient, served: Served) -> None:
    ballot, audit = served.spoiled(1)
    assert post(client, served, body_of(ballot, audit)).status_code == 201
    refused(client, served, body_of(ballot, audit), 409, "DuplicateBallot")


def test_an_audited_ballot_can_never_be_cast_afterwards(client: TestClient, served: Served) -> None:
    ballot, audit = served.spoiled(2)
    assert post(client, served, body_of(ballot, audit)).status_code == 201
    before = served.head()
    response = client.post(f"{API}/{served.election_id}/ballots",
                           content=ballot.canonical_bytes(), headers=JSON)  # fmt: skip
    is_problem(response, 409, "DuplicateBallot")
    assert served.head() == before


def test_an_audit_that_lies_about_the_choices_is_refused(
    client: TestClient, served: Served
) -> None:
    ballot, audit = served.spoiled(3)
    lying = audit.to_json_obj()
    lying["q"][0]["x"] = list(reversed(lying["q"][0]["x"]))  # "no" revealed as "yes"
    detail = refused(client, served, body_of(ballot, lying), 400, "InvalidBallot")
    assert "question 'ref'" in detail and "does not match" in detail


def test_the_audit_of_another_ballot_is_refused(client: TestClient, served: Served) -> None:
    ballot, _ = served.spoiled(3)
    _, other_audit = served.spoiled(4)
    detail = refused(client, served, body_of(ballot, other_audit), 400, "InvalidBallot")
    assert "another ballot" in detail


def test_an_audit_off_its_schema_is_refused(client: TestClient, served: Served) -> None:
    ballot, audit = served.spoiled(3)
    extra = {**audit.to_json_obj(), "note": "x"}
    assert "audit" in refused(client, served, body_of(ballot, extra), 400, "InvalidBallot")
    not_canonical = body_of(ballot, audit).replace(b'{"audit"', b'{ "audit"', 1)
    refused(client, served, not_canonical, 400, "InvalidBallot")
    without_audit = jsonstrict.dumps({"ballot": jsonstrict.b64encode(ballot.canonical_bytes())})
    refused(client, served, without_audit, 400, "InvalidBallot")


def test_a_forged_ballot_is_refused(client: TestClient, served: Served) -> None:
    ballot, audit = served.spoiled(3)
    obj = jsonstrict.loads(ballot.canonical_bytes(), "ballot")
    obj["election_id"] = "elsewhere"
    body = jsonstrict.dumps({"audit": audit.to_json_obj(),
                             "ballot": jsonstrict.b64encode(jsonstrict.dumps(obj))})  # fmt: skip
    before = served.head()
    response = post(client, served, body)
    assert response.status_code == 400, response.text
    assert served.head() == before


def test_a_wrong_content_type_is_415(client: TestClient, served: Served) -> None:
    ballot, audit = served.spoiled(3)
    response = post(client, served, body_of(ballot, audit), **{"content-type": "text/plain"})
    is_problem(response, 415, "UnsupportedMediaType")


def test_an_unknown_election_is_404(client: TestClient, served: Served) -> None:
    ballot, audit = served.spoiled(3)
    response = client.post(f"{API}/nowhere/audits", content=body_of(ballot, audit), headers=JSON)
    is_problem(response, 404, "UnknownElection")


def test_after_the_close_an_audit_is_refused(tmp_path: Path) -> None:
    served = serve_election(tmp_path, "closed-audits", voters=2)
    ballot, audit = served.spoiled(0)
    with served.board() as board:
        board.close_election(served.election_id)
    with served.client() as client:
        refused(client, served, body_of(ballot, audit), 409, "ElectionNotOpen")


def test_the_audit_of_a_cast_ballot_is_never_published(client: TestClient, served: Served) -> None:
    """Its reveal would show a counted vote to everyone: the board's marks refuse it."""
    ballot, audit = served.spoiled(5)
    cast = client.post(f"{API}/{served.election_id}/ballots",
                       content=ballot.canonical_bytes(), headers=JSON)  # fmt: skip
    assert cast.status_code == 201, cast.text
    refused(client, served, body_of(ballot, audit), 409, "DuplicateBallot")
    status = client.get(f"{API}/{served.election_id}/ballots/{ballot.tracking_code}").json()
    assert status["status"] == "counted"
