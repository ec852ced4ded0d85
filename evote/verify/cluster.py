"""Executors that ship a large value to their workers once, not with every task.

The verifier's tasks on a cluster carry the election they check (the board's setup payload:
69 MB at a million voters on ed25519, because it holds the credential list) next to a chunk of
a few hundred ballots (~1 KB each). Sent with every task, a million-ballot record would move
the payload two thousand times. An executor that also has :meth:`SharingExecutor.share` gets
it once: the verifier passes the handle ``share`` returns in place of the value, and the
executor's workers receive the value itself.

:class:`DaskExecutor` does this for Dask distributed (``Client.scatter`` with
``broadcast=True``: one copy per worker, fetched once; the scheduler replaces the handle by the
value when a task runs). See docs/scale.md for running ``evote verify --dask`` on a cluster.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, Protocol, TypeVar, runtime_checkable

_T = TypeVar("_T")


@runtime_checkable
class SharingExecutor(Protocol):
    """An executor that can place a value on its workers once (see the module doc)."""

    def share(self, value: Any) -> Any:
        """A handle to pass to :meth:`~concurrent.futures.Executor.submit` for ``value``."""
        ...


class DaskExecutor(Executor):
    """A Dask distributed client as a :class:`concurrent.futures.Executor` that shares."""

    def __init__(self, client: Any) -> None:
        self._client = client
        # pure=False: two tasks with equal arguments are still two tasks (no result reuse).
        self._executor: Executor = client.get_executor(pure=False)

    def submit(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> Future[_T]:
        return self._executor.submit(fn, *args, **kwargs)

    def worker_threads(self) -> int:
        """The threads of the workers connected now (a task each at a time)."""
        threads: dict[Any, int] = self._client.nthreads()
        return sum(threads.values())

    def share(self, value: Any) -> Any:
        # hash=False: the payload is not hashed by Dask (the verifier has its digest already).
        return self._client.scatter(value, broadcast=True, hash=False)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._executor.shutdown(wait=wait)
