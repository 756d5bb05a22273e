"""Step one of a notification: turn an accepted event into pending deliveries, durably.

The handler only writes rows, in the consume path's transaction; the dispatcher sends
them. So consuming from Kafka never waits on a slow webhook, and what was consumed
survives a restart in PostgreSQL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lindung_contracts import (
    Channel,
    DeadlineMissed,
    DeadlineWarning,
    DetentionEscalated,
    LegalClockMissed,
    NoProviderAvailable,
    PackageDeadlineMissed,
    ReferralAccepted,
    ReferralCancelled,
    ReferralDeclined,
    ReferralRequested,
    ReferralRerouted,
)

from .adapters import on_call as on_call_rows
from .adapters import postgres
from .domain import recipients_for, referral_of

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from lindung_common import RunHandler, Work
    from lindung_contracts import Envelope, Payload

    from .domain import Endpoints, Recipient
    from .on_call import OnCall

__all__ = ["CONSUMER", "DELIVERED_TYPES", "HANDLED_TYPES", "handler", "store_deliveries"]

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
    LegalClockMissed,
)


# What happened to each referral, kept for the escalation email's "what was tried".
_HISTORY: dict[type[Payload], str] = {
    ReferralRequested: "asked",
    ReferralDeclined: "declined",
    ReferralRerouted: "withdrawn",
    ReferralAccepted: "accepted",
}
HANDLED_TYPES: tuple[type[Payload], ...] = (*DELIVERED_TYPES, ReferralDeclined, ReferralAccepted)


def handler(
    wake: Callable[[], object], endpoints: Endpoints | None = None, on_call: OnCall | None = None
) -> RunHandler:
    """The handler of every delivered event; `wake` runs once what it stored is committed."""

    async def on_delivered_events(work: Work, envelopes: list[Envelope[Any]]) -> None:
        # The history and the deliveries in one statement: one round trip per batch.
        if await store_deliveries(work, envelopes, endpoints, on_call, history=_history(envelopes)):
            # Not before the commit: the dispatcher would find nothing to claim yet.
            work.after_commit(wake)

    return on_delivered_events


async def store_deliveries(
    work: Work,
    envelopes: list[Envelope[Any]],
    endpoints: Endpoints | None = None,
    on_call: OnCall | None = None,
    *,
    history: Sequence[postgres.HistoryRow] = (),
) -> int:
    """Store one pending delivery per recipient and channel of each event; how many new.

    `history` (what happened to referrals) is stored in the same statement.

    A recipient with no endpoint still gets its (webhook) delivery: it fails, and the
    failure is reported, rather than the event vanishing here. With rotas (`on_call`), a
    role's delivery goes to whoever holds its alert, and the choice is kept.
    """
    address = await on_call.choose(work.conn, envelopes, work.now) if on_call else _as_is
    deliveries: list[postgres.NewDelivery] = []
    chosen: list[on_call_rows.Chosen] = []
    for envelope in envelopes:
        event_json = envelope.model_dump_json()
        for recipient in recipients_for(envelope.data):
            addressee, choice = address(envelope, recipient)
            for channel in _channels(endpoints, addressee):
                delivery = postgres.NewDelivery(
                    notification_id=work.new_id(),
                    cause_event_id=envelope.id,
                    cause_type=envelope.type,
                    recipient=addressee,
                    case_id=envelope.data.case_id,
                    referral_id=referral_of(envelope.data),
                    event_json=event_json,
                    channel=channel,
                )
                deliveries.append(delivery)
                if choice is not None:
                    chosen.append(
                        on_call_rows.Chosen(
                            delivery.notification_id, envelope.id, envelope.data.case_id, choice
                        )
                    )
    stored = await postgres.insert_deliveries(work.conn, deliveries, work.now, history)
    if on_call is not None:
        await on_call.record(work, chosen)
    return stored


def _as_is(_: Envelope[Any], recipient: Recipient) -> tuple[Recipient, None]:
    return recipient, None


def _channels(endpoints: Endpoints | None, recipient: Recipient) -> tuple[Channel, ...]:
    endpoint = endpoints.for_recipient(recipient) if endpoints is not None else None
    return endpoint.channels() if endpoint is not None else (Channel.WEBHOOK,)


def _history(envelopes: list[Envelope[Any]]) -> list[postgres.HistoryRow]:
    rows = []
    for envelope in envelopes:
        fact = envelope.data
        what = _HISTORY.get(type(fact))
        if what is None:
            continue
        if isinstance(fact, ReferralRerouted) and fact.coordinator_id is not None:
            what = "reassigned"  # moved by a person, not taken back for silence
        at = fact.requested_at if isinstance(fact, ReferralRequested) else fact.at
        rows.append(
            postgres.HistoryRow(
                event_id=envelope.id,
                case_id=fact.case_id,
                referral_id=fact.referral_id,
                service=fact.service.value,
                provider_id=fact.provider_id,
                what=what,
                at=at,
            )
        )
    return rows
