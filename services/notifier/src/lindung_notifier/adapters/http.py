"""The webhook client: one POST per attempt, any outcome turned into an `AttemptResult`."""

from __future__ import annotations

import asyncio
import email.utils
from datetime import UTC, datetime
from typing import Protocol

import aiohttp

from ..domain import AttemptResult  # noqa: TID252

__all__ = ["WebhookClient", "WebhookSender", "retry_after"]

_ERROR_LIMIT = 300


class WebhookSender(Protocol):
    """Sends one webhook request."""

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> AttemptResult:
        """POST `body` to `url`; never raises for a network or HTTP failure."""
        ...

    async def close(self) -> None:
        """Release the connections; the next `post` opens new ones."""
        ...


class WebhookClient:
    """aiohttp client with one connection pool for the life of the dispatcher."""

    def __init__(
        self,
        *,
        timeout_seconds: float,
        connect_timeout_seconds: float,
        user_agent: str = "lindung-notifier",
    ) -> None:
        # The connect limit lets an unreachable host fail fast, leaving the rest of the
        # total for a receiver that is merely slow to answer.
        self._timeout = aiohttp.ClientTimeout(
            total=timeout_seconds, sock_connect=connect_timeout_seconds
        )
        self._timeout_seconds = timeout_seconds
        self._connect_timeout_seconds = connect_timeout_seconds
        self._user_agent = user_agent
        self._session: aiohttp.ClientSession | None = None

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> AttemptResult:
        """POST `body` to `url`; the status, or why there is none."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout, headers={"User-Agent": self._user_agent}
            )
        try:
            # Redirects are not followed: a signed notification goes where it was configured.
            async with self._session.post(
                url, data=body, headers=headers, allow_redirects=False
            ) as response:
                # The body is the receiver's business and may echo what we sent: never kept.
                await response.read()
                return AttemptResult(
                    status_code=response.status,
                    retry_after_seconds=retry_after(response.headers.get("Retry-After")),
                )
        except aiohttp.ConnectionTimeoutError:
            return AttemptResult(
                status_code=None,
                error=f"no connection within {self._connect_timeout_seconds:g} s",
            )
        except TimeoutError:
            return AttemptResult(
                status_code=None, error=f"no answer within {self._timeout_seconds:g} s"
            )
        except aiohttp.ClientError as exc:
            detail = f"{type(exc).__name__}: {exc}"[:_ERROR_LIMIT]
            return AttemptResult(status_code=None, error=f"request failed: {detail}")
        except OSError as exc:
            return AttemptResult(status_code=None, error=f"request failed: {type(exc).__name__}")

    async def close(self) -> None:
        """Close the connection pool; the next `post` opens a new one."""
        if self._session is not None:
            await self._session.close()
            self._session = None
        # aiohttp closes SSL transports on the next loop turn.
        await asyncio.sleep(0)


def retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds a `Retry-After` header asks for: delta-seconds or an HTTP date; None if neither."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)
