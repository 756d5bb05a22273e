"""A coordinator pausing or resuming the clock of a referral offered to several providers.

A pause is about the child (in hospital, say), not about one provider: every referral of
the offer still waiting pauses or resumes with the one named, so that the offer's ladder
stands still as one and no provider of it is taken back for a silence nobody is late for.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from .adapters import offers as offers_db
from .adapters import postgres as db
from .domain import change_clock

if TYPE_CHECKING:
    from lindung_common import Work
    from lindung_contracts import ClockChangeRequested, Envelope, ReferralPaused, ReferralResumed

__all__ = ["on_clock_change"]


async def on_clock_change(work: Work, envelope: Envelope[Any], bound: Any) -> bool:
    """Pause or resume every referral of the offer still waiting; False for no offer."""
    request: ClockChangeRequested = envelope.data
    offer_id = await offers_db.offer_of(work.conn, request.referral_id)
    if offer_id is None:
        return False
    bound = bound.bind(offer_id=str(offer_id))
    members = await offers_db.lock_offer(work.conn, offer_id)
    referral = next(m for m in members if m.referral_id == request.referral_id)
    change = change_clock(referral, request)
    if change.event is None:
        bound.warning("clock change changes nothing", why=change.ignored)
        return True
    changes: list[tuple[uuid.UUID, ReferralPaused | ReferralResumed]] = [
        (request.request_id, change.event)
    ]
    for other in members:
        if other.referral_id == referral.referral_id:
            continue
        # Those of the offer in the same state of clock; the others (withdrawn, declined,
        # or already so) are left as they are.
        same = change_clock(other, request).event
        if same is not None:
            # One request, one row per referral it changed: a fixed id for each.
            changes.append((uuid.uuid5(request.request_id, str(other.referral_id)), same))
    for request_id, event in changes:
        await db.record_clock_change(work.conn, event, request_id)
    work.emit(*(event for _, event in changes))
    work.after_commit(lambda: bound.info("offer clock changed", referrals=len(changes)))
    return True
