"""The service's guards: body size, rate limits, security headers, a log without addresses.

Each is a plain ASGI middleware or a small class: they run on every request, the cast among
them, so they cost a few microseconds and hold no lock across an await.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from typing import Any, Final

from evote import jsonstrict
from evote.errors import EvoteError
from evote.service.errors import PROBLEM_MEDIA_TYPE, PayloadTooLarge, RateLimited, problem
from evote.service.settings import RateLimit

Scope = dict[str, Any]
Message = dict[str, Any]
ASGIApp = Any

ACCESS_LOG: Final = logging.getLogger("evote.service.access")

#: Only the service's own scripts, styles and images; no inline script or style; never framed.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self';"
    " frame-ancestors 'none'"
)
SECURITY_HEADERS: Final = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


class SecurityHeaders:
    """Adds the security headers to every response, and ``Cache-Control: no-cache`` where the
    endpoint set none (the board changes with every cast: a cache must ask again)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [item for item in SECURITY_HEADERS if item[0] not in names]
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-cache"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuses a request body larger than ``limit`` bytes with 413, before reading it when
    ``Content-Length`` says so, and as soon as a chunked body goes beyond it otherwise."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = limit + 1
                if declared > limit:
                    refusal = PayloadTooLarge(
                        f"request body: {declared} bytes declared, more than {limit},"
                        " the service's limit"
                    )
                    await send_problem(send, refusal)
                    return
                break
        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            message: Message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(
                        f"request body: more than {limit} bytes, the service's limit"
                    )
            return message

        await self.app(scope, bounded_receive, send)


async def send_problem(send: Any, error: EvoteError) -> None:
    """Answer with ``error``'s problem document, from a middleware (outside the routes)."""
    document = problem(error)
    body = jsonstrict.dumps(document)
    await send(
        {
            "type": "http.response.start",
            "status": document["status"],
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class AccessLog:
    """One line per request: method, path, status, milliseconds; never the client's address.

    A ballot's tracking code is public on the board; an address beside it would link a voter
    to a ballot, so no line this service writes holds one (uvicorn's own access log is off).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not ACCESS_LOG.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            elapsed = (time.perf_counter() - start) * 1000
            ACCESS_LOG.info("%s %s %d %.1fms", scope["method"], scope["path"], status, elapsed)


class TokenBuckets:
    """Per-client token buckets, in this process (each worker process has its own).

    A client is its address as the server sees it (the reverse proxy's ``X-Forwarded-For``
    when uvicorn is told to trust it). The table keeps the most recently seen ``capacity``
    clients; one forgotten starts again with a full bucket, which is the state a quiet
    client's bucket would have reached anyway.
    """

    def __init__(self, limit: RateLimit, what: str, capacity: int = 100_000) -> None:
        self.limit = limit
        self.what = what
        self.capacity = capacity
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str, now: float | None = None) -> None:
        """Take one token for ``client``; RateLimited (with the seconds to wait) if none."""
        if not self.limit.enabled:
            return
        moment = time.monotonic() if now is None else now
        rate, burst = self.limit.rate, float(self.limit.burst)
        with self._lock:
            tokens, last = self._buckets.pop(client, (burst, moment))
            tokens = min(burst, tokens + (moment - last) * rate)
            if tokens < 1.0:
                self._buckets[client] = (tokens, moment)
                wait = math.ceil((1.0 - tokens) / rate)
                raise RateLimited(
                    f"{self.what}: more than {self.limit.burst} requests at once or"
                    f" {self.limit.rate:g} a second from this client; retry in {wait} s",
                    wait,
                )
            self._buckets[client] = (tokens - 1.0, moment)
            while len(self._buckets) > self.capacity:
                self._buckets.popitem(last=False)
