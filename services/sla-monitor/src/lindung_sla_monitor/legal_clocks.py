"""The Child Act's chained clocks: a recorded milestone starts and stops them; time runs them out.

`LegalClocks.on_milestone` is the consumer's handler of `CaseMilestoneRecorded` (load the
case's milestones and clocks, decide with `domain.legal_clocks.on_milestone`, save);
`fire_legal_clocks` is one pass of the scheduler over the clocks come due, each raising
its one `LegalClockMissed` to the case coordinator.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import structlog
from lindung_contracts import LegalClockState

from .adapters import legal_clocks as stored
from .domain.legal_clocks import (
    Milestone,
    clock_alert,
    clock_change_id,
    clock_changed,
    clock_event_id,
    on_milestone,
)

if TYPE_CHECKING:
    from datetime import datetime, timedelta
    from uuid import UUID

    from lindung_common import Events, Units, Work
    from lindung_contracts import CaseMilestoneRecorded, Envelope, LegalClockChanged

    from .domain.legal_clocks import LegalClockPolicy

__all__ = ["LegalClocks", "fire_legal_clocks"]

log = structlog.get_logger(__name__)


class LegalClocks:
    """What a recorded milestone does to its case's legal clocks, under `policy`.

    `channel` is where started clocks are announced (NOTIFY, at commit), so the
    scheduler looks again at once.
    """

    def __init__(self, policy: LegalClockPolicy, channel: str, events: Events) -> None:
        self._policy = policy
        self._channel = channel
        self._events = events

    def _wrap(self, work: Work, payload: LegalClockChanged, event_id: UUID) -> Envelope[Any]:
        return self._events.wrap(payload, event_id=event_id, time=work.now)

    async def on_milestone(self, work: Work, envelope: Envelope[Any]) -> None:
        """Keep the milestone (the first of its kind), start and stop the clocks it chains."""
        fact: CaseMilestoneRecorded = envelope.data
        clocks = await stored.case_clocks(work.conn, fact.case_id)  # locked: the scheduler waits
        known = await stored.case_milestones(work.conn, fact.case_id)
        milestone = Milestone(fact.kind, fact.at, fact.court_date)
        decided = on_milestone(self._policy, fact.case_id, milestone, known, clocks)
        if decided.record:
            await stored.insert_milestone(work.conn, fact)
        running = [c.due_at for c in decided.started if c.stopped_at is None]
        announce = (self._channel, min(running).isoformat()) if running else None
        await stored.save_clocks(work.conn, decided.started, decided.stopped, announce)
        # Where each clock now stands, for the desk's case page.
        work.emit_envelopes(
            *(
                self._wrap(work, clock_changed(clock, work.now), clock_change_id(clock))
                for clock in (*decided.started, *decided.stopped)
            )
        )
        work.after_commit(
            lambda: log.info(
                "milestone recorded", event_id=str(envelope.id), case_id=str(fact.case_id),
                kind=fact.kind.value, repeat=not decided.record,
                started=[c.clock for c in decided.started],
                stopped={c.clock: c.state.value for c in decided.stopped},
            )
        )  # fmt: skip


async def fire_legal_clocks(
    units: Units, now: datetime, grace: timedelta, limit: int
) -> tuple[list[Envelope[Any]], int]:
    """Alert once for each running clock come due (after `grace`); the alerts and how many locked.

    The grace lets a milestone recorded just in time, still on its way, stop its clock.
    """
    async with units.open() as work:
        due = await stored.lock_due_clocks(work.conn, now - grace, limit)
        alerts = [(clock, clock_alert(clock, now)) for clock in due]
        raised = [
            (clock, units.events.wrap(alert, event_id=clock_event_id(clock.case_id, clock.clock),
                                      time=now))
            for clock, alert in alerts
            if alert is not None
        ]  # fmt: skip
        work.emit_envelopes(*(envelope for _, envelope in raised))
        missed = [replace(clock, state=LegalClockState.MISSED) for clock, _ in raised]
        work.emit_envelopes(
            *(
                units.events.wrap(clock_changed(c, now), event_id=clock_change_id(c), time=now)
                for c in missed
            )
        )
        await stored.mark_missed(work.conn, [(c, e.id) for c, e in raised], now)

        def logged() -> None:
            for clock, envelope in raised:
                log.warning(
                    "legal clock missed", event_id=str(envelope.id), case_id=str(clock.case_id),
                    clock=clock.clock, due_at=clock.due_at.isoformat(),
                )  # fmt: skip

        work.after_commit(logged)
    return [envelope for _, envelope in raised], len(due)
