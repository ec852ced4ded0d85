"""The service sees the officers' steps at once: close, tally; then the record and result."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from evote.record import load_record
from evote.tallying import run_tally
from evote.verify import verify_record
from tests.service.helpers import JSON, Served, TestClient, is_problem

API = "/api/v1/elections"


@pytest.fixture(scope="module")
def closed(client: TestClient, served: Served) -> bytes:
    """Two ballots cast over HTTP, then the election closed on the board directly (as the
    officer's 'evote election close' does); returns a ballot kept back for after the close."""
    for voter in (0, 1):
        data = served.ballot(voter, "yes" if voter else "no").canonical_bytes()
        assert client.post(f"{API}/{served.election_id}/ballots", content=data,
                           headers=JSON).status_code == 201  # fmt: skip
    late = served.ballot(2).canonical_bytes()
    with served.board() as board:
        board.close_election(served.election_id)
    return late


def test_the_close_shows_at_once_and_a_late_cast_is_409(
    client: TestClient, served: Served, closed: bytes
) -> None:
    assert client.get(f"{API}/{served.election_id}/head").json()["state"] == "closed"
    before = served.head()
    response = client.post(f"{API}/{served.election_id}/ballots", content=closed, headers=JSON)
    assert "closed" in is_problem(response, 409, "ElectionNotOpen")["detail"]
    assert served.head() == before


def test_the_record_of_a_closed_election_downloads_file_by_file_and_whole(
    client: TestClient, served: Served, closed: bytes, tmp_path: Path
) -> None:
    index = client.get(f"{API}/{served.election_id}/record/record.json")
    assert index.status_code == 200 and index.json()["election_id"] == served.election_id
    board = client.get(f"{API}/{served.election_id}/record/board.jsonl")
    assert board.headers["content-type"].startswith("application/x-ndjson")
    assert len(board.text.splitlines()) == served.head()[0]
    is_problem(client.get(f"{API}/{served.election_id}/record/../board.sqlite"), 404, "NotFound")
    is_problem(client.get(f"{API}/{served.election_id}/record/result.json"), 404, "NotFound")
    archive = client.get(f"{API}/{served.election_id}/record")
    assert archive.status_code == 200
    assert "attachment" in archive.headers["content-disposition"]
    with tarfile.open(fileobj=io.BytesIO(archive.content)) as tar:
        assert "record.json" in {Path(name).name for name in tar.getnames()}


def test_after_the_tally_the_result_and_a_record_that_verifies(
    client: TestClient, served: Served, closed: bytes, tmp_path: Path
) -> None:
    is_problem(client.get(f"{API}/{served.election_id}/result"), 404, "NotFound")
    with served.board() as board:
        result = run_tally(board, served.election_id, [t.share() for t in served.trustees])
    assert client.get(API).json()["elections"][0]["state"] == "tallied"
    response = client.get(f"{API}/{served.election_id}/result")
    assert response.status_code == 200 and "immutable" in response.headers["cache-control"]
    assert response.json()["kind"] == "election-result"
    assert result.question("ref").counts == (("yes", 1), ("no", 1))
    archive = tmp_path / "record.tar.gz"
    archive.write_bytes(client.get(f"{API}/{served.election_id}/record").content)
    report = verify_record(load_record(archive))
    assert report.ok and report.complete
