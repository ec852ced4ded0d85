"""What ``evote serve`` does once its arguments are read (evote.cli.serve registers them).

A module apart from the command's registration, so that ``evote --help`` and the other
commands never import the web framework.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG
from uvicorn.supervisors import Multiprocess

from evote.board.storage import shown_location
from evote.cli.demo import (
    CODES_FILE,
    SHARES_FILE,
    close_and_tally_served_demo,
    prepare_served_demo,
)
from evote.cli.workspace import BOARD_KEY_FILE, ElectionDir
from evote.errors import InvalidInput
from evote.service.app import create_app
from evote.service.listener import REUSE_PORT, supervisor_listener
from evote.service.settings import (
    SETTINGS_VARIABLE,
    RateLimit,
    ServiceSettings,
    new_portal_key,
)

APP_FACTORY = "evote.service.app:app_from_environment"


def _settings(args: argparse.Namespace) -> ServiceSettings:

    database, board_key = args.database, args.board_key
    if args.demo:
        if args.data is None:
            raise InvalidInput("--demo needs --data DIR: where the demo's board and codes live")
        demo = prepare_served_demo(Path(args.data), args.demo_voters)
        database, board_key = str(demo.database), str(demo.board_key)
        what = "reused" if demo.reused else "created and opened"
        print(f"demo election {demo.election_id!r} {what} in {args.data};"
              f" voters' codes in {Path(args.data) / CODES_FILE}")  # fmt: skip
    elif args.election is not None:
        election_dir = ElectionDir(args.election)
        database = database or election_dir.board_location
        board_key = board_key or str(election_dir.path / BOARD_KEY_FILE)
    if database is None:
        raise InvalidInput("give --database URL (or --election DIR, or --demo --data DIR)")
    if board_key is None:
        print("evote serve: no --board-key: read-only, casting is refused", file=sys.stderr)
    print(f"board: {shown_location(database)}")
    return ServiceSettings(
        database=database,
        board_key_file=board_key,
        max_body_bytes=args.max_body,
        cast_limit=RateLimit(args.cast_rate, args.cast_burst),
        lookup_limit=RateLimit(args.lookup_rate, args.lookup_burst),
        cors_origins=tuple(args.cors_origin),
        portal_keys_file=args.portal_keys,
        record_cache=args.record_cache,
        static_dir=args.static,
        sqlite_synchronous=args.sqlite_synchronous,
        cast_threads=args.cast_threads or 1,
        public_url=args.public_url,
        publisher=args.publisher,
        licence=args.licence,
    )


def _log_config(level: str) -> dict[str, Any]:

    config: dict[str, Any] = json.loads(json.dumps(LOGGING_CONFIG))
    config["loggers"]["evote.service"] = {"handlers": ["default"], "level": level.upper()}
    config["loggers"]["evote.service.access"] = {
        "handlers": ["default"], "level": level.upper(), "propagate": False,
    }  # fmt: skip
    return config


def run(args: argparse.Namespace) -> int:
    """Run ``evote serve`` with the parsed ``args``; the exit status."""
    if args.new_portal_key is not None:
        key, line = new_portal_key(args.new_portal_key)
        print(f"API key (give it to the portal, keep it secret): {key}")
        print(f"line for the --portal-keys file: {line}")
        return 0
    if args.print_openapi:
        return _print_openapi(args)
    if args.close_and_tally:
        return _close_and_tally(args)
    if args.workers < 1:
        raise InvalidInput(f"--workers {args.workers}: give at least 1")
    settings = _settings(args)

    # Read the key files and open the board once here: a fault is one clear line before any
    # worker starts, not a traceback per worker.
    probe = create_app(settings)
    probe.state.view.close()

    os.environ[SETTINGS_VARIABLE] = settings.to_environment()
    print(f"evote serve: http://{args.host}:{args.port}/ ({args.workers} worker(s))", flush=True)
    options: dict[str, Any] = {
        "factory": True,
        "host": args.host,
        "port": args.port,
        "workers": args.workers,
        "access_log": False,  # its lines hold the client's address: evote's own log has none
        "proxy_headers": True,
        "forwarded_allow_ips": args.forwarded_allow_ips,
        "log_config": _log_config(args.log_level),
        "log_level": args.log_level,
        "server_header": False,
    }
    if args.workers > 1 and REUSE_PORT is not None:
        _run_workers(uvicorn.Config(APP_FACTORY, **options))
    else:
        uvicorn.run(APP_FACTORY, **options)
    return 0


def _run_workers(config: uvicorn.Config) -> None:
    """uvicorn's multiprocess supervisor (restarts, signals), with a socket per worker
    (evote.service.listener) instead of one that they share."""
    try:
        listener = supervisor_listener(config.host, config.port)
    except OSError as fault:
        raise InvalidInput(f"--host {config.host} --port {config.port}: {fault.strerror}") from None
    try:
        Multiprocess(config, sockets=[listener]).run()
    except KeyboardInterrupt:  # pragma: no cover - the supervisor handles SIGINT itself
        pass
    finally:
        listener.close()


def _close_and_tally(args: argparse.Namespace) -> int:
    """Close and tally the demo election (a service running on it shows the result at once)."""
    if not args.demo or args.data is None:
        raise InvalidInput("--close-and-tally is for the demo: give --demo --data DIR")
    directory = Path(args.data)
    demo = prepare_served_demo(directory, args.demo_voters)
    result = close_and_tally_served_demo(directory)
    print(f"demo election {demo.election_id!r} closed and tallied with the trustees' shares"
          f" kept in {directory / SHARES_FILE} (a demo only);"
          f" {result.turnout.ballots} ballot(s) counted")  # fmt: skip
    print(f"results: /elections/{demo.election_id}/results on the service")
    return 0


def _print_openapi(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="evote-openapi-") as scratch:
        app = create_app(ServiceSettings(database=str(Path(scratch) / "empty.sqlite")))
        document = app.openapi()
        app.state.view.close()
    text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if args.print_openapi == "-":
        sys.stdout.write(text)
    else:
        Path(args.print_openapi).write_text(text, encoding="utf-8")
    return 0
