"""The errors of the HTTP boundary, and how every error becomes a problem document.

Each error becomes an RFC 9457 problem document (``application/problem+json``) whose ``type``
ends with the exception's class name in kebab case, whose ``detail`` is its message (what is
wrong and where) and whose ``error`` is the class name; the status comes from
:data:`STATUS_OF`, searched along the class's method resolution order. An exception that is
not an :class:`~evote.errors.EvoteError` is a fault of the service: the client gets a 500
problem that names nothing of it, and the log one line.
"""

from __future__ import annotations

import re
from typing import Any, Final

from evote import errors
from evote.errors import EvoteError, InvalidInput

PROBLEM_BASE: Final = "https://evote.example/problems/"
PROBLEM_MEDIA_TYPE: Final = "application/problem+json"


class PayloadTooLarge(InvalidInput):
    """A request body is larger than the service accepts."""


class UnsupportedMediaType(InvalidInput):
    """A request body is not of the media type the endpoint reads."""


class RateLimited(EvoteError, RuntimeError):
    """A client sent more requests than its rate limit allows; it may retry later."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NotFound(EvoteError, LookupError):
    """No such resource: a path the service does not know, or a document not published yet."""


class NotAuthenticated(EvoteError, PermissionError):
    """A portal request without a valid API key."""


class Forbidden(EvoteError, PermissionError):
    """A request whose credential does not allow it (an origin that is not a portal's)."""


class MethodNotAllowed(EvoteError, LookupError):
    """The path exists, not with this HTTP method."""


class ServiceMisconfigured(EvoteError, RuntimeError):
    """The service cannot do what was asked with the settings it was started with."""


class InternalError(EvoteError, RuntimeError):
    """An unexpected fault of the service (its details go to the log, not to the client)."""


#: The status of each error class; a class not named takes its nearest ancestor's.
STATUS_OF: Final[dict[type[BaseException], int]] = {
    EvoteError: 500,
    InvalidInput: 400,
    errors.InvalidProof: 400,
    errors.InvalidSignature: 400,
    errors.ContextMismatch: 400,
    errors.UnknownCredential: 400,
    errors.InvalidRecord: 500,
    errors.DuplicateBallot: 409,
    errors.ElectionNotOpen: 409,
    errors.UnknownElection: 404,
    errors.BallotNotFound: 404,
    errors.StorageUnavailable: 503,
    # The operator must upgrade the database or evote: the service cannot serve until then.
    errors.SchemaVersionMismatch: 503,
    errors.BoardIntegrityError: 500,
    NotFound: 404,
    MethodNotAllowed: 405,
    NotAuthenticated: 401,
    Forbidden: 403,
    PayloadTooLarge: 413,
    UnsupportedMediaType: 415,
    RateLimited: 429,
    ServiceMisconfigured: 503,
    InternalError: 500,
}

_TITLES: Final[dict[int, str]] = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


def status_of(error: EvoteError) -> int:
    for cls in type(error).__mro__:
        status = STATUS_OF.get(cls)
        if status is not None:
            return status
    return 500


def slug_of(cls: type[BaseException]) -> str:
    """``ElectionNotOpen`` -> ``election-not-open``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", cls.__name__).lower()


def problem(error: EvoteError, status: int | None = None) -> dict[str, Any]:
    """The RFC 9457 problem document of ``error``."""
    code = status_of(error) if status is None else status
    return {
        "type": PROBLEM_BASE + slug_of(type(error)),
        "title": _TITLES.get(code, "Error"),
        "status": code,
        "detail": str(error),
        "error": type(error).__name__,
    }
