"""The voting service's ASGI application: :func:`create_app` (docs/service.md).

FastAPI (on Starlette) builds the routes and the OpenAPI document; the cast reads the raw
body and hands the bytes to :meth:`evote.board.Board.cast_ballot`, so no model validation sits
on the hot path: the ballot's canonical JSON is the one format a ballot has (docs/spec.md 6.1),
and ``decode_ballot`` is its strict reader; :class:`CastFastPath` calls the cast's endpoint
before the router. Answers are JSON written by :func:`evote.jsonstrict.dumps`; every error is
a problem document (:mod:`evote.service.errors`).
The board's calls block (SQLAlchemy, the proofs' arithmetic), so the routes that make them
run in threads: the reads in Starlette's thread pool, the casts in at most
``settings.cast_threads`` threads of each worker process.
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' Annotated dependencies
# at definition time, and they name functions local to create_app.
import logging
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Final, TypeVar

import anyio
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.staticfiles import StaticFiles

from evote import __version__, jsonstrict
from evote.board.board import Board
from evote.errors import EvoteError, InvalidInput
from evote.service import openapi
from evote.service.boardview import BoardView
from evote.service.errors import (
    PROBLEM_MEDIA_TYPE,
    Forbidden,
    InternalError,
    MethodNotAllowed,
    NotAuthenticated,
    NotFound,
    RateLimited,
    UnsupportedMediaType,
    problem,
    status_of,
)
from evote.service.pages import add_public_pages
from evote.service.security import (
    AccessLog,
    BodyLimit,
    SecurityHeaders,
    TokenBuckets,
    send_problem,
)
from evote.service.settings import (
    SETTINGS_VARIABLE,
    PortalKey,
    ServiceSettings,
    load_portal_keys,
    portal_of,
    read_board_key,
)

LOG: Final = logging.getLogger("evote.service")
API: Final = "/api/v1"
JSON: Final = "application/json"
#: What a tallied election's documents may be cached for: they never change again.
IMMUTABLE: Final = "public, max-age=86400, immutable"
BOOTH_DIR: Final = Path(__file__).parent / "static" / "booth"
#: What a board write of the service (a cast, an audit) gives back.
_Written = TypeVar("_Written")
#: The cast's path (its route in _add_public_routes), which CastFastPath answers.
CAST_PATH: Final = re.compile(rf"{API}/elections/(?P<election_id>[^/]+)/ballots")
#: The cast's endpoint: the election id and the request to the response.
CastEndpoint = Callable[[str, Request], Awaitable[Response]]


def _json(value: Any, status: int = 200) -> Response:
    return Response(jsonstrict.dumps(value), status, media_type=JSON)


def problem_response(error: EvoteError) -> Response:
    document = problem(error)
    headers = {}
    if isinstance(error, RateLimited):
        headers["retry-after"] = str(error.retry_after)
    if isinstance(error, NotAuthenticated):
        headers["www-authenticate"] = 'Bearer realm="evote portal API"'
    return Response(
        jsonstrict.dumps(document), document["status"], headers, media_type=PROBLEM_MEDIA_TYPE
    )


class CatchAll:
    """The last guard: an exception that no handler took becomes a 500 problem that names
    nothing of it, and one line in the log (no traceback reaches the client)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        started = False

        async def noting_send(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, noting_send)
        except Exception as fault:
            if scope["type"] != "http":
                raise
            if isinstance(fault, EvoteError):  # raised by a middleware's receive (BodyLimit)
                error: EvoteError = fault
            else:
                LOG.error(
                    "internal error on %s %s: %s: %s",
                    scope.get("method"), scope.get("path"), type(fault).__name__,
                    str(fault).splitlines()[0] if str(fault) else "",
                )  # fmt: skip
                error = InternalError("the service failed to answer; the fault is in its log")
            if not started:
                await send_problem(send, error)


class CastFastPath:
    """Answers ``POST .../elections/{id}/ballots`` with the cast's own endpoint, before
    FastAPI's exception middleware, router and dependency solving, which the cast needs none
    of: they cost some 60 µs of CPU a cast, 40 % of what the app spends on a cast apart from
    the board's ~3 ms (docs/performance.md, the service).

    The route stays declared (the OpenAPI document describes it) and the answer is the same:
    the endpoint's response, or the problem document of the EvoteError it raised, as the
    exception handler writes it. The middlewares outside this one (body limit, security
    headers, access log, CatchAll) see the cast as they see every request.
    """

    def __init__(self, app: Any, endpoint: CastEndpoint) -> None:
        self.app = app
        self.endpoint = endpoint

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            found = CAST_PATH.fullmatch(_route_path(scope))
            if found is not None:
                request = Request(scope, receive, send)
                try:
                    response = await self.endpoint(found["election_id"], request)
                except EvoteError as error:
                    response = await _on_evote_error(request, error)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _route_path(scope: Any) -> str:
    """The path that the router matches: without the root path, if the server set one."""
    path: str = scope["path"]
    root = scope.get("root_path", "")
    if root and path.startswith(root + "/"):
        return path[len(root) :]
    return path


def _client(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def create_app(settings: ServiceSettings) -> FastAPI:
    """The service on the board at ``settings.database``; the key files are read here."""
    signing_key = (
        None if settings.board_key_file is None else read_board_key(Path(settings.board_key_file))
    )
    portal_keys = load_portal_keys(settings)
    board = Board(settings.database, signing_key, sqlite_synchronous=settings.sqlite_synchronous)
    view = BoardView(
        board, signing_key, None if settings.record_cache is None else Path(settings.record_cache)
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        view.close()

    app = FastAPI(
        title="evote voting service",
        version=__version__,
        description=openapi.DESCRIPTION,
        docs_url=None,  # Swagger UI loads scripts from elsewhere: the CSP forbids it
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.view = view
    app.state.settings = settings
    app.add_exception_handler(EvoteError, _on_evote_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    cast = _add_public_routes(app, view, settings)
    _add_portal_routes(app, view, portal_keys)
    add_public_pages(app, view, settings)
    _add_pages(app, Path(settings.static_dir) if settings.static_dir else BOOTH_DIR)
    _add_middleware(app, settings, cast)
    app.openapi = openapi.builder(app)  # type: ignore[method-assign]
    return app


# -- errors


async def _on_evote_error(_: Request, error: Exception) -> Response:
    if not isinstance(error, EvoteError):  # pragma: no cover - registered for EvoteError
        raise error
    if status_of(error) >= 500:
        LOG.warning("%s: %s", type(error).__name__, error)
    return problem_response(error)


async def _on_http_error(request: Request, error: Exception) -> Response:
    code = getattr(error, "status_code", 500)
    if code == 405:
        return problem_response(
            MethodNotAllowed(f"{request.method} {request.url.path}: not allowed here")
        )
    if code == 404:
        return problem_response(NotFound(f"{request.url.path}: no such resource"))
    # Starlette's other refusals (a malformed request it could not route or read).
    detail = getattr(error, "detail", "") or "malformed request"
    return problem_response(InvalidInput(f"{request.method} {request.url.path}: {detail}"))


async def _on_validation_error(_: Request, error: Exception) -> Response:
    faults: list[dict[str, Any]] = getattr(error, "errors", list)()
    where = ".".join(str(part) for part in faults[0].get("loc", ())) if faults else "request"
    what = faults[0].get("msg", "invalid") if faults else "invalid"
    return problem_response(InvalidInput(f"{where}: {what}"))


# -- routes


def _add_public_routes(app: FastAPI, view: BoardView, settings: ServiceSettings) -> CastEndpoint:
    """The public API's routes; the cast's endpoint, which CastFastPath calls."""
    cast_buckets = TokenBuckets(settings.cast_limit, "casting")
    # Casts in this process run in at most this many threads at once: the checks hold the
    # GIL, so more threads add no speed, only writers waiting on the database's lock (on
    # SQLite, in a busy handler that sleeps) or racing for the election's head (PostgreSQL).
    # Made at the first cast, inside the event loop.
    cast_threads: list[anyio.CapacityLimiter] = []
    lookup_buckets = TokenBuckets(settings.lookup_limit, "looking up ballots")

    def lookup_limit(request: Request) -> None:
        lookup_buckets.take(_client(request))

    async def board_write(
        request: Request, what: str, write: Callable[[str, bytes], _Written], election_id: str
    ) -> _Written:
        """A cast or an audit: its body written on the board in one of the casts' threads.
        Both count against the casting rate limit, taken here rather than as a dependency so
        that the hot path stays short."""
        cast_buckets.take(_client(request))
        data = await _json_body(request, what)
        if not cast_threads:
            cast_threads.append(anyio.CapacityLimiter(settings.cast_threads))
        return await anyio.to_thread.run_sync(write, election_id, data, limiter=cast_threads[0])

    r = openapi.responses

    @app.get(f"{API}/elections", summary="The elections on the board", responses=r(200))
    def list_elections() -> Response:
        return _json({"elections": view.listing()})

    @app.get(f"{API}/elections/{{election_id}}", summary="An election's public data",
             responses=r(200, 404))  # fmt: skip
    def election_summary(election_id: str) -> Response:
        return _json(view.summary(election_id))

    @app.get(
        f"{API}/elections/{{election_id}}/voter-kit",
        summary="What a voter's device needs to encrypt and sign",
        responses=r(200, 404),
    )
    def voter_kit(election_id: str) -> Response:
        kit = view.voter_kit(election_id)
        return Response(kit, media_type=JSON, headers={"cache-control": "public, max-age=300"})

    @app.post(
        f"{API}/elections/{{election_id}}/ballots",
        summary="Cast a ballot (its canonical JSON bytes)",
        status_code=201,
        responses=r(201, 200, 400, 404, 409, 413, 415, 429, 503),
        openapi_extra=openapi.CAST_BODY,
    )
    async def cast(election_id: str, request: Request) -> Response:
        receipt, retried = await board_write(request, "a ballot", view.cast, election_id)
        return _json(receipt.to_json_obj(), 200 if retried else 201)

    @app.post(
        f"{API}/elections/{{election_id}}/audits",
        summary="Publish an audited (spoiled) ballot: the ballot and its revealed audit",
        status_code=201,
        responses=r(201, 400, 404, 409, 413, 415, 429, 503),
        openapi_extra=openapi.AUDIT_BODY,
    )
    async def audit(election_id: str, request: Request) -> Response:
        status = await board_write(request, "an audit", view.spoil, election_id)
        return _json(status.to_json_obj(), 201)

    @app.get(
        f"{API}/elections/{{election_id}}/ballots/{{tracking_code}}",
        summary="A ballot's status by its tracking code", responses=r(200, 400, 404, 429),
        dependencies=[Depends(lookup_limit)],
    )  # fmt: skip
    def ballot_status(election_id: str, tracking_code: str) -> Response:
        return _json(view.ballot_status(election_id, tracking_code).to_json_obj())

    @app.get(f"{API}/elections/{{election_id}}/head", summary="The board's head",
             responses=r(200, 404))  # fmt: skip
    def head(election_id: str) -> Response:
        return _json(view.head_document(election_id))

    @app.get(f"{API}/elections/{{election_id}}/checkpoints",
             summary="The signed checkpoints (the record's checkpoints.json)",
             responses=r(200, 404))  # fmt: skip
    def checkpoints(election_id: str) -> Response:
        return _json(view.checkpoints_document(election_id))

    @app.get(f"{API}/elections/{{election_id}}/result",
             summary="The result (the record's result.json)", responses=r(200, 404))  # fmt: skip
    def result(election_id: str) -> Response:
        return Response(
            view.result(election_id), media_type=JSON, headers={"cache-control": IMMUTABLE}
        )

    @app.get(f"{API}/elections/{{election_id}}/record",
             summary="The election record as a .tar.gz archive", responses=r(200, 404, 409),
             response_class=FileResponse)  # fmt: skip
    def record(election_id: str) -> Response:
        path = view.record_archive(election_id)
        return _file(view, election_id, path, "application/gzip", f"{election_id}-record.tar.gz")

    @app.get(f"{API}/elections/{{election_id}}/record/{{name}}",
             summary="One file of the election record", responses=r(200, 404, 409),
             response_class=FileResponse)  # fmt: skip
    def record_file(election_id: str, name: str) -> Response:
        path = view.record_file(election_id, name)
        media = "application/x-ndjson" if name.endswith(".jsonl") else JSON
        return _file(view, election_id, path, media, None)

    return cast


async def _json_body(request: Request, what: str) -> bytes:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != JSON:
        raise UnsupportedMediaType(
            f"Content-Type {media_type or '(none)'!r}: {what} is sent as {JSON}"
        )
    return await request.body()


def _add_portal_routes(app: FastAPI, view: BoardView, portal_keys: tuple[PortalKey, ...]) -> None:
    r = openapi.responses

    def portal(request: Request) -> PortalKey:
        header = request.headers.get("authorization", "")
        scheme, _, presented = header.partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise NotAuthenticated(
                "the portal API needs 'Authorization: Bearer <API key>'"
                " ('evote serve --new-portal-key NAME' makes one)"
            )
        found = portal_of(portal_keys, presented.strip())
        if found is None:
            raise NotAuthenticated("this API key is not one of the service's portal keys")
        return found

    def require_election_for(key: PortalKey, election_id: str) -> None:
        if key.elections and election_id not in key.elections:
            raise Forbidden(f"portal {key.portal!r} may not read election {election_id!r}")

    @app.get(f"{API}/portal/elections", summary="Every election's state and counts (portals)",
             responses=r(200, 401))  # fmt: skip
    def portal_elections(key: Annotated[PortalKey, Depends(portal)]) -> Response:
        ids = [i for i in view.election_ids() if not key.elections or i in key.elections]
        return _json({"portal": key.portal, "elections": [_portal_entry(view, i) for i in ids]})

    @app.get(f"{API}/portal/elections/{{election_id}}",
             summary="One election's state and counts (portals)",
             responses=r(200, 401, 403, 404))  # fmt: skip
    def portal_election(election_id: str, key: Annotated[PortalKey, Depends(portal)]) -> Response:
        require_election_for(key, election_id)
        return _json(_portal_entry(view, election_id))


def _add_pages(app: FastAPI, booth: Path) -> None:
    """The booth (its index.html at / and /elections/ID, its files), or a page about the API."""

    @app.get("/", include_in_schema=False)
    def home() -> Response:
        return _booth_page(booth)

    @app.get("/elections/{election_id}", include_in_schema=False)
    def booth_page(election_id: str) -> Response:
        return _booth_page(booth)

    app.mount("/static/booth", StaticFiles(directory=booth, check_dir=False), name="booth")


def _add_middleware(app: FastAPI, settings: ServiceSettings, cast: CastEndpoint) -> None:
    """Innermost first: CatchAll sees every fault, AccessLog every answer."""
    app.add_middleware(CastFastPath, endpoint=cast)
    app.add_middleware(CatchAll)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(AccessLog)


def _portal_entry(view: BoardView, election_id: str) -> dict[str, Any]:
    summary = view.summary(election_id)
    counts = view.counts(election_id)
    election = view.election(election_id)
    return {
        **summary,
        "revotes": counts.revotes,
        "voters": len(election.credentials),
        "checkpoints": len(view.board.checkpoints(election_id)),
    }


def _file(
    view: BoardView, election_id: str, path: Path, media: str, download: str | None
) -> Response:
    cache = IMMUTABLE if view.is_immutable(election_id) else "no-cache"
    return FileResponse(path, media_type=media, filename=download, headers={"cache-control": cache})


_FALLBACK_PAGE: Final = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>evote voting service</title></head>
<body><h1>evote voting service</h1>
<p>The voting booth is not installed here. The API: <a href="/openapi.json">/openapi.json</a>,
the elections: <a href="/api/v1/elections">/api/v1/elections</a>.</p></body></html>
"""


def _booth_page(booth: Path) -> Response:
    index = booth / "index.html"
    if index.is_file():
        return FileResponse(index, media_type="text/html")
    return HTMLResponse(_FALLBACK_PAGE)


def app_from_environment() -> FastAPI:
    """The app of a uvicorn worker process: its settings from :data:`SETTINGS_VARIABLE`."""
    text = os.environ.get(SETTINGS_VARIABLE)
    if not text:
        raise InvalidInput(f"{SETTINGS_VARIABLE} is not set: start the service with 'evote serve'")
    return create_app(ServiceSettings.from_environment(text))
