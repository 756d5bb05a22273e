"""Step two of a notification: send due deliveries, record each pass, report the end.

A pass claims a batch of due deliveries in one statement that leases them, sends them
concurrently outside any transaction, then records every result of the pass in ONE unit
of work (`lindung_common.Units`): the attempts, the state changes and the
`NotificationDelivered` / `NotificationFailed` events in the outbox. An outcome applies
only while this dispatcher still holds the delivery, so one that was taken over after its
lease ran out is never recorded twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypedDict

import structlog
from lindung_common import classify
from lindung_contracts import (
    Channel,
    DeadlineMissed,
    NotificationDelivered,
    NotificationFailed,
    decode,
)

from .adapters import postgres
from .domain import (
    IDEMPOTENCY_HEADER,
    AttemptResult,
    Delivered,
    GaveUp,
    Outcome,
    RetryLater,
    Tried,
    decide,
    reference,
    render_email,
    request_headers,
    sms_text,
)

if TYPE_CHECKING:
    from uuid import UUID

    from lindung_common import Units
    from lindung_contracts import Envelope

    from .adapters.http import WebhookSender
    from .adapters.smtp import EmailSender
    from .domain import Endpoint, Endpoints, RetryPolicy

__all__ = ["Dispatcher", "SmsGateway"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class SmsGateway:
    """Where SMS notices go, and the link each one carries (`{reference}` filled in)."""

    url: str
    token: str | None
    link: str


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
        notice_link: str = "{reference}",
    ) -> None:
        self._units = units
        self._events = units.events
        self._endpoints = endpoints
        self._sender = sender
        self._policy = policy
        self._batch_size = batch_size
        self._sms = sms
        self._mail = mail
        self._notice_link = notice_link
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

    async def _claim_into(
        self, in_flight: dict[asyncio.Task[postgres.Attempt], postgres.ClaimedDelivery]
    ) -> None:
        free = self._batch_size - len(in_flight)
        if self._stopping or (free < max(1, self._batch_size // 4) and not self._wake.is_set()):
            return
        # Cleared before the claim: a delivery stored after it wakes the next one.
        self._wake.clear()
        now = self._events.now()
        # One statement, atomic on its own: no BEGIN and COMMIT round trips around it.
        async with self._units.connection() as work:
            claimed = await postgres.claim_due(
                work.conn,
                now=now,
                lease_until=now + self._lease,
                limit=free,
                per_recipient=self._per_recipient,
            )
        for delivery in claimed:
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
                _not_recorded(delivery, classify(error).reason)
        await self._record(attempts)

    async def dispatch_once(self) -> int:
        """Claim up to one batch of due deliveries, send them, record them; returns how many.

        Raises when the database cannot record the pass: its deliveries are sent again once
        their lease runs out (receivers de-duplicate by the idempotency key).
        """
        now = self._events.now()
        # One statement, atomic on its own: no BEGIN and COMMIT round trips around it.
        async with self._units.connection() as work:
            claimed = await postgres.claim_due(
                work.conn,
                now=now,
                lease_until=now + self._lease,
                limit=self._batch_size,
                per_recipient=self._per_recipient,
            )
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
                _not_recorded(delivery, classify(result).reason)
            else:
                raise result  # cancelled: nothing of this pass is recorded
        await self._record(attempts)
        return len(claimed)

    async def close(self) -> None:
        """Release the sender's connections."""
        await self._sender.close()

    async def check(self) -> str | None:
        """For /health/ready: why deliveries are not being recorded, or None."""
        if self._failing_since is None:
            return None
        failing = time.monotonic() - self._failing_since
        if failing < self._stuck_after:
            return None
        return f"dispatcher: passes failing for {failing:.0f} s ({self._failure})"

    async def _attempt(self, delivery: postgres.ClaimedDelivery) -> postgres.Attempt:
        started_at = self._events.now()
        result = await self._send(delivery)
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

    async def _record(self, attempts: list[postgres.Attempt]) -> None:
        """Record the pass in one transaction; attempt by attempt if the database refuses it."""
        if not attempts:
            return
        try:
            await self._record_together(attempts)
        except Exception as exc:
            failure = classify(exc)
            if failure.transient:
                raise
            if len(attempts) == 1:
                _not_recorded(attempts[0].delivery, failure.reason)
                return
            # Refused for good: so that one refused attempt does not hold back the others.
            log.warning("pass refused; recording its attempts one by one", reason=failure.reason)
            for attempt in attempts:
                try:
                    await self._record_together([attempt])
                except Exception as alone:
                    failure = classify(alone)
                    if failure.transient:
                        raise
                    _not_recorded(attempt.delivery, failure.reason)

    async def _record_together(self, attempts: list[postgres.Attempt]) -> None:
        """Record attempts, the state changes and their events in one unit of work."""
        async with self._units.open() as work:
            applied = await postgres.record_attempts(work.conn, attempts)
            done = [a for a in attempts if a.delivery.notification_id in applied]
            work.emit_envelopes(*(e for a in done if (e := self._event(a)) is not None))

            def logged() -> None:
                for attempt in attempts:
                    if attempt.delivery.notification_id in applied:
                        _log_outcome(attempt.delivery, attempt.outcome)
                    else:
                        _log(attempt.delivery).info(
                            "outcome not recorded: another dispatcher took over"
                        )

            work.after_commit(logged)

    async def _send(self, delivery: postgres.ClaimedDelivery) -> AttemptResult:
        endpoint = self._endpoints.for_recipient(delivery.recipient)
        if delivery.channel is Channel.SMS:
            return await self._send_sms(delivery, endpoint)
        if delivery.channel is Channel.EMAIL:
            return await self._send_email(delivery, endpoint)
        if endpoint is None or endpoint.webhook_url is None:
            return _no_endpoint(delivery)
        headers = request_headers(
            notification_id=delivery.notification_id,
            attempt=delivery.attempt,
            body=delivery.body,
            secrets=endpoint.secret_values(),
            now=self._events.now(),
        )
        return await self._sender.post(str(endpoint.webhook_url), delivery.body, headers)

    async def _send_sms(
        self, delivery: postgres.ClaimedDelivery, endpoint: Endpoint | None
    ) -> AttemptResult:
        """A reference and a link, through the gateway; nothing of the event's content."""
        if endpoint is None or endpoint.sms is None or self._sms is None:
            return _no_endpoint(delivery)
        notice = reference(delivery.notification_id)
        text = sms_text(
            decode(delivery.body).data,
            delivery.notification_id,
            self._sms.link.format(reference=notice),
            endpoint.sms.language,
        )
        headers = {
            "Content-Type": "application/json",
            IDEMPOTENCY_HEADER: str(delivery.notification_id),
        }
        if self._sms.token:
            headers["Authorization"] = f"Bearer {self._sms.token}"
        body = json.dumps({"to": endpoint.sms.to, "text": text, "reference": notice}).encode()
        return await self._sender.post(self._sms.url, body, headers)

    async def _send_email(
        self, delivery: postgres.ClaimedDelivery, endpoint: Endpoint | None
    ) -> AttemptResult:
        """The notice in the recipient's language, with what was tried for its service."""
        if endpoint is None or endpoint.email is None or self._mail is None:
            return _no_endpoint(delivery)
        payload = decode(delivery.body).data
        tried: list[Tried] = []
        if isinstance(payload, DeadlineMissed):  # an escalation says what was tried
            async with self._units.connection() as work:
                rows = await postgres.tried_for(work.conn, delivery.case_id, payload.service.value)
            tried = [Tried(at, provider, what) for at, provider, what in rows]
        notice = reference(delivery.notification_id)
        language = endpoint.email.language
        rendered = render_email(
            payload,
            language=language,
            reference=notice,
            link=self._notice_link.format(reference=notice),
            tried=tried,
            now=self._events.now(),
        )
        return await self._mail.send(
            endpoint.email.address,
            rendered.subject,
            rendered.text,
            language=language.value,
            reference=notice,
        )

    def _event(self, attempt: postgres.Attempt) -> Envelope[Any] | None:
        facts = _facts(attempt.delivery)
        match attempt.outcome:
            case Delivered(at=at, status_code=code):
                return self._events.wrap(
                    NotificationDelivered(**facts, delivered_at=at, status_code=code)
                )
            case GaveUp(at=at, error=error):
                return self._events.wrap(NotificationFailed(**facts, failed_at=at, error=error))
            case RetryLater():
                return None

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

    async def _idle(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=self._idle_seconds)


def _not_recorded(delivery: postgres.ClaimedDelivery, reason: str) -> None:
    # Its lease runs out and the delivery is attempted again: nothing is lost.
    _log(delivery).error("delivery attempt not recorded", reason=reason)


def _no_endpoint(delivery: postgres.ClaimedDelivery) -> AttemptResult:
    return AttemptResult(
        status_code=None,
        error=f"no {delivery.channel.value} configured for {delivery.recipient.describe()}",
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
        "channel": delivery.channel,
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
