"""Every refusal and failure of intake's API in the one shape, `{"errors": [...]}`."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi.responses import JSONResponse
from lindung_common import EventTooLarge, classify
from lindung_contracts import FieldError
from pydantic import BaseModel

__all__ = ["Problem", "Unexpected", "problem"]

log = structlog.get_logger(__name__)


class Problem(BaseModel):
    """Every error: each field at fault and why."""

    errors: list[FieldError]


class Unexpected:
    """Turns an unexpected failure into the documented error shape, here, not in the server.

    The server would log its traceback, and an exception's message can carry input. A
    plain ASGI middleware: Starlette's `BaseHTTPMiddleware` costs more than the request.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Pass the request on; a failure before the answer started becomes 503 or 500."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Any) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            if started:  # too late for another answer: the connection is closed
                log.error("response failed", reason=classify(exc).reason)  # noqa: TRY400 - no traceback: it can carry input
                return
            await _failure(exc)(scope, receive, send)


def _failure(exc: Exception) -> JSONResponse:
    # Nothing was stored (the transaction rolled back): the caller may safely retry.
    if isinstance(exc, EventTooLarge):  # the body itself is too big to travel as an event
        reasons = [f"{e.reason}; nothing was stored" for e in exc.errors]
        return problem(413, [FieldError(field="body", reason=r) for r in reasons])
    failure = classify(exc)
    if failure.transient:
        reason = "temporarily unavailable; nothing was stored, retry later"
        response = problem(503, [FieldError(field="service", reason=reason)])
        response.headers["Retry-After"] = "5"
        return response
    log.error("request failed", reason=failure.reason)
    return problem(500, [FieldError(field="service", reason="internal error")])


def problem(code: int, errors: list[FieldError]) -> JSONResponse:
    """The one error shape, with its status."""
    return JSONResponse(status_code=code, content=Problem(errors=errors).model_dump(mode="json"))
