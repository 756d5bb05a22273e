"""The scheduler's time: the wall clock, carried forward by the monotonic clock.

A step of this host's wall clock (a wrong NTP answer, an operator's typo, a VM restored
from a snapshot) would fire every step up to an hour early, or hold them all back for an
hour. The monotonic clock cannot step, so the scheduler's time is the wall clock read
once and carried forward by it. When the two part by more than a tolerance, PostgreSQL's
clock, the one the deadlines were stored against, says which one is right.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from datetime import datetime

__all__ = ["TOLERANCE", "SchedulerClock"]

TOLERANCE = timedelta(seconds=1)
_ASK_AGAIN_SECONDS = 1.0  # a disputed jump is put to PostgreSQL again at most this often
log = structlog.get_logger(__name__)


class SchedulerClock:
    """Tells the scheduler the time; a step of the wall clock counts only if PostgreSQL agrees.

    `wall` and `monotonic` are this host's clocks; `database` reads PostgreSQL's clock.
    """

    def __init__(
        self,
        database: Callable[[], Awaitable[datetime]],
        *,
        wall: Callable[[], datetime],
        monotonic: Callable[[], float] = time.monotonic,
        tolerance: timedelta = TOLERANCE,
    ) -> None:
        self._database = database
        self._wall = wall
        self._monotonic = monotonic
        self._tolerance = tolerance
        self._anchor: tuple[datetime, float] | None = None
        self._reported: timedelta | None = None  # the disputed jump last logged
        self._asked = float("-inf")  # when PostgreSQL was last asked about it (monotonic)

    async def now(self) -> datetime:
        """The time: the wall clock at the anchor plus the monotonic time since."""
        wall, ticks = self._wall(), self._monotonic()
        if self._anchor is None:
            self._anchor = (wall, ticks)
            return wall
        projected = self._anchor[0] + timedelta(seconds=ticks - self._anchor[1])
        jump = wall - projected
        if abs(jump) <= self._tolerance:
            self._reported = None
            return projected
        same = self._reported is not None and abs(jump - self._reported) <= self._tolerance
        if same and ticks - self._asked < _ASK_AGAIN_SECONDS:
            return projected  # still the jump PostgreSQL disputed a moment ago
        self._asked = ticks
        database = await self._database()
        if abs(database - wall) <= self._tolerance:
            # A real correction: the deadlines were stored against that clock.
            log.warning(
                "the wall clock stepped and PostgreSQL's clock agrees; the scheduler follows it",
                step_seconds=round(jump.total_seconds(), 3),
            )
            self._anchor = (wall, ticks)
            self._reported = None
            return wall
        if self._reported is None or abs(jump - self._reported) > self._tolerance:
            log.error(
                "the wall clock jumped and PostgreSQL's clock disagrees;"
                " deadlines follow the monotonic clock",
                jump_seconds=round(jump.total_seconds(), 3),
                database_offset_seconds=round((database - projected).total_seconds(), 3),
            )
            self._reported = jump
        return projected
