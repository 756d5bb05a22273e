"""A coordinator closes a case: the router cancels what awaits acceptance, once.

One unit of work: lock the case, then its referrals (in that order, as every answer does),
decide with `domain.close_case`, withdraw the cancelled referrals, keep the closing and
emit each `ReferralCancelled` and then `CaseClosed`. A repeat finds the case closed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import structlog
from lindung_contracts import ReasonCode

from .adapters import closing as db
from .domain import close_case

if TYPE_CHECKING:
    from lindung_common import Work
    from lindung_contracts import CaseCloseRequested, Envelope

__all__ = ["on_close_requested"]

log = structlog.get_logger(__name__)


async def on_close_requested(work: Work, envelope: Envelope[Any]) -> None:
    """Close a case: cancel its referrals awaiting acceptance, route nothing more for it."""
    request: CaseCloseRequested = envelope.data
    bound = log.bind(
        case_id=str(request.case_id),
        event_id=str(envelope.id),
        coordinator_id=request.coordinator_id,
        outcome=request.outcome.value,
    )
    known, closed = await db.lock_case(work.conn, request.case_id)
    if not known:
        bound.warning("close request for a case the router does not know ignored")
        return
    referrals = await db.lock_referrals_of(work.conn, request.case_id)
    closing = close_case(request, referrals, closed=closed)
    if closing.closed is None:
        bound.warning("close request changes nothing", why=closing.ignored)
        return
    cancelled = list(closing.closed.cancelled)
    continuing = len(closing.closed.continuing)
    if cancelled:
        await db.withdraw(work.conn, cancelled, at=request.at, reason=ReasonCode.CASE_CLOSED.value)
    await db.record_closing(work.conn, closing.closed)
    work.emit(*closing.events)
    work.after_commit(
        lambda: bound.info("case closed", cancelled=len(cancelled), continuing=continuing)
    )
