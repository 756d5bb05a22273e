"""What the HTTP door refuses before a handler runs: too large, not JSON, too often.

A plain ASGI middleware, in front of FastAPI: a body over the limit is refused with 413
from its `Content-Length` before a byte of it is read, and a chunked one as soon as the
bytes read pass the limit. A body that is not JSON is refused with 415. Both in the one
documented error shape.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from lindung_contracts import FieldError

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.responses import Response

__all__ = ["BodyGuard", "RateLimit", "is_json"]

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def is_json(content_type: str) -> bool:
    """Whether a Content-Type names JSON (`application/json`, `application/*+json`)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class _TooLarge(Exception):
    pass


class BodyGuard:
    """Refuses a body over `max_bytes` with 413, and a body that is not JSON with 415."""

    def __init__(
        self,
        app: Any,
        *,
        max_bytes: int,
        problem: Callable[[int, list[FieldError]], Response],
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self._problem = problem

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Refuse what must be refused; pass the rest on, counting the bytes read."""
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        length = headers.get("content-length")
        declared = int(length) if length is not None and length.isdigit() else None
        if declared is not None and declared > self.max_bytes:
            await self._refuse(413, scope, receive, send)
            return
        has_body = declared != 0 and (declared is not None or "transfer-encoding" in headers)
        if has_body and not is_json(headers.get("content-type", "")):
            await self._refuse(415, scope, receive, send)
            return
        await self._guarded(scope, receive, send)

    async def _guarded(self, scope: Any, receive: Any, send: Any) -> None:
        read = 0
        over = False
        replaced = False

        async def receiving() -> Any:
            nonlocal read, over
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > self.max_bytes:
                    # The framework turns any failure here into its own answer: remember
                    # why, stop reading, and put the 413 in place of whatever it answers.
                    over = True
                    raise _TooLarge
            return message

        async def sending(message: Any) -> None:
            nonlocal replaced
            if not over:
                await send(message)
            elif not replaced:
                replaced = True
                await self._refuse(413, scope, receive, send)

        try:
            await self.app(scope, receiving, sending)
        except _TooLarge:
            if not replaced:
                await self._refuse(413, scope, receive, send)

    async def _refuse(self, code: int, scope: Any, receive: Any, send: Any) -> None:
        reason = (
            f"the body is over {self.max_bytes} bytes"
            if code == 413  # noqa: PLR2004 - the status this reason is for
            else "the body must be JSON (Content-Type: application/json)"
        )
        response = self._problem(code, [FieldError(field="body", reason=reason)])
        await response(scope, receive, send)


class RateLimit:
    """At most `per_minute` requests per API key over any minute (a moving window)."""

    def __init__(self, per_minute: int) -> None:
        self._item = RateLimitItemPerMinute(per_minute)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def retry_after(self, key: str) -> int | None:
        """Count a request by `key`; None when allowed, else whole seconds to wait."""
        if self._limiter.hit(self._item, key):
            return None
        stats = self._limiter.get_window_stats(self._item, key)
        return max(1, math.ceil(stats.reset_time - time.time()))
