"""End to end: a real ``evote serve`` process on loopback, the officer's CLI beside it.

Encrypt with the library, POST, look the tracking code up, close and tally with ``evote``
against the same database, download the record and ``evote verify`` it. On SQLite, and on
PostgreSQL with two worker processes when EVOTE_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from evote import jsonstrict
from evote.ballots.encrypted import encrypt_ballot
from evote.ballots.plaintext import PlaintextBallot
from evote.board.board import Board
from evote.board.receipt import Receipt, check_receipt_signature
from evote.ceremony.wire import ceremony_result_to_json
from evote.cli.workspace import (
    BOARD_KEY_FILE,
    CEREMONY_FILE,
    CONFIG_FILE,
    CREDENTIALS_FILE,
    MANIFEST_FILE,
    ElectionDir,
    tally_from_json,
    write_public,
    write_secret,
)
from evote.tally.wire import decryption_share_to_json
from evote.tallying import trustee_decryption_share
from tests.board.helpers import BOARD_KEY
from tests.cli.test_workflow import ok
from tests.service.helpers import JSON, Served, serve_election

#: Bounds the wait for the server to listen, so that a broken start fails instead of hanging.
READY_ATTEMPTS = 600


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def election_directory(served: Served, directory: Path, database: str | None) -> Path:
    """The officer's election directory of ``served`` (what 'evote election init' and the
    ceremony would have written), so that the CLI's close and tally work on it."""
    election = served.election
    write_public(directory / CONFIG_FILE, ElectionDir.config_bytes(served.election_id, database))
    write_public(directory / MANIFEST_FILE, election.manifest.canonical_bytes())
    write_secret(directory / BOARD_KEY_FILE, ElectionDir.signing_key_bytes(BOARD_KEY))
    write_public(directory / CEREMONY_FILE, ceremony_result_to_json(served.ceremony))
    write_public(directory / CREDENTIALS_FILE,
                 jsonstrict.dumps(election.credentials.to_json_obj()))  # fmt: skip
    return directory


class Server:
    def __init__(self, *args: str | Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "evote.cli", "serve", "--port", str(self.port),
                   "--log-level", "warning", *map(str, args)]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )

    def wait_ready(self, client: httpx.Client) -> None:
        for _ in range(READY_ATTEMPTS):
            if self.process.poll() is not None:
                output = self.process.stdout.read() if self.process.stdout else ""
                pytest.fail(f"evote serve exited with {self.process.returncode}:\n{output}")
            try:
                client.get(f"{self.base}/api/v1/elections")
            except httpx.TransportError:
                time.sleep(0.1)
            else:
                return
        pytest.fail("evote serve did not listen")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Served, Path, int]]:
    """An open election and its directory; the workers the service runs with."""
    if request.param == "sqlite":
        served = serve_election(tmp_path, "e2e-sqlite")
        yield served, election_directory(served, tmp_path, None), 1
        return
    url = request.getfixturevalue("_postgres_database_url")
    served = serve_election(tmp_path, "e2e-postgres")
    # The same election, set up on the PostgreSQL board instead of the SQLite file.
    with Board(url, BOARD_KEY) as board:
        board.setup(served.election, served.ceremony)
        board.open_election(served.election_id)
    moved = Served(served.election, served.ceremony, served.trustees, served.codes, url,
                   served.key_file)  # fmt: skip
    yield moved, election_directory(moved, tmp_path / "election", url), 2


def test_a_voter_casts_over_http_and_the_officer_s_record_verifies(
    backend: tuple[Served, Path, int], tmp_path: Path
) -> None:
    served, election_dir, workers = backend
    server = Server("--election", election_dir, "--workers", str(workers),
                    "--cast-rate", "0", "--lookup-rate", "0")  # fmt: skip
    api = f"{server.base}/api/v1/elections/{served.election_id}"
    try:
        with httpx.Client(timeout=60) as client:
            server.wait_ready(client)
            receipts = []
            for voter, choice in ((0, "yes"), (1, "no"), (2, "yes")):
                data = served.ballot(voter, choice).canonical_bytes()
                posted = client.post(f"{api}/ballots", content=data, headers=JSON)
                assert posted.status_code == 201, posted.text
                receipts.append(Receipt.from_json_obj(posted.json()))
            check_receipt_signature(receipts[0], served.election.board_key)
            typed = receipts[1].tracking_code.lower()
            looked_up = client.get(f"{api}/ballots/{typed}").json()
            assert looked_up["status"] == "counted"
            assert looked_up["position"] == receipts[1].position

            ok("election", "close", "--election", election_dir)
            assert client.get(f"{api}/head").json()["state"] == "closed"
            late = client.post(f"{api}/ballots", headers=JSON,
                               content=served.ballot(3).canonical_bytes())  # fmt: skip
            assert late.status_code == 409 and late.json()["error"] == "ElectionNotOpen"

            ok("tally", "--election", election_dir)
            tally_path = election_dir / "tally" / "encrypted-tally.json"
            _, _, tally = tally_from_json(tally_path.read_bytes(), str(tally_path))
            shares = tmp_path / "shares"
            for trustee in served.trustees:
                share = trustee_decryption_share(served.election, tally, trustee.share())
                write_public(shares / f"decryption-share-{trustee.index}.json",
                             decryption_share_to_json(served.election.group,
                                                      served.election_id, share))  # fmt: skip
            ok("tally", "combine", "--election", election_dir, shares)
            result = client.get(f"{api}/result")
            assert result.status_code == 200 and result.json()["kind"] == "election-result"

            archive = tmp_path / "record.tar.gz"
            with client.stream("GET", f"{api}/record") as download:
                assert download.status_code == 200
                with archive.open("wb") as out:
                    for chunk in download.iter_bytes():
                        out.write(chunk)
    finally:
        server.stop()
    verified = ok("verify", archive)  # exit status 0, or ok() fails
    assert "record verified" in verified


def test_serve_demo_serves_an_open_election_a_demo_code_can_vote_in(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    server = Server("--demo", "--data", data, "--demo-voters", "2")
    try:
        with httpx.Client(timeout=60) as client:
            server.wait_ready(client)
            [listed] = client.get(f"{server.base}/api/v1/elections").json()["elections"]
            assert listed["state"] == "open"
            api = f"{server.base}/api/v1/elections/{listed['election_id']}"
            kit = client.get(f"{api}/voter-kit").json()
            assert kit["election"]["fingerprint"]
            assert "/static/booth/booth.js" in client.get(server.base + "/").text  # the booth
            code = (data / "demo-codes.txt").read_text().splitlines()[0]
            with Board(str(data / "board.sqlite")) as board:
                election = board.load_election(listed["election_id"])
            selection = {"tram-north": ["yes"], "budget-2027": ["school-gardens"]}
            plaintext = PlaintextBallot.from_selection(election.manifest, selection)
            ballot = encrypt_ballot(election, code, plaintext)
            posted = client.post(f"{api}/ballots", content=ballot.canonical_bytes(),
                                 headers=JSON)  # fmt: skip
            assert posted.status_code == 201, posted.text
    finally:
        server.stop()
