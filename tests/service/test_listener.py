"""The workers' own listening sockets (evote.service.listener): each worker binds its own
socket to the service's address, and a port in use is refused as with a shared socket."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from multiprocessing.reduction import ForkingPickler

import pytest

from evote.service.listener import REUSE_PORT, WorkerListener, supervisor_listener

pytestmark = pytest.mark.skipif(REUSE_PORT is None, reason="no SO_REUSEPORT on this system")


@pytest.fixture
def supervisor() -> Iterator[WorkerListener]:
    with supervisor_listener("127.0.0.1", 0) as listener:
        yield listener


def as_sent_to_a_worker(listener: WorkerListener) -> socket.socket:
    """What a worker process receives: the socket through multiprocessing's pickler."""
    buffer = io.BytesIO()
    ForkingPickler(buffer).dump(listener)
    received: socket.socket = ForkingPickler.loads(buffer.getvalue())
    return received


def test_each_worker_binds_a_socket_of_its_own_to_the_address(supervisor: WorkerListener) -> None:
    first, second = as_sent_to_a_worker(supervisor), as_sent_to_a_worker(supervisor)
    with first, second:
        assert first.fileno() != supervisor.fileno() != second.fileno() != first.fileno()
        assert first.getsockname() == second.getsockname() == supervisor.getsockname()
        assert first.getsockopt(socket.SOL_SOCKET, REUSE_PORT) == 1  # type: ignore[arg-type]
        first.listen()
        # Another socket, not a copy of the first: it does not listen until told to.
        assert second.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 0
        second.listen()
        with socket.create_connection(supervisor.getsockname()[:2], timeout=10):
            pass


def test_a_port_in_use_is_refused() -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        with pytest.raises(OSError, match="in use"):
            supervisor_listener("127.0.0.1", other.getsockname()[1])


def test_a_second_service_on_the_port_is_refused(supervisor: WorkerListener) -> None:
    with as_sent_to_a_worker(supervisor) as worker:
        worker.listen()
        with pytest.raises(OSError, match="in use"):
            supervisor_listener("127.0.0.1", supervisor.getsockname()[1])
