"""The referral mirror: who each referral is addressed to, and which were taken back.

Intake learns of referrals from the router's events; the mirror is what object-level
checks and waiting requests look at. Each new referral is announced (NOTIFY, at commit)
to every intake process, waking requests that wait on it (`waiting.py`). The same
consumer keeps the alerts to coordinators and supervisors (`alerts.py`), a delivery the
notifier gave up on among them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lindung_common import Consumer
from lindung_contracts import (
    DEADLINES,
    NOTIFICATIONS,
    REFERRALS,
    CaseClosed,
    LegalClockChanged,
    NotificationDelivered,
    ReferralCancelled,
    ReferralRequested,
    ReferralRerouted,
)

from lindung_intake.adapters import postgres as db
from lindung_intake.domain import ALERT_EVENTS
from lindung_intake.use_cases.alerts import mirror_alerts, mirror_holders
from lindung_intake.use_cases.closing import on_cases_closed
from lindung_intake.use_cases.milestones import mirror_clocks

if TYPE_CHECKING:
    from lindung_common import Work
    from lindung_contracts import Envelope

__all__ = ["CONSUMER", "Mirror"]

CONSUMER = "intake"


class Mirror:
    """Stores referrals as the router makes and withdraws them; announces the new ones."""

    def __init__(self, channel: str) -> None:
        self._channel = channel

    def consumer(self) -> Consumer:
        """The consumer of the referrals topic and of the deadlines and notifications alerts."""
        return Consumer(
            name=CONSUMER,
            topics=(REFERRALS, DEADLINES, NOTIFICATIONS),
            run_handlers={
                ReferralRequested: self.on_referrals_requested,
                ReferralRerouted: self.on_referrals_withdrawn,
                ReferralCancelled: self.on_referrals_withdrawn,
                CaseClosed: on_cases_closed,
                **dict.fromkeys(ALERT_EVENTS, mirror_alerts),
                NotificationDelivered: mirror_holders,  # who on call holds an alert
                LegalClockChanged: mirror_clocks,  # where a case's legal clocks stand
            },
        )

    async def on_referrals_requested(self, work: Work, envelopes: list[Envelope[Any]]) -> None:
        """Remember which provider each referral is addressed to; tell who waits on one."""
        referrals: list[ReferralRequested] = [e.data for e in envelopes]
        # The announcement rides on the insert: one round trip for both.
        await db.insert_referral_access(work.conn, referrals, announce_on=self._channel)

    async def on_referrals_withdrawn(self, work: Work, envelopes: list[Envelope[Any]]) -> None:
        """Remember referrals taken back from their providers: their answers get 409 now."""
        await db.mark_withdrawn(work.conn, [(e.data.referral_id, e.data.at) for e in envelopes])
