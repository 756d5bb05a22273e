"""Step one of a notification: turn an accepted event into pending deliveries, durably.

The handler only writes rows, in the consume path's transaction; the dispatcher sends
them. So consuming from Kafka never waits on a slow webhook, and what was consumed
survives a restart in PostgreSQL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lindung_contracts import (
    DeadlineMissed,
    DeadlineWarning,
    DetentionEscalated,
    NoProviderAvailable,
    PackageDeadlineMissed,
    ReferralCancelled,
    ReferralRequested,
    ReferralRerouted,
)

from .adapters import postgres
from .domain import recipients_for, referral_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from lindung_common import RunHandler, Work
    from lindung_contracts import Envelope, Payload

__all__ = ["CONSUMER", "DELIVERED_TYPES", "handler", "store_deliveries"]

CONSUMER = "notifier"
# The events the notifier delivers; every other event on its topics is skipped.
DELIVERED_TYPES: tuple[type[Payload], ...] = (
    ReferralRequested,
    ReferralRerouted,
    ReferralCancelled,
    NoProviderAvailable,
    DetentionEscalated,
    DeadlineWarning,
    DeadlineMissed,
    PackageDeadlineMissed,
)


def handler(wake: Callable[[], object]) -> RunHandler:
    """The handler of every delivered event; `wake` runs once what it stored is committed."""

    async def on_delivered_events(work: Work, envelopes: list[Envelope[Any]]) -> None:
        if await store_deliveries(work, envelopes):
            # Not before the commit: the dispatcher would find nothing to claim yet.
            work.after_commit(wake)

    return on_delivered_events


async def store_deliveries(work: Work, envelopes: list[Envelope[Any]]) -> int:
    """Store one pending delivery per recipient of each event, in one statement; how many new."""
    deliveries = [
        postgres.NewDelivery(
            notification_id=work.new_id(),
            cause_event_id=envelope.id,
            cause_type=envelope.type,
            recipient=recipient,
            case_id=envelope.data.case_id,
            referral_id=referral_of(envelope.data),
            event_json=event_json,
        )
        for envelope in envelopes
        for event_json in (envelope.model_dump_json(),)
        for recipient in recipients_for(envelope.data)
    ]
    return await postgres.insert_deliveries(work.conn, deliveries, work.now)
