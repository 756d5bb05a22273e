"""The sla-monitor's use cases: each loads, decides and saves with its events in one transaction."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import structlog
from lindung_common import Consumer, add_to_outbox
from lindung_contracts import (
    NOTIFICATIONS,
    REFERRALS,
    DeadlineMissed,
    DeadlineWarning,
    NotificationFailed,
    PackageDeadlineMissed,
    RecipientRole,
    ReferralPaused,
    ReferralRequested,
    ReferralResumed,
    StepKind,
)

from .adapters import postgres as db
from .domain import (
    CLOSING_EVENTS,
    OVERDUE_STEP_NO,
    CloseOutcome,
    Deadline,
    DeadlineState,
    DeadlineStatus,
    RequestOutcome,
    StepState,
    Verdict,
    close_reason,
    deadline_event,
    due_steps,
    initial_step_state,
    on_close,
    on_request,
    overdue_escalation,
    package_event_id,
    step_event_id,
    step_from_contract,
)
from .escalations import DeliveryFailures
from .metrics import BREACHES, FIRING_LATENESS, OPEN_REFERRALS, STEPS_FIRED
from .scheduler_clock import SchedulerClock

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from uuid import UUID

    from lindung_common import Database, Events, Handler, Work
    from lindung_contracts import Envelope, Payload

__all__ = ["CONSUMER", "FireReport", "SlaMonitor"]

CONSUMER = "sla-monitor"
_NO_WAIT = timedelta(0)
_RETRY = 0.05  # seconds before a due step that was not fired is looked at again
_STALE_NOTE = "deadline already passed: the escalation carries the news"
log = structlog.get_logger(__name__)


@dataclass
class FireReport:
    """What one `fire_due` call did: the events raised and the steps skipped."""

    fired: list[Envelope[Any]] = field(default_factory=list)
    skipped: list[tuple[UUID, int]] = field(default_factory=list)


class SlaMonitor:
    """The sla-monitor's handlers and its scheduler, bound to its database and event factory.

    The scheduler tells the time by the events' clock carried forward by `monotonic`, so
    a step of the wall clock that PostgreSQL's clock does not confirm moves nothing.
    """

    def __init__(
        self,
        db: Database,
        events: Events,
        *,
        batch_size: int,
        max_event_bytes: int,
        grace: timedelta = timedelta(0),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._events = events
        self._batch_size = batch_size
        self._grace = grace
        self._max_event_bytes = max_event_bytes
        self._wake = asyncio.Event()
        self._clock = SchedulerClock(self._database_now, wall=events.now, monotonic=monotonic)

    async def fire_for(self, seconds: float) -> FireReport:
        """Fire what comes due over the next `seconds`, each step as it comes due.

        Between passes it sleeps until the next pending step is due (asked of PostgreSQL,
        which stays the truth), or until any instance stores a deadline (NOTIFY): so a step
        fires milliseconds after its time, not up to a polling interval later. A step that
        is due but was not fired (another scheduler holds it, or it failed) is looked at
        again after a short pause.
        """
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        total = FireReport()
        async with self._db.pool.acquire() as listening:
            # Any instance storing a deadline says so (NOTIFY, at its commit).
            await listening.add_listener(self._channel, self._notified)
            try:
                return await self._turn(until, total)
            finally:
                await listening.remove_listener(self._channel, self._notified)

    def _notified(self, *_: object) -> None:
        self._wake.set()

    async def _database_now(self) -> datetime:
        async with self._db.pool.acquire() as conn:
            return await db.clock_timestamp(conn)

    @property
    def _channel(self) -> str:
        return f"lindung_deadlines_{self._db.schema}"

    async def _turn(self, until: float, total: FireReport) -> FireReport:
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            report = await self.fire_due(await self._clock.now())
            total.fired += report.fired
            total.skipped += report.skipped
            left = until - loop.time()
            if left <= 0:
                return total
            async with self._db.pool.acquire() as conn:
                upcoming = await db.next_due(conn, self._grace)
            wait = left
            if upcoming is not None:
                until_due = (upcoming - await self._clock.now()).total_seconds()
                # Due already but not fired (held elsewhere, or failed): not in a tight loop.
                wait = min(left, until_due if until_due > 0 else _RETRY)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    def consumer(self) -> Consumer:
        """What the sla-monitor reads, and the handler of each event type."""
        handlers: dict[type[Payload], Handler] = dict.fromkeys(CLOSING_EVENTS, self.on_closed)
        handlers[NotificationFailed] = DeliveryFailures(self._events).on_failed
        handlers[ReferralPaused] = self.on_paused
        handlers[ReferralResumed] = self.on_resumed
        return Consumer(
            name=CONSUMER,
            topics=(REFERRALS, NOTIFICATIONS),
            handlers=handlers,
            run_handlers={ReferralRequested: self.on_requested},
        )

    async def on_requested(self, work: Work, envelopes: list[Envelope[Any]]) -> None:
        """Start each referral's clock and store its ladder, once, unless already closed."""
        requests: list[ReferralRequested] = [e.data for e in envelopes]
        known = await db.lock_referrals(work.conn, [r.referral_id for r in requests])
        opened: list[Deadline] = []
        ladders = []
        recorded = []
        overdue: list[Envelope[Any]] = []
        for envelope, request in zip(envelopes, requests, strict=True):
            outcome = on_request(known.get(request.referral_id))
            if outcome is RequestOutcome.DUPLICATE:
                log.info("referral already known; request ignored", **_ids(envelope))
                continue
            deadline = Deadline(
                referral_id=request.referral_id,
                case_id=request.case_id,
                provider_id=request.provider_id,
                service=request.service,
                requested_at=request.requested_at,
                due_at=request.due_at,
            )
            if outcome is RequestOutcome.OPEN:
                opened.append(deadline)
                status = DeadlineStatus.OPEN
            else:
                await db.fill_request(work.conn, deadline)
                status = DeadlineStatus.CLOSED
            # The same referral again in this run is a duplicate of this one.
            known[request.referral_id] = DeadlineState(status=status, requested=True)
            steps = [step_from_contract(n, s) for n, s in enumerate(request.escalation)]
            stored = [(step, *initial_step_state(step, status)) for step in steps]
            if status is DeadlineStatus.OPEN and request.overdue_since is not None:
                step, missed = overdue_escalation(deadline, request.overdue_since, work.now)
                stored.append((step, StepState.PENDING, None))
                overdue.append(
                    self._events.wrap(
                        missed,
                        event_id=step_event_id(request.referral_id, step.step_no),
                        time=work.now,
                    )
                )
            ladders.append((request.referral_id, stored))
            recorded.append((envelope, status, stored))
        await db.insert_open_many(work.conn, opened)
        await db.insert_facts(work.conn, [e.data for e, _, _ in recorded])
        await db.insert_ladders(work.conn, ladders, work.now)
        if ladders:
            # Delivered at commit to every instance's scheduler, this one's and the leader's.
            await work.conn.execute("SELECT pg_notify($1, '')", self._channel)
        packages = {r.case_id: r.package_due_at for r in requests if r.package_due_at is not None}
        await db.insert_packages(work.conn, packages)
        if overdue:
            # Raised here and now, and stored as fired with its event: exactly once.
            fired = [(e.data.referral_id, OVERDUE_STEP_NO, e.id) for e in overdue]
            await db.mark_fired(work.conn, fired, work.now)
            work.emit_envelopes(*overdue)

        def logged() -> None:
            for entry in recorded:
                _log_recorded(*entry)
            for late in overdue:  # late from the start: a breach, raised on time
                _count_fired(late.data, timedelta(0))

        work.after_commit(logged)

    async def on_closed(self, work: Work, envelope: Envelope[Any]) -> None:
        """Stop the referral's clock; remember the closure even if the request is still to come."""
        fact = envelope.data
        reason = close_reason(fact)
        if reason is None:  # pragma: no cover - only closing events are routed here
            return
        bound = log.bind(
            event_id=str(envelope.id), case_id=str(fact.case_id), referral_id=str(fact.referral_id)
        )
        outcome = on_close(await db.lock_referral(work.conn, fact.referral_id))
        cancelled = 0
        if outcome is CloseOutcome.CLOSE:
            cancelled = await db.close_deadline(work.conn, fact.referral_id, reason, fact.at)
        elif outcome is CloseOutcome.CLOSE_UNSEEN:
            await db.insert_closed(
                work.conn,
                referral_id=fact.referral_id,
                case_id=fact.case_id,
                provider_id=fact.provider_id,
                service=fact.service,
                reason=reason,
                closed_at=fact.at,
            )
        work.after_commit(
            lambda: bound.info(
                "deadline closed", reason=reason.value, outcome=outcome.value, cancelled=cancelled
            )
        )

    async def on_paused(self, work: Work, envelope: Envelope[Any]) -> None:
        """A coordinator stopped the referral's clock: nothing of its ladder fires meanwhile."""
        fact: ReferralPaused = envelope.data
        paused = await db.pause_deadline(work.conn, fact.referral_id, fact.at)
        work.after_commit(lambda: log.info("deadline paused", paused=paused, **_ids(envelope)))

    async def on_resumed(self, work: Work, envelope: Envelope[Any]) -> None:
        """The clock runs again; the deadline and every unfired step move by the pause."""
        fact: ReferralResumed = envelope.data
        moved = await db.resume_deadline(work.conn, fact.referral_id, fact.at)
        seconds = None if moved is None else moved.total_seconds()
        work.after_commit(
            lambda: log.info("deadline resumed", moved_seconds=seconds, **_ids(envelope))
        )

    async def count_open(self) -> tuple[int, int]:
        """Publish how many referrals await acceptance (running, paused) as a gauge."""
        async with self._db.pool.acquire() as conn:
            running, paused = await db.count_open(conn)
        OPEN_REFERRALS.labels("running").set(running)
        OPEN_REFERRALS.labels("paused").set(paused)
        return running, paused

    async def fire_due(self, now: datetime) -> FireReport:
        """Raise every warning and escalation due at `now`, each exactly once, in time order.

        Each batch is one transaction: the step is marked fired and its event written to
        the outbox together. Steps locked by another scheduler are left to it.
        """
        report = FireReport()
        while True:
            locked = await self._fire_batch(now, report)
            if locked < self._batch_size:
                break
        while await self._fire_packages(now, report) == self._batch_size:
            pass
        return report

    async def _fire_packages(self, now: datetime, report: FireReport) -> int:
        """Settle due package deadlines: one alert for a case still missing a provider."""
        settled: list[tuple[UUID, UUID | None]] = []
        raised: list[Envelope[Any]] = []
        async with self._db.pool.acquire() as conn, conn.transaction():
            due = await db.lock_due_packages(conn, now - self._grace, self._batch_size)
            if not due:
                return 0
            for case_id, due_at, unaccepted in due:
                if not unaccepted:
                    settled.append((case_id, None))
                    continue
                alert = PackageDeadlineMissed(
                    case_id=case_id,
                    due_at=due_at,
                    unaccepted=tuple(unaccepted),
                    notify=RecipientRole.CASE_COORDINATOR,
                    fired_at=now,
                )
                envelope = self._events.wrap(alert, event_id=package_event_id(case_id), time=now)
                raised.append(envelope)
                settled.append((case_id, envelope.id))
            await db.settle_packages(conn, settled, now)
            await add_to_outbox(conn, *raised, max_event_bytes=self._max_event_bytes)
        for envelope in raised:
            log.warning(
                "package deadline missed",
                case_id=str(envelope.data.case_id),
                unaccepted=len(envelope.data.unaccepted),
            )
        report.fired += raised
        return len(due)

    async def _fire_batch(self, now: datetime, report: FireReport) -> int:
        fired: list[tuple[UUID, int, Envelope[Any]]] = []
        due_at: list[datetime] = []
        skipped: list[tuple[UUID, int]] = []
        async with self._db.pool.acquire() as conn, conn.transaction():
            # An escalation waits out the grace: an answer made before it may still be coming.
            locked = await db.lock_due_steps(conn, now, self._batch_size, grace=self._grace)
            for deadline, step, decision in due_steps(locked, now):
                key = (deadline.referral_id, step.step_no)
                if decision is Verdict.SKIP_STALE:
                    skipped.append(key)
                    continue
                event = self._events.wrap(
                    deadline_event(deadline, step, now), event_id=step_event_id(*key), time=now
                )
                fired.append((*key, event))
                # When it was due to fire: an escalation waits out the grace.
                due_at.append(
                    step.at + (self._grace if step.kind is StepKind.ESCALATION else _NO_WAIT)
                )
            await add_to_outbox(
                conn,
                *(event for _, _, event in fired),
                max_event_bytes=self._max_event_bytes,
            )
            await db.mark_fired(conn, [(rid, no, event.id) for rid, no, event in fired], now)
            await db.mark_skipped(conn, skipped, now, _STALE_NOTE)
        for deadline_step, (_, step_no, event) in zip(due_at, fired, strict=True):
            _count_fired(event.data, now - deadline_step)
            log.info(
                "deadline step fired",
                event_id=str(event.id),
                event_type=event.type,
                case_id=str(event.data.case_id),
                referral_id=str(event.data.referral_id),
                step_no=step_no,
                notify=event.data.notify.value,
            )
        report.fired += [event for _, _, event in fired]
        report.skipped += skipped
        return len(locked)


def _count_fired(fact: DeadlineWarning | DeadlineMissed, lateness: timedelta) -> None:
    kind = "escalation" if isinstance(fact, DeadlineMissed) else "warning"
    level = str(fact.escalation_level) if isinstance(fact, DeadlineMissed) else "0"
    FIRING_LATENESS.labels(kind).observe(max(lateness.total_seconds(), 0.0))
    STEPS_FIRED.labels(kind, level).inc()
    if isinstance(fact, DeadlineMissed) and fact.escalation_level == 1:
        BREACHES.inc()


def _ids(envelope: Envelope[Any]) -> dict[str, str]:
    return {
        "event_id": str(envelope.id),
        "case_id": str(envelope.data.case_id),
        "referral_id": str(envelope.data.referral_id),
    }


def _log_recorded(
    envelope: Envelope[Any],
    status: DeadlineStatus,
    stored: list[tuple[Any, StepState, str | None]],
) -> None:
    log.info(
        "deadline recorded",
        **_ids(envelope),
        status=status.value,
        due_at=envelope.data.due_at.isoformat(),
        steps=len(stored),
        skipped_steps=[s.step_no for s, state, _ in stored if state is StepState.SKIPPED],
    )
