"""The service tests' election: each test module gets its own referendum on its own board
(a module that needs another election defines its own ``served``) and a client of the service
on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.service.helpers import Served, TestClient, serve_election


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Served:
    return serve_election(tmp_path_factory.mktemp(request.module.__name__.rpartition(".")[2]))


@pytest.fixture(scope="module")
def client(served: Served) -> Iterator[TestClient]:
    with served.client() as client:
        yield client
