"""A coordinator acknowledged an alert: the next level waits (rule: `domain/acknowledging.py`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import structlog

from .adapters import acknowledgements as acks
from .adapters import offers
from .adapters import postgres as db
from .domain import AckOutcome, acknowledgement_window, on_acknowledgement

if TYPE_CHECKING:
    from lindung_common import Work
    from lindung_contracts import AlertAcknowledged, Envelope

__all__ = ["Acknowledgements"]

log = structlog.get_logger(__name__)


class Acknowledgements:
    """The handler of AlertAcknowledged."""

    def __init__(self, channel: str) -> None:
        self._channel = channel

    async def on_acknowledged(self, work: Work, envelope: Envelope[Any]) -> None:
        """Hold the levels above the acknowledged one for the window, or record why not."""
        ack: AlertAcknowledged = envelope.data
        rid, level = ack.referral_id, ack.escalation_level
        known, ladder = None, None
        if rid is not None and level is not None:
            known = await db.lock_referral(work.conn, rid)
            if known is not None:
                ladder = await acks.load_ladder(work.conn, rid, level)
        decided = on_acknowledgement(
            ack,
            known,
            raised_levels=ladder.raised_levels if ladder else frozenset(),
            held_before=ladder.held_before if ladder else False,
            pending_above=ladder.pending_above if ladder else (),
            window=acknowledgement_window(ladder.window_seconds if ladder else None),
        )
        await acks.insert_acknowledgement(work.conn, ack, decided)
        moved = 0
        held = decided.outcome is AckOutcome.HELD and decided.moved_by
        if held and rid is not None and level is not None:
            moved = await acks.move_levels_above(work.conn, rid, level, decided.moved_by)
            moved += await offers.move_offer_levels_above(work.conn, rid, level, decided.moved_by)
            # Every scheduler looks again at once, at commit: its next due time has moved.
            await work.conn.execute("SELECT pg_notify($1, '')", self._channel)
        bound = log.bind(
            event_id=str(envelope.id),
            case_id=str(ack.case_id),
            referral_id=None if rid is None else str(rid),
            alert_id=str(ack.alert_id),
            level=level,
            coordinator_id=ack.coordinator_id,
        )
        if decided.outcome is AckOutcome.HELD:
            until = decided.held_until.isoformat() if decided.held_until else None
            work.after_commit(
                lambda: bound.info(
                    "alert acknowledged; next level held", held_until=until, moved_steps=moved
                )
            )
        else:
            work.after_commit(
                lambda: bound.info(
                    "alert acknowledged; nothing to hold",
                    outcome=decided.outcome.value,
                    reason=decided.note,
                )
            )
