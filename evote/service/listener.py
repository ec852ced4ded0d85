"""A listening socket per worker process (``SO_REUSEPORT``), for ``evote serve --workers N``.

uvicorn shares one listening socket among its workers, and an event loop accepts every
connection waiting when it wakes: a client or a reverse proxy that opens its keep-alive
connections together finds them all on one worker, which then does every cast on one core
while the others idle (the service benchmark saw it at nearly every run, docs/performance.md).
With a socket of its own in each worker, bound to the same address with ``SO_REUSEPORT``, the
kernel spreads new connections over the workers (by a hash of the connection's addresses).

This module imports nothing heavy: a worker unpickles its socket (uvicorn starts its workers
with multiprocessing) before it answers the supervisor's health checks.
"""

from __future__ import annotations

import socket
from typing import Any, Final

#: Where the system has it (Linux, the BSDs); None elsewhere, where the workers share a socket.
REUSE_PORT: Final[int | None] = getattr(socket, "SO_REUSEPORT", None)


class WorkerListener(socket.socket):
    """The service's address: bound (never listening) in the supervisor, which holds the
    address; pickled for a worker process, it becomes there a socket of the worker's own,
    bound to the same address."""

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return (bind_listener, (self.family, self.getsockname()[:2]))


def supervisor_listener(host: str, port: int) -> WorkerListener:
    """The supervisor's socket on ``host``:``port``, once a socket without ``SO_REUSEPORT``
    could bind there: a second ``evote serve`` on the same port then fails, as it does with a
    shared socket, instead of taking half of the first one's connections."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        address: tuple[str, int] = probe.getsockname()[:2]
    return bind_listener(family, address)


def bind_listener(family: int, address: tuple[str, int]) -> WorkerListener:
    """A socket bound to ``address`` with ``SO_REUSEPORT`` (the caller checked REUSE_PORT)."""
    if REUSE_PORT is None:  # pragma: no cover - the callers check it first
        raise OSError("SO_REUSEPORT is not available on this system")
    listener = WorkerListener(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.SOL_SOCKET, REUSE_PORT, 1)
    listener.bind(address)
    return listener
