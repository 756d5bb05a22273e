"""How the dashboard says no: the one error shape, and 503 while the database does not answer.

Every refusal is a `Refused` (status, field, reason) until a route turns it into an answer:
`problem` for the API and the export, an error page for people. A failure while reading
is logged with its reason only (never a traceback, never a value) and becomes a 503 with
`Retry-After` while the database is away, else a 500.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

import structlog
from fastapi.responses import JSONResponse
from lindung_common.failures import classify
from lindung_contracts import FieldError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable

__all__ = ["HEADERS", "UNAVAILABLE", "Refused", "problem", "reading", "then"]

UNAUTHORISED = 401
UNAVAILABLE = 503
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
}
log = structlog.get_logger(__name__)
T = TypeVar("T")


class Refused(Exception):
    """A request the dashboard does not answer with what was asked, and why."""

    def __init__(self, status: int, field: str, reason: str) -> None:
        self.status = status
        self.error = FieldError(field=field, reason=reason)


def _failed(exc: Exception) -> Refused:
    """An answer for a failure while reading: 503 while the database is away, else 500.

    Logged with its reason only: never a traceback, never a value.
    """
    failure = classify(exc)
    if failure.transient:
        log.warning("dashboard could not read the database", reason=failure.reason)
        return Refused(503, "service", "temporarily unavailable; try again shortly")
    log.error("dashboard request failed", reason=failure.reason)
    return Refused(500, "service", "internal error")


async def reading(work: Awaitable[T]) -> T:
    """Await a read of the database; a failure becomes the answer `_failed` gives."""
    try:
        return await work
    except Refused:
        raise
    except Exception as exc:
        raise _failed(exc) from None


async def then(first: str, rest: AsyncIterator[str]) -> AsyncIterator[str]:
    """`first`, then the rest of a stream; a failure in the rest is logged and ends it."""
    yield first
    try:
        async for piece in rest:
            yield piece
    except Exception as exc:
        _failed(exc)  # logged; the download ends early
        raise


def problem(refused: Refused) -> JSONResponse:
    """A refusal in the documented shape `{"errors": [{"field", "reason"}]}`."""
    headers = dict(HEADERS)
    if refused.status == UNAUTHORISED:
        headers["WWW-Authenticate"] = "Bearer"
    if refused.status == UNAVAILABLE:
        headers["Retry-After"] = "5"
    return JSONResponse(
        {"errors": [refused.error.model_dump(mode="json")]},
        status_code=refused.status,
        headers=headers,
    )
