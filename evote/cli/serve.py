"""``evote serve``: the voting service over HTTP (docs/service.md).

Runs the ASGI app of :mod:`evote.service` under uvicorn, on the board that officers run with
the other ``evote`` commands. The web framework is imported only when the command runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from evote.pages.opendata import DEFAULT_LICENCE, LICENCES

Handler = Callable[[argparse.Namespace], int]


def _serve(args: argparse.Namespace) -> int:
    from evote.cli.serving import run  # noqa: PLC0415 - the web framework, on demand

    return run(args)


def register(commands: Any) -> None:
    serve = commands.add_parser("serve", help="the voting service: an HTTP API over the board")
    where = serve.add_argument_group("the board")
    where.add_argument(
        "--database",
        metavar="URL",
        help="the board: a SQLite file or a postgresql:// URL (keep the password in ~/.pgpass)",
    )
    where.add_argument(
        "--board-key",
        metavar="FILE",
        help="the board's signing key"
        " (board-key.json, mode 0600); without it the service is read-only",
    )
    where.add_argument(
        "--election", metavar="DIR", help="take the board and its key from this election directory"
    )
    http = serve.add_argument_group("HTTP")
    http.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    http.add_argument("--port", type=int, default=8000, help="port (8000)")
    http.add_argument("--workers", type=int, default=1, help="worker processes (1)")
    http.add_argument(
        "--forwarded-allow-ips",
        default="127.0.0.1",
        metavar="IPS",
        help="reverse proxies whose X-Forwarded-For is trusted (127.0.0.1)",
    )
    http.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    limits = serve.add_argument_group("limits and security")
    limits.add_argument(
        "--max-body",
        type=int,
        default=4 * 1024 * 1024,
        metavar="BYTES",
        help="largest request body (4 MiB)",
    )
    limits.add_argument(
        "--cast-rate",
        type=float,
        default=5.0,
        metavar="N",
        help="casts a second per client, each worker (5; 0: no limit)",
    )
    limits.add_argument("--cast-burst", type=int, default=20, metavar="N", help="(20)")
    limits.add_argument(
        "--lookup-rate",
        type=float,
        default=10.0,
        metavar="N",
        help="lookups a second per client, each worker (10; 0: no limit)",
    )
    limits.add_argument("--lookup-burst", type=int, default=50, metavar="N", help="(50)")
    limits.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a portal's origin allowed by CORS (repeat; none by default)",
    )
    limits.add_argument(
        "--portal-keys",
        metavar="FILE",
        help="the portals' API key hashes (lines 'NAME sha256:HEX'; also $EVOTE_PORTAL_KEYS)",
    )
    limits.add_argument(
        "--new-portal-key",
        metavar="NAME",
        help="print a new API key for portal NAME and its line, and exit",
    )
    other = serve.add_argument_group("other")
    other.add_argument(
        "--record-cache",
        metavar="DIR",
        help="where exported records are kept (a temporary directory)",
    )
    other.add_argument("--static", metavar="DIR", help="the booth's files (the packaged ones)")
    other.add_argument(
        "--sqlite-synchronous",
        default="FULL",
        choices=["FULL", "NORMAL"],
        help="SQLite's synchronous pragma (FULL: a receipt survives a power cut)",
    )
    other.add_argument(
        "--cast-threads",
        type=int,
        metavar="N",
        help="casts at once in each worker (1; more only for a distant PostgreSQL server)",
    )
    other.add_argument(
        "--print-openapi",
        metavar="FILE",
        nargs="?",
        const="-",
        help="write the OpenAPI document (to FILE, or standard output) and exit",
    )
    demo = serve.add_argument_group("demo")
    demo.add_argument(
        "--demo",
        action="store_true",
        help="serve a demo election, open, on a SQLite board in --data DIR",
    )
    demo.add_argument("--data", metavar="DIR", help="the demo's directory (reused if there)")
    demo.add_argument(
        "--demo-voters",
        type=int,
        default=20,
        metavar="N",
        help="voters of a new demo election (20)",
    )
    demo.add_argument(
        "--close-and-tally",
        action="store_true",
        help="close the demo election in --data DIR, tally it with the demo's kept trustee"
        " shares, publish the result on its board, and exit (a running service shows it)",
    )
    pages = serve.add_argument_group("public pages and open data")
    pages.add_argument(
        "--public-url",
        metavar="URL",
        help="the service's public address, in the open data's download links"
        " (the request's own address)",
    )
    pages.add_argument(
        "--publisher",
        metavar="NAME",
        help="who publishes the open data, in its metadata (the public address's host name)",
    )
    pages.add_argument(
        "--licence",
        choices=sorted(LICENCES),
        default=DEFAULT_LICENCE,
        help=f"the open data's licence ({DEFAULT_LICENCE})",
    )
    handler: Handler = _serve
    serve.set_defaults(handler=handler)
