"""A coordinator closed a case: its package deadline raises no alert, and it is counted.

The router cancels the case's referrals awaiting acceptance before it says `CaseClosed`
(on the same partition, so in that order here): each cancellation stops its referral's
clock and ladder as any cancellation does. What is left is the case's own deadline, the
whole package, settled here as closed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import structlog

from .adapters import closures

if TYPE_CHECKING:
    from lindung_common import Work
    from lindung_contracts import CaseClosed, Envelope

__all__ = ["on_case_closed"]

log = structlog.get_logger(__name__)


async def on_case_closed(work: Work, envelope: Envelope[Any]) -> None:
    """Settle the case's package deadline as closed; keep the closing for the dashboard."""
    closed: CaseClosed = envelope.data
    first = await closures.insert_closure(work.conn, closed)
    settled = await closures.settle_package(work.conn, closed)
    work.after_commit(
        lambda: log.info("case closed", event_id=str(envelope.id), case_id=str(closed.case_id),
                         outcome=closed.outcome.value, repeat=not first, package_settled=settled)
    )  # fmt: skip
