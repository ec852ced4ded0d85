"""The public status, results and lookup pages and the open data, served (docs/service.md).

The pages are :mod:`evote.pages`' renderers applied to an :class:`ElectionView` built from the
live board: the counts :class:`BoardView` keeps per head, the last signed checkpoint at or
before the head, the result entry once tallied, and every spoiled ballot's Benaloh audit judged
(docs/spec.md step 11.7.1). The view is rebuilt only when the head moves; the audits are judged
once each, as their entries arrive, so a page never re-reads the whole board.

Every HTML answer is a page of :mod:`evote.pages.html` (no script, no inline style: it works
under the service's ``default-src 'self'``); every refusal is the service's problem document.
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' signatures.
import threading
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from evote.ballots.encrypted import parse_tracking_code
from evote.board.chain import EntryKind
from evote.errors import BallotNotFound, InvalidInput
from evote.pages.html import (
    LookupAnswer,
    PageLinks,
    render_lookup_page,
    render_results_page,
    render_status_page,
    stylesheet_bytes,
)
from evote.pages.i18n import LANGUAGES, check_language
from evote.pages.opendata import (
    CHECKPOINT_JSON,
    DATAPACKAGE_JSON,
    DCAT_JSONLD,
    DISTRIBUTION_CSV,
    RESULTS_CSV,
    RESULTS_JSON,
    STAGES_CSV,
    TURNOUT_CSV,
    Publication,
    manifest_languages,
    open_data_files,
)
from evote.pages.view import ElectionView, checkpoint_file_bytes
from evote.service.boardview import BoardView, state_of
from evote.service.errors import NotFound
from evote.service.security import TokenBuckets
from evote.service.settings import ServiceSettings
from evote.tallying import published_result
from evote.verify.report import AuditReport
from evote.verify.work import judge_audit

#: The open-data files and their media types (evote.pages.opendata lists what each holds).
OPEN_DATA_TYPES: Final = {
    RESULTS_CSV: "text/csv; charset=utf-8",
    TURNOUT_CSV: "text/csv; charset=utf-8",
    DISTRIBUTION_CSV: "text/csv; charset=utf-8",
    STAGES_CSV: "text/csv; charset=utf-8",
    RESULTS_JSON: "application/json",
    CHECKPOINT_JSON: "application/json",
    DATAPACKAGE_JSON: "application/json",
    DCAT_JSONLD: "application/ld+json",
}
#: What a tallied election's pages and files may be cached for: they never change again.
TALLIED_CACHE: Final = "public, max-age=3600"
#: Accept-Language is read this far only: a client cannot make the service parse a long list.
ACCEPT_LANGUAGE_LIMIT: Final = 512
#: A typed tracking code is shown back at most this long.
TYPED_CODE_LIMIT: Final = 120


@dataclass(frozen=True, slots=True)
class _Kept:
    at: tuple[int, bytes]
    view: ElectionView


@dataclass(frozen=True, slots=True)
class _Judged:
    """The audits of the spoiled entries at positions up to ``last``."""

    last: int
    audits: tuple[AuditReport, ...]


@dataclass(frozen=True, slots=True)
class _Published:
    at: tuple[int, bytes]
    base_url: str
    files: dict[str, bytes]


class PageViews:
    """Each election's :class:`ElectionView` and open data, kept per head."""

    def __init__(self, board_view: BoardView, settings: ServiceSettings) -> None:
        self.board_view = board_view
        self.settings = settings
        self._views: dict[str, _Kept] = {}
        self._judged: dict[str, _Judged] = {}
        self._published: dict[str, _Published] = {}
        self._judge_lock = threading.Lock()

    def view(self, election_id: str) -> ElectionView:
        """The election's view at its current head (UnknownElection if there is none)."""
        board = self.board_view.board
        election = self.board_view.election(election_id)
        head = self.board_view.head(election_id)
        at = (head.position, head.chain_hash)
        kept = self._views.get(election_id)
        if kept is not None and kept.at == at:
            return kept.view
        counts = self.board_view.counts(election_id, head)
        # A checkpoint signed after the head was read belongs to the next view.
        checkpoints = [c for c in board.checkpoints(election_id) if c.position <= head.position]
        state = state_of(head)
        view = ElectionView(
            manifest=election.manifest,
            state=state,
            fingerprint=election.fingerprint,
            board_key=election.board_key,
            ballots=counts.ballots,
            spoiled=counts.spoiled,
            last_checkpoint=checkpoints[-1] if checkpoints else None,
            result=published_result(board, election_id) if state == "tallied" else None,
            audits=self._audits(election_id, head.position),
        )
        self._views[election_id] = _Kept(at, view)
        return view

    def _audits(self, election_id: str, last: int) -> tuple[AuditReport, ...]:
        """The spoiled ballots' verdicts up to ``last``: each entry is judged once, when first
        seen (the board is append-only, so a judged entry never changes)."""
        with self._judge_lock:
            judged = self._judged.get(election_id, _Judged(0, ()))
            if last > judged.last:
                election = self.board_view.election(election_id)
                fresh = self.board_view.board.store.entries(
                    election_id, judged.last + 1, last + 1, EntryKind.SPOILED
                )
                lines = judged.audits + tuple(
                    judge_audit(election, entry.position, entry.payload) for entry in fresh
                )
                judged = _Judged(last, lines)
                self._judged[election_id] = judged
        return tuple(line for line in judged.audits if line.position <= last)

    def open_data(self, election_id: str, name: str, origin: str) -> bytes:
        """One open-data file; the checkpoint from the first one on, the others once tallied."""
        view = self.view(election_id)
        if name not in OPEN_DATA_TYPES:
            raise NotFound(
                f"{name[:64]!r} is not an open-data file (expected one of"
                f" {', '.join(OPEN_DATA_TYPES)})"
            )
        if name == CHECKPOINT_JSON:
            if view.last_checkpoint is None:
                raise NotFound(f"election {election_id!r} has no signed checkpoint yet")
            return checkpoint_file_bytes(view.last_checkpoint)
        if view.result is None:
            raise NotFound(
                f"election {election_id!r} has no result yet (it is {view.state}): its open"
                " data is published with the result"
            )
        base_url = self._base_url(election_id, origin)
        head = self.board_view.head(election_id)
        at = (head.position, head.chain_hash)
        kept = self._published.get(election_id)
        if kept is None or kept.at != at or kept.base_url != base_url:
            # One kept per election: a client sending many Host headers cannot fill memory.
            files = open_data_files(view, self._publication(base_url))
            kept = _Published(at, base_url, files)
            self._published[election_id] = kept
        if name not in kept.files:
            # Published only for an election with grades or ranking (STV) questions.
            raise NotFound(
                f"election {election_id!r} publishes no {name}: it has no question that needs it"
            )
        return kept.files[name]

    def _base_url(self, election_id: str, origin: str) -> str:
        root = (self.settings.public_url or origin).rstrip("/")
        return f"{root}/elections/{quote(election_id, safe='')}/open-data/"

    def _publication(self, base_url: str) -> Publication:
        publisher = self.settings.publisher or urlsplit(base_url).hostname or "evote"
        return Publication(base_url=base_url, publisher=publisher, licence=self.settings.licence)


def check_page_settings(settings: ServiceSettings) -> None:
    """Refuse a malformed ``--public-url``, ``--publisher`` or ``--licence`` at start-up."""
    base = (settings.public_url or "http://localhost").rstrip("/") + "/"
    if settings.public_url is not None and urlsplit(settings.public_url).query:
        raise InvalidInput(f"--public-url {settings.public_url!r}: give an address without '?'")
    try:
        Publication(base, settings.publisher or "evote", settings.licence)
    except InvalidInput as fault:
        raise InvalidInput(
            f"the open data's settings (--public-url, --publisher, --licence): {fault}"
        ) from None


def accepted_languages(header: str) -> list[str]:
    """The primary language tags of an Accept-Language header, most wanted first (RFC 9110
    section 12.5.4); a tag with ``q=0`` is refused, a malformed weight read as 0."""
    weighted: list[tuple[float, int, str]] = []
    for order, item in enumerate(header[:ACCEPT_LANGUAGE_LIMIT].split(",")):
        tag, _, parameters = item.partition(";")
        primary = tag.strip().split("-")[0].lower()
        weight = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                weight = float(value)
            except ValueError:
                weight = 0.0
        if primary and weight > 0:
            weighted.append((-weight, order, primary))
    return [primary for _, _, primary in sorted(weighted)]


def page_language(request: Request, view: ElectionView) -> str:
    """``?lang=`` if given (InvalidInput if the pages do not speak it), else the first of the
    client's Accept-Language the pages speak, else the manifest's first that they speak."""
    typed = request.query_params.get("lang")
    if typed is not None:
        return check_language(typed)
    wanted = accepted_languages(request.headers.get("accept-language", ""))
    for lang in [*wanted, *manifest_languages(view.manifest)]:
        if lang in LANGUAGES:
            return lang
    return LANGUAGES[0]


def _page(text: str, lang: str, view: ElectionView, status: int = 200) -> Response:
    cache = TALLIED_CACHE if view.state == "tallied" and status == 200 else "no-cache"
    headers = {"cache-control": cache, "content-language": lang, "vary": "Accept-Language"}
    return HTMLResponse(text, status, headers=headers)


def add_public_pages(app: FastAPI, board_view: BoardView, settings: ServiceSettings) -> None:
    """The status, results and lookup pages, the open data and the pages' stylesheet."""
    check_page_settings(settings)
    views = PageViews(board_view, settings)
    app.state.page_views = views
    lookup_buckets = TokenBuckets(settings.lookup_limit, "looking up ballots")
    stylesheet = stylesheet_bytes()

    @app.get("/static/pages/pages.css", include_in_schema=False)
    def pages_stylesheet() -> Response:
        return Response(stylesheet, media_type="text/css",
                        headers={"cache-control": "public, max-age=3600"})  # fmt: skip

    @app.get("/elections/{election_id}/status", include_in_schema=False)
    def status_page(election_id: str, request: Request) -> Response:
        view = views.view(election_id)
        lang = page_language(request, view)
        return _page(render_status_page(view, lang, _links(election_id)), lang, view)

    @app.get("/elections/{election_id}/results", include_in_schema=False)
    def results_page(election_id: str, request: Request) -> Response:
        # Before the tally: the page says so and links the status page, with the 404 that
        # GET /api/v1/elections/{id}/result answers.
        view = views.view(election_id)
        lang = page_language(request, view)
        text = render_results_page(view, lang, _links(election_id))
        return _page(text, lang, view, 200 if view.result is not None else 404)

    @app.get("/elections/{election_id}/lookup", include_in_schema=False)
    def lookup_page(election_id: str, request: Request) -> Response:
        view = views.view(election_id)
        lang = page_language(request, view)
        typed = request.query_params.get("code", "").strip()
        answer, status = None, 200
        if typed:
            lookup_buckets.take(request.client.host if request.client else "unknown")
            answer, status = _look_up(board_view, election_id, typed)
        text = render_lookup_page(view, answer, lang, _links(election_id))
        response = _page(text, lang, view, status)
        response.headers["cache-control"] = "no-store"  # the typed code is the voter's
        return response

    @app.get("/elections/{election_id}/open-data/{name}", include_in_schema=False)
    def open_data(election_id: str, name: str, request: Request) -> Response:
        data = views.open_data(election_id, name, str(request.base_url))
        tallied = board_view.is_immutable(election_id)
        return Response(data, media_type=OPEN_DATA_TYPES[name], headers={
            "cache-control": TALLIED_CACHE if tallied else "no-cache",
            "content-disposition": f'attachment; filename="{name}"',
        })  # fmt: skip


def _links(election_id: str) -> PageLinks:
    return PageLinks.served(election_id)


def _look_up(board_view: BoardView, election_id: str, typed: str) -> tuple[LookupAnswer, int]:
    """What the board says of a typed code, and the HTTP status the API gives it."""
    shown = typed[:TYPED_CODE_LIMIT]
    try:
        code = parse_tracking_code(typed)
    except InvalidInput:
        return LookupAnswer(shown, "malformed"), 400
    try:
        found = board_view.ballot_status(election_id, code)
    except (BallotNotFound, NotFound):
        return LookupAnswer(shown, "not-found", code), 404
    return LookupAnswer(shown, found.status, code, found.position), 200
