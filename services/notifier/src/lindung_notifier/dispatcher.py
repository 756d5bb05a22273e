"""Step two of a notification: send due deliveries, record each pass, report the end.

A pass claims a batch of due deliveries in one statement that leases them, sends them
concurrently outside any transaction (`channels`), then records every result of the pass
in ONE unit of work (`recording`, through `lindung_common.Units`): the attempts, the
state changes and the `NotificationDelivered` / `NotificationFailed` events in the outbox.
An outcome applies only while this dispatcher still holds the delivery, so one that was
taken over after its lease ran out is never recorded twice.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import structlog
from lindung_common import classify

from .adapters import postgres
from .channels import Channels
from .domain import decide
from .recording import Recorder, not_recorded

if TYPE_CHECKING:
    from lindung_common import Units

    from .adapters.http import WebhookSender
    from .adapters.smtp import EmailSender
    from .channels import SmsGateway
    from .domain import Endpoints, RetryPolicy
    from .on_call import OnCall

__all__ = ["Dispatcher"]

log = structlog.get_logger(__name__)


class Dispatcher:
    """Sends pending deliveries until cancelled (a `Task`); `dispatch_once` is one pass."""

    name = "dispatcher"

    def __init__(
        self,
        *,
        units: Units,
        endpoints: Endpoints,
        sender: WebhookSender,
        policy: RetryPolicy,
        batch_size: int,
        per_recipient: int = 1_000_000,
        idle_seconds: float,
        lease_seconds: float,
        backoff_cap_seconds: float,
        stuck_after_seconds: float,
        rng: random.Random | None = None,
        sms: SmsGateway | None = None,
        mail: EmailSender | None = None,
        desk_url: str | None = None,
        on_call: OnCall | None = None,
    ) -> None:
        self._units = units
        self._events = units.events
        self._channels = Channels(
            units=units,
            endpoints=endpoints,
            sender=sender,
            sms=sms,
            mail=mail,
            desk_url=desk_url,
        )
        self._recorder = Recorder(units, on_call)
        self._policy = policy
        self._batch_size = batch_size
        self._per_recipient = per_recipient
        self._idle_seconds = idle_seconds
        self._lease = timedelta(seconds=lease_seconds)
        self._backoff_cap = backoff_cap_seconds
        self._stuck_after = stuck_after_seconds
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._wake = asyncio.Event()
        self._stopping = False
        self._failing_since: float | None = None
        self._failure: str | None = None

    def wake(self) -> None:
        """Look for due deliveries now instead of after the idle interval."""
        self._wake.set()

    def stop(self) -> None:
        """Let the pass in flight be recorded, then return from `run`."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Dispatch until stopped or cancelled: a pipeline of deliveries in flight.

        Up to `batch_size` deliveries are in flight at once. As soon as a quarter of the
        slots is free (or a new delivery is stored), more are claimed; results are
        recorded as they come in, a few milliseconds' worth per transaction. So one slow
        endpoint holds one slot for its timeout, not every other delivery behind it.
        """
        await self._units.db.wait_started()
        log.info("dispatcher started")
        in_flight: dict[asyncio.Task[postgres.Attempt], postgres.ClaimedDelivery] = {}
        backoff = 0.1
        try:
            while not (self._stopping and not in_flight):
                try:
                    await self._claim_into(in_flight)
                    await self._record_finished(in_flight)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    self._failed(exc, backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, self._backoff_cap)
                    continue
                backoff = 0.1
                self._failing_since = self._failure = None
        finally:
            for task in in_flight:
                task.cancel()  # not recorded: sent again once their lease runs out

    async def dispatch_once(self) -> int:
        """Claim up to one batch of due deliveries, send them, record them; returns how many.

        Raises when the database cannot record the pass: its deliveries are sent again once
        their lease runs out (receivers de-duplicate by the idempotency key).
        """
        claimed = await self._claim(self._batch_size)
        if not claimed:
            return 0
        results = await asyncio.gather(
            *(self._attempt(delivery) for delivery in claimed), return_exceptions=True
        )
        attempts: list[postgres.Attempt] = []
        for delivery, result in zip(claimed, results, strict=True):
            if isinstance(result, postgres.Attempt):
                attempts.append(result)
            elif isinstance(result, Exception):
                not_recorded(delivery, classify(result).reason)
            else:
                raise result  # cancelled: nothing of this pass is recorded
        await self._recorder.record(attempts)
        return len(claimed)

    async def close(self) -> None:
        """Release the sender's connections."""
        await self._channels.close()

    async def check(self) -> str | None:
        """For /health/ready: why deliveries are not being recorded, or None."""
        if self._failing_since is None:
            return None
        failing = time.monotonic() - self._failing_since
        if failing < self._stuck_after:
            return None
        return f"dispatcher: passes failing for {failing:.0f} s ({self._failure})"

    async def _claim(self, limit: int) -> list[postgres.ClaimedDelivery]:
        """Lease up to `limit` due deliveries to this dispatcher."""
        now = self._events.now()
        # One statement, atomic on its own: no BEGIN and COMMIT round trips around it.
        async with self._units.connection() as work:
            return await postgres.claim_due(
                work.conn,
                now=now,
                lease_until=now + self._lease,
                limit=limit,
                per_recipient=self._per_recipient,
            )

    async def _claim_into(
        self, in_flight: dict[asyncio.Task[postgres.Attempt], postgres.ClaimedDelivery]
    ) -> None:
        free = self._batch_size - len(in_flight)
        if self._stopping or (free < max(1, self._batch_size // 4) and not self._wake.is_set()):
            return
        # Cleared before the claim: a delivery stored after it wakes the next one.
        self._wake.clear()
        for delivery in await self._claim(free):
            in_flight[asyncio.create_task(self._attempt(delivery))] = delivery

    async def _record_finished(
        self, in_flight: dict[asyncio.Task[postgres.Attempt], postgres.ClaimedDelivery]
    ) -> None:
        """Wait for a result (or a wake-up, or the idle interval); record what finished."""
        waiting: set[asyncio.Future[Any]] = set(in_flight)
        waker = asyncio.ensure_future(self._wake.wait())
        if not self._stopping:  # once stopping, only the deliveries in flight matter
            waiting.add(waker)
        try:
            done, _ = await asyncio.wait(
                waiting, timeout=self._idle_seconds, return_when=asyncio.FIRST_COMPLETED
            )
            finished = [t for t in in_flight if t in done]
            if finished and len(in_flight) > len(finished):
                # Results close together go in one transaction.
                rest = [t for t in in_flight if t not in done]
                more, _ = await asyncio.wait(rest, timeout=0.005)
                finished += [t for t in rest if t in more]
        finally:
            waker.cancel()
        attempts: list[postgres.Attempt] = []
        for task in finished:
            delivery = in_flight.pop(task)
            error = task.exception()
            if error is None:
                attempts.append(task.result())
            else:
                not_recorded(delivery, classify(error).reason)
        await self._recorder.record(attempts)

    async def _attempt(self, delivery: postgres.ClaimedDelivery) -> postgres.Attempt:
        """Send once and decide what follows (delivered, retry later, or give up)."""
        started_at = self._events.now()
        result = await self._channels.send(delivery)
        finished_at = self._events.now()
        outcome = decide(
            result,
            attempt=delivery.attempt,
            policy=self._policy,
            now=finished_at,
            rng=self._rng,
        )
        return postgres.Attempt(
            delivery=delivery,
            started_at=started_at,
            finished_at=finished_at,
            status_code=result.status_code,
            error=None if result.succeeded else result.reason(),
            outcome=outcome,
        )

    def _failed(self, exc: Exception, backoff: float) -> None:
        failure = classify(exc)
        if self._failing_since is None:
            self._failing_since = time.monotonic()
        self._failure = failure.reason
        log.warning(
            "dispatch pass failed; retrying",
            failure_class=failure.kind.value,
            reason=failure.reason,
            retry_in_seconds=backoff,
        )
