"""Step two of a notification: send due deliveries, record each attempt, report the end.

Claiming happens in a short transaction that leases the deliveries; the HTTP requests
run outside any transaction; each result is recorded in its own transaction together
with the `NotificationDelivered` / `NotificationFailed` event in the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypedDict

import structlog
from lindung_common import add_to_outbox
from lindung_contracts import Channel, NotificationDelivered, NotificationFailed

from .adapters import postgres
from .domain import (
    AttemptResult,
    Delivered,
    GaveUp,
    Outcome,
    RetryLater,
    decide,
    request_headers,
)

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg
    from lindung_common import Runtime
    from lindung_contracts import Envelope

    from .adapters.http import WebhookSender
    from .domain import Endpoints, RetryPolicy

__all__ = ["Dispatcher"]

log = structlog.get_logger(__name__)


class Dispatcher:
    """Sends pending deliveries until stopped; `dispatch_once` is one pass."""

    def __init__(
        self,
        *,
        runtime: Runtime,
        endpoints: Endpoints,
        sender: WebhookSender,
        policy: RetryPolicy,
        batch_size: int,
        idle_seconds: float,
        lease_seconds: float,
        rng: random.Random | None = None,
    ) -> None:
        self._runtime = runtime
        self._endpoints = endpoints
        self._sender = sender
        self._policy = policy
        self._batch_size = batch_size
        self._idle_seconds = idle_seconds
        self._lease = timedelta(seconds=lease_seconds)
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for due deliveries now instead of after the idle interval."""
        self._wake.set()

    async def run(self) -> None:
        """Dispatch until cancelled; a failing pass is logged and retried with backoff."""
        await self._runtime.ready()
        log.info("dispatcher started")
        backoff = 0.1
        while True:
            try:
                claimed = await self.dispatch_once()
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dispatch pass failed; retrying")
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if claimed < self._batch_size:
                await self._idle()

    async def dispatch_once(self) -> int:
        """Claim up to one batch of due deliveries and attempt each; returns how many."""
        now = self._runtime.clock.now()
        async with self._runtime.pool.acquire() as conn, conn.transaction():
            claimed = await postgres.claim_due(
                conn, now=now, lease_until=now + self._lease, limit=self._batch_size
            )
        results = await asyncio.gather(
            *(self._attempt(delivery) for delivery in claimed), return_exceptions=True
        )
        for delivery, result in zip(claimed, results, strict=True):
            if isinstance(result, BaseException):
                # The lease runs out and the delivery is attempted again: nothing is lost.
                _log(delivery).error("delivery attempt not recorded", exc_info=result)
        return len(claimed)

    async def close(self) -> None:
        """Release the sender's connections."""
        close = getattr(self._sender, "close", None)
        if close is not None:
            await close()

    async def _attempt(self, delivery: postgres.ClaimedDelivery) -> None:
        clock = self._runtime.clock
        started_at = clock.now()
        result = await self._send(delivery)
        finished_at = clock.now()
        outcome = decide(
            result,
            attempt=delivery.attempt,
            policy=self._policy,
            now=finished_at,
            rng=self._rng,
        )
        async with self._runtime.pool.acquire() as conn, conn.transaction():
            await postgres.record_attempt(
                conn,
                delivery,
                started_at=started_at,
                finished_at=finished_at,
                status_code=result.status_code,
                error=None if result.succeeded else result.reason(),
            )
            applied = await self._apply(conn, delivery, outcome, result.status_code)
        if applied:
            _log_outcome(delivery, outcome)

    async def _apply(
        self,
        conn: asyncpg.Connection,
        delivery: postgres.ClaimedDelivery,
        outcome: Outcome,
        status_code: int | None,
    ) -> bool:
        """Record the outcome, with its event; False when another dispatcher took over."""
        match outcome:
            case Delivered(at=at, status_code=code):
                if not await postgres.mark_delivered(conn, delivery, at=at, status_code=code):
                    return False
                await add_to_outbox(conn, self._delivered(delivery, outcome))
            case RetryLater(at=at, error=error):
                return await postgres.schedule_retry(
                    conn, delivery, at=at, error=error, status_code=status_code
                )
            case GaveUp(at=at, error=error):
                if not await postgres.mark_failed(
                    conn, delivery, at=at, error=error, status_code=status_code
                ):
                    return False
                await add_to_outbox(conn, self._failed(delivery, outcome))
        return True

    async def _send(self, delivery: postgres.ClaimedDelivery) -> AttemptResult:
        endpoint = self._endpoints.for_recipient(delivery.recipient)
        if endpoint is None:
            return _no_endpoint(delivery)
        headers = request_headers(
            notification_id=delivery.notification_id,
            attempt=delivery.attempt,
            body=delivery.body,
            secret=endpoint.secret.get_secret_value() if endpoint.secret else None,
            now=self._runtime.clock.now(),
        )
        return await self._sender.post(str(endpoint.webhook_url), delivery.body, headers)

    def _delivered(self, delivery: postgres.ClaimedDelivery, outcome: Delivered) -> Envelope[Any]:
        return self._runtime.envelope(
            NotificationDelivered(
                **_facts(delivery), delivered_at=outcome.at, status_code=outcome.status_code
            )
        )

    def _failed(self, delivery: postgres.ClaimedDelivery, outcome: GaveUp) -> Envelope[Any]:
        return self._runtime.envelope(
            NotificationFailed(**_facts(delivery), failed_at=outcome.at, error=outcome.error)
        )

    async def _idle(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=self._idle_seconds)
        self._wake.clear()


def _no_endpoint(delivery: postgres.ClaimedDelivery) -> AttemptResult:
    return AttemptResult(
        status_code=None,
        error=f"no webhook configured for {delivery.recipient.describe()}",
        permanent=True,
    )


class _Facts(TypedDict):
    notification_id: UUID
    case_id: UUID
    referral_id: UUID | None
    cause_event_id: UUID
    cause_type: str
    recipient: str
    channel: Channel
    attempts: int


def _facts(delivery: postgres.ClaimedDelivery) -> _Facts:
    return {
        "notification_id": delivery.notification_id,
        "case_id": delivery.case_id,
        "referral_id": delivery.referral_id,
        "cause_event_id": delivery.cause_event_id,
        "cause_type": delivery.cause_type,
        "recipient": delivery.recipient.name,
        "channel": Channel.WEBHOOK,
        "attempts": delivery.attempt,
    }


def _log_outcome(delivery: postgres.ClaimedDelivery, outcome: Outcome) -> None:
    bound = _log(delivery)
    match outcome:
        case Delivered(status_code=code):
            bound.info("notification delivered", status_code=code)
        case RetryLater(at=at, error=error):
            bound.warning("delivery attempt failed", error=error, retry_at=at.isoformat())
        case GaveUp(error=error):
            bound.error("notification failed", error=error)


def _log(delivery: postgres.ClaimedDelivery) -> Any:
    return log.bind(
        notification_id=str(delivery.notification_id),
        event_id=str(delivery.cause_event_id),
        case_id=str(delivery.case_id),
        referral_id=str(delivery.referral_id) if delivery.referral_id else None,
        recipient=delivery.recipient.describe(),
        attempt=delivery.attempt,
    )
