"""The one place that wires the sla-monitor together: its handlers, its timer, its service shape."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from lindung_common import Service, Timer, foundations

from .handlers import SlaMonitor

if TYPE_CHECKING:
    from collections.abc import Callable

    from lindung_common import Clock, IdFactory

    from .settings import SlaMonitorSettings

__all__ = ["MIGRATIONS", "SERVICE", "TIMER", "build"]

SERVICE = "sla-monitor"
TIMER = "fire-due-steps"
COUNT_TIMER = "count-open-referrals"
_BETWEEN_TURNS_SECONDS = 0.02
_COUNT_EVERY_SECONDS = 15.0  # a count over every open deadline: not every tick
MIGRATIONS = Path(__file__).parent / "migrations"
log = structlog.get_logger(__name__)


def build(
    settings: SlaMonitorSettings,
    *,
    schema: str | None = None,
    clock: Clock | None = None,
    ids: IdFactory | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> Service:
    """The sla-monitor as a service: the REFERRALS consumer and the leader's deadline timer.

    `clock` is the wall clock (events' times, and the scheduler's with `monotonic`).
    """
    db, events = foundations(SERVICE, settings, MIGRATIONS, schema=schema, clock=clock, ids=ids)
    monitor = SlaMonitor(
        db,
        events,
        batch_size=settings.fire_batch_size,
        max_event_bytes=settings.outbox_max_event_bytes,
        grace=timedelta(seconds=settings.answer_grace_seconds),
        monotonic=monotonic,
    )

    async def fire_due_steps() -> None:
        """Raise whatever warnings and escalations have come due by the clock's now."""
        report = await monitor.fire_for(settings.tick_seconds)
        if report.fired or report.skipped:
            log.info(
                "due deadline steps settled", fired=len(report.fired), skipped=len(report.skipped)
            )

    async def count_open() -> None:
        await monitor.count_open()

    return Service(
        name=SERVICE,
        settings=settings,
        db=db,
        events=events,
        consumers=[monitor.consumer()],
        # One leader fires for the whole group; PostgreSQL row locks keep it exact anyway.
        timers=[
            # Turns follow each other closely: a step coming due between two turns
            # waits at most this long (Faust sleeps the interval after each turn).
            Timer(TIMER, _BETWEEN_TURNS_SECONDS, run=fire_due_steps, on_leader=True),
            # Every instance: a scrape of any of them tells the truth.
            Timer(COUNT_TIMER, _COUNT_EVERY_SECONDS, run=count_open, on_leader=False),
        ],
    )
