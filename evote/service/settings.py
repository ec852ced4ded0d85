"""The service's settings, the board key file and the portals' API keys.

The settings travel to each worker process through one environment variable
(:data:`SETTINGS_VARIABLE`, JSON): uvicorn starts its workers by importing the app factory, so
a worker reads the key files itself, and no secret is in the environment, only paths.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from nacl.signing import SigningKey

from evote import jsonstrict
from evote.errors import InvalidInput

SETTINGS_VARIABLE: Final = "EVOTE_SERVE_SETTINGS"
#: The portals' API keys given in the environment instead of a file (same lines as the file).
PORTAL_KEYS_VARIABLE: Final = "EVOTE_PORTAL_KEYS"
#: A ballot is a few kilobytes on ed25519 and some hundreds on modp4096 with large questions.
DEFAULT_MAX_BODY: Final = 4 * 1024 * 1024
PORTAL_KEY_PREFIX: Final = "evp_"
_READ: Final = jsonstrict.Reader(InvalidInput)


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A token bucket: ``rate`` requests a second on average, bursts of ``burst``; 0 is off."""

    rate: float
    burst: int

    @property
    def enabled(self) -> bool:
        return self.rate > 0


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    """What ``evote serve`` was started with (docs/service.md lists each option)."""

    database: str
    board_key_file: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY
    cast_limit: RateLimit = field(default_factory=lambda: RateLimit(5.0, 20))
    lookup_limit: RateLimit = field(default_factory=lambda: RateLimit(10.0, 50))
    cors_origins: tuple[str, ...] = ()
    portal_keys_file: str | None = None
    record_cache: str | None = None
    static_dir: str | None = None
    sqlite_synchronous: str = "FULL"
    #: Threads of a worker process that cast at once (see evote.service.app).
    cast_threads: int = 1
    #: The public pages' and open data's settings (evote.service.pages).
    public_url: str | None = None
    publisher: str | None = None
    licence: str = "etalab-2.0"

    def to_environment(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_environment(cls, text: str) -> ServiceSettings:
        try:
            values: dict[str, Any] = json.loads(text)
            values["cast_limit"] = RateLimit(**values["cast_limit"])
            values["lookup_limit"] = RateLimit(**values["lookup_limit"])
            values["cors_origins"] = tuple(values["cors_origins"])
            return cls(**values)
        except (ValueError, TypeError, KeyError) as fault:
            raise InvalidInput(
                f"{SETTINGS_VARIABLE}: not the service's settings ({fault})"
            ) from None


def read_board_key(path: Path) -> SigningKey:
    """The board's signing key from ``path`` (``board-key.json``, as ``evote election init``
    writes it), refused unless only its owner can read it: the key signs every receipt and
    checkpoint, and one copy readable by another account lets it forge them.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as fault:
        raise InvalidInput(f"--board-key {path}: cannot be read ({fault.strerror})") from None
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise InvalidInput(f"--board-key {path}: not a regular file")
        if info.st_mode & 0o077:
            raise InvalidInput(
                f"--board-key {path}: readable by its group or by others (mode"
                f" {stat.S_IMODE(info.st_mode):04o}); only its owner may read the board's"
                f" signing key: run 'chmod 600 {path}'"
            )
        if info.st_uid != os.geteuid():
            raise InvalidInput(
                f"--board-key {path}: owned by another user (uid {info.st_uid}); the service"
                " must run as the key's owner"
            )
        data = handle.read(4096)
    where = str(path)
    obj = _READ.object(jsonstrict.loads(data, where), where, ("kind", "seed"))
    if obj["kind"] != "evote-board-key":
        _READ.fail(f"{where}.kind", "expected 'evote-board-key'")
    return SigningKey(_READ.b64(obj["seed"], f"{where}.seed", 32))


# -- portals' API keys -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PortalKey:
    """A portal's name and the SHA-256 of its API key (the key itself is never stored).

    The key is 256 random bits (:func:`new_portal_key`), so a plain hash suffices at rest: no
    guess can be tested against it faster than against the service itself.
    """

    portal: str
    digest: bytes
    #: The elections this portal may read; empty: all.
    elections: tuple[str, ...] = ()


def key_digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()


def new_portal_key(portal: str) -> tuple[str, str]:
    """A new API key for ``portal``, and the line that the keys file holds for it."""
    _check_portal_name(portal, "portal name")
    key = PORTAL_KEY_PREFIX + secrets.token_urlsafe(32)
    return key, f"{portal} sha256:{key_digest(key).hex()}"


def _check_portal_name(name: str, where: str) -> None:
    if not name or len(name) > 64 or not all(c.isalnum() or c in "-_." for c in name):
        raise InvalidInput(f"{where}: {name[:64]!r} is not a portal name (letters, digits, -_.)")


def parse_portal_keys(text: str, where: str) -> tuple[PortalKey, ...]:
    """Lines ``NAME sha256:HEX [ELECTION_ID ...]`` (blank lines and ``#`` comments skipped);
    the election ids, if any, are the only ones the portal may read."""
    keys: list[PortalKey] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        here = f"{where}: line {number}"
        if len(parts) < 2 or not parts[1].startswith("sha256:"):
            raise InvalidInput(
                f"{here}: expected 'NAME sha256:HEX' ('evote serve --new-portal-key NAME'"
                " prints one)"
            )
        _check_portal_name(parts[0], here)
        try:
            digest = bytes.fromhex(parts[1].removeprefix("sha256:"))
        except ValueError:
            raise InvalidInput(f"{here}: the digest is not hexadecimal") from None
        if len(digest) != 32:
            raise InvalidInput(f"{here}: the digest is not 32 bytes (64 hex digits)")
        keys.append(PortalKey(parts[0], digest, tuple(parts[2:])))
    return tuple(keys)


def load_portal_keys(settings: ServiceSettings) -> tuple[PortalKey, ...]:
    """The portals' keys: from the file named in the settings, and from the environment."""
    keys: list[PortalKey] = []
    if settings.portal_keys_file is not None:
        path = Path(settings.portal_keys_file)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as fault:
            raise InvalidInput(f"--portal-keys {path}: cannot be read ({fault.strerror})") from None
        keys += parse_portal_keys(text, f"--portal-keys {path}")
    from_environment = os.environ.get(PORTAL_KEYS_VARIABLE, "")
    if from_environment.strip():
        keys += parse_portal_keys(from_environment.replace(";", "\n"), PORTAL_KEYS_VARIABLE)
    return tuple(keys)


def portal_of(keys: tuple[PortalKey, ...], presented: str) -> PortalKey | None:
    """The portal whose key is ``presented``, or None; compares every digest in constant time."""
    digest = key_digest(presented)
    found: PortalKey | None = None
    for key in keys:
        if hmac.compare_digest(key.digest, digest):
            found = key
    return found
