"""What the HTTP door counts before anything else looks at a request: how often.

Every request to the API counts against its caller's rate limit, those refused for their
size, media type, JSON, fields, key, role or path included: per API key when the bearer
key is known, per client address otherwise. Only the health and metrics endpoints, which
the platform polls, are not counted. Past the limit the answer is 429 with `Retry-After`,
before the body is read.
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

    from lindung_common.keys import KeyHolder
    from starlette.responses import Response

__all__ = ["RateLimit", "RateLimited"]

# The platform's probes: a readiness probe refused for its rate would take intake away.
_NOT_COUNTED = ("/health/", "/metrics")


class RateLimit:
    """At most `per_minute` requests per caller over any minute (a moving window)."""

    def __init__(self, per_minute: int) -> None:
        self._item = RateLimitItemPerMinute(per_minute)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def retry_after(self, caller: str) -> int | None:
        """Count a request by `caller`; None when allowed, else whole seconds to wait."""
        if self._limiter.hit(self._item, caller):
            return None
        stats = self._limiter.get_window_stats(self._item, caller)
        return max(1, math.ceil(stats.reset_time - time.time()))


class RateLimited:
    """A plain ASGI middleware, in front of everything else: counts, and refuses with 429."""

    def __init__(
        self,
        app: Any,
        *,
        limit: RateLimit,
        find: Callable[[str], KeyHolder | None],
        problem: Callable[[int, list[FieldError]], Response],
    ) -> None:
        self.app = app
        self._limit = limit
        self._find = find
        self._problem = problem

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Count the request by its caller; refuse it past the limit, else pass it on."""
        if scope["type"] != "http" or scope["path"].startswith(_NOT_COUNTED):
            await self.app(scope, receive, send)
            return
        wait = self._limit.retry_after(self._caller(scope))
        if wait is None:
            await self.app(scope, receive, send)
            return
        reason = f"too many requests; retry in {wait} s"
        response = self._problem(429, [FieldError(field="authorization", reason=reason)])
        response.headers["Retry-After"] = str(wait)
        await response(scope, receive, send)

    def _caller(self, scope: Any) -> str:
        """The key's id when the bearer key is known, else the client's address."""
        for name, value in scope["headers"]:
            if name.lower() == b"authorization":
                scheme, _, key = value.decode("latin-1").partition(" ")
                holder = self._find(key.strip()) if scheme.lower() == "bearer" else None
                if holder is not None:
                    return f"key:{holder.key_id}"
                break
        client = scope.get("client")
        return f"address:{client[0] if client else 'unknown'}"
