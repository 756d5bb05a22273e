"""The sla-monitor's scheduler: raises each warning and escalation as it comes due.

Each pass locks a batch of due steps (or package deadlines), decides with the pure rules
of `domain/firing.py` and saves in one unit of work: the steps marked fired or skipped and
their events in the outbox commit together.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog

from .adapters import ladders, offers, schedule
from .domain import plan_fires, settle_packages
from .legal_clocks import fire_legal_clocks
from .metrics import BREACHES, OPEN_REFERRALS, count_fired
from .scheduler_clock import SchedulerClock

if TYPE_CHECKING:
    from collections.abc import Callable
    from uuid import UUID

    from lindung_common import Units
    from lindung_contracts import Envelope

__all__ = ["FireReport", "Scheduler", "deadlines_channel"]

_RETRY = 0.05  # seconds before a due step that was not fired is looked at again
log = structlog.get_logger(__name__)


def deadlines_channel(schema: str) -> str:
    """Where an instance storing a deadline says so (NOTIFY), for every scheduler to hear."""
    return f"lindung_deadlines_{schema}"


@dataclass
class FireReport:
    """What one `fire_due` call did: the events raised and the steps skipped."""

    fired: list[Envelope[Any]] = field(default_factory=list)
    skipped: list[tuple[UUID, int]] = field(default_factory=list)


class Scheduler:
    """Fires due steps and package deadlines through the service's units of work.

    It tells the time by the events' clock carried forward by `monotonic`, so a step of
    the wall clock that PostgreSQL's clock does not confirm moves nothing.
    """

    def __init__(
        self,
        units: Units,
        *,
        batch_size: int,
        grace: timedelta = timedelta(0),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._units = units
        self._batch_size = batch_size
        self._grace = grace
        self._wake = asyncio.Event()
        # What the scheduler waits for: the next due time PostgreSQL gave after its pass.
        self._upcoming: datetime | None = None
        self._channel = deadlines_channel(units.db.schema)
        self._clock = SchedulerClock(self._database_now, wall=units.events.now, monotonic=monotonic)

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
        async with self._units.connection() as listening:
            # Any instance storing a deadline says so (NOTIFY, at its commit).
            await listening.conn.add_listener(self._channel, self._notified)
            try:
                return await self._turn(until, FireReport())
            finally:
                await listening.conn.remove_listener(self._channel, self._notified)

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        """A deadline was stored; look again unless it comes due after what is awaited.

        The payload is the earliest time the stored steps come due ('' when unknown). One
        at or after the time the scheduler waits for already changes nothing: the pass at
        that time asks PostgreSQL again and sees it.
        """
        if payload and self._upcoming is not None:
            with contextlib.suppress(ValueError, TypeError):
                if datetime.fromisoformat(payload) >= self._upcoming:
                    return
        self._wake.set()

    async def _database_now(self) -> datetime:
        async with self._units.connection() as work:
            return await schedule.clock_timestamp(work.conn)

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
            async with self._units.connection() as work:
                upcoming = await schedule.next_due(work.conn, self._grace)
            self._upcoming = upcoming
            wait = left
            if upcoming is not None:
                until_due = (upcoming - await self._clock.now()).total_seconds()
                # Due already but not fired (held elsewhere, or failed): not in a tight loop.
                wait = min(left, until_due if until_due > 0 else _RETRY)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def count_open(self) -> tuple[int, int]:
        """Publish how many referrals await acceptance (running, paused) as a gauge."""
        async with self._units.connection() as work:
            running, paused = await schedule.count_open(work.conn)
        OPEN_REFERRALS.labels("running").set(running)
        OPEN_REFERRALS.labels("paused").set(paused)
        return running, paused

    async def fire_due(self, now: datetime) -> FireReport:
        """Raise every warning and escalation due at `now`, each exactly once, in time order.

        Legal clocks come due alert their case's coordinator, once each.
        After downtime only the highest escalation level already due fires per referral;
        the lower ones are skipped, saying why. Steps locked by another scheduler are left
        to it.
        """
        report = FireReport()
        while await self._fire_batch(now, report) == self._batch_size:
            pass
        while await self._fire_packages(now, report) == self._batch_size:
            pass
        while True:
            raised, locked = await fire_legal_clocks(
                self._units, now, self._grace, self._batch_size
            )
            report.fired += raised
            if locked < self._batch_size:
                return report

    async def _fire_batch(self, now: datetime, report: FireReport) -> int:
        """One batch of due steps in one unit of work; how many were locked."""
        cutoff = now - self._grace
        async with self._units.open() as work:
            # An escalation waits out the grace: an answer made before it may still be coming.
            locked = await schedule.lock_due_steps(
                work.conn, now, self._batch_size, grace=self._grace
            )
            referrals = list({deadline.referral_id for deadline, _ in locked})
            # What the rest of each ladder has reached: a higher level in another batch.
            reached = await schedule.reached_levels(work.conn, referrals, cutoff) if locked else {}
            plan = plan_fires(locked, now, grace=self._grace, reached=reached)
            # An offer to several providers raises each coordinator's step once.
            plan = await offers.fire_once_per_offer(work.conn, plan)
            events = [
                self._units.events.wrap(fire.event, event_id=fire.event_id, time=now)
                for fire in plan.fires
            ]
            work.emit_envelopes(*events)
            fired = [(f.deadline.referral_id, f.step.step_no, f.event_id) for f in plan.fires]
            await ladders.mark_fired(work.conn, fired, now)
            await schedule.mark_skipped(work.conn, plan.skips, now)

            def logged() -> None:
                for fire, event in zip(plan.fires, events, strict=True):
                    count_fired(fire.event, now - fire.due)
                    log.info(
                        "deadline step fired",
                        event_id=str(event.id),
                        event_type=event.type,
                        case_id=str(fire.deadline.case_id),
                        referral_id=str(fire.deadline.referral_id),
                        step_no=fire.step.step_no,
                        notify=fire.step.notify.value,
                    )
                for skip in plan.skips:
                    if skip.breach:
                        BREACHES.inc()

            work.after_commit(logged)
        report.fired += events
        report.skipped += [(s.referral_id, s.step.step_no) for s in plan.skips]
        return len(locked)

    async def _fire_packages(self, now: datetime, report: FireReport) -> int:
        """Settle due package deadlines: one alert for a case still missing a provider."""
        async with self._units.open() as work:
            due = await schedule.lock_due_packages(work.conn, now - self._grace, self._batch_size)
            settled = settle_packages(due, now)
            raised = [
                self._units.events.wrap(alert, event_id=event_id, time=now)
                for _, event_id, alert in settled
                if alert is not None and event_id is not None
            ]
            work.emit_envelopes(*raised)
            await schedule.settle_packages(work.conn, [(c, e) for c, e, _ in settled], now)

            def logged() -> None:
                for envelope in raised:
                    log.warning(
                        "package deadline missed",
                        case_id=str(envelope.data.case_id),
                        unaccepted=len(envelope.data.unaccepted),
                    )

            work.after_commit(logged)
        report.fired += raised
        return len(due)
