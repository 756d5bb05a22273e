"""Who a role's alert is delivered to: the person on duty for the case's state, and after.

With a rota file, a delivery to a role becomes deliveries to whoever holds the alert
first (`domain.oncall.holders`), each choice kept in `on_call_choices`. When every
channel to that person has failed (refused, or `hand_over_after_attempts` failed
attempts), the next holder gets it in the same unit of work that records the failure:
their stand-ins in order, then the role's endpoint. A failure to a person is not
reported (`NotificationFailed`): the alert is still on its way; the role's endpoint, last
of every order, reports as it always has.

The case's state comes from the event when it carries one (a referral, a detention
alert); otherwise from what the notifier remembered of the case from such an event.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import structlog
from lindung_contracts import Channel, MalaysianState

from .adapters import on_call, postgres
from .domain import (
    GaveUp,
    Recipient,
    RecipientKind,
    RetryLater,
    holders,
    next_holder,
    recipients_for,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime
    from uuid import UUID

    import asyncpg
    from lindung_common import Work
    from lindung_contracts import Envelope

    from .domain import Endpoints, Holder, HolidayCalendar, RotaFile

__all__ = ["Addressing", "OnCall"]

log = structlog.get_logger(__name__)

# Who a role's recipient of one event is addressed to, and the choice to record (if any).
Addressing = tuple[Recipient, on_call.Choice | None]


class OnCall:
    """The rotas at work: choosing holders as alerts are stored, handing over on failure."""

    def __init__(self, rotas: RotaFile, calendar: HolidayCalendar, endpoints: Endpoints) -> None:
        self._rotas = rotas
        self._calendar = calendar
        self._endpoints = endpoints

    async def choose(
        self, conn: asyncpg.Connection, envelopes: Sequence[Envelope[Any]], now: datetime
    ) -> Callable[[Envelope[Any], Recipient], Addressing]:
        """Note the states these events carry; return who each role recipient is addressed to."""
        said = {e.data.case_id: s for e in envelopes if (s := _state_of(e.data)) is not None}
        await on_call.note_states(conn, [(case, state.value) for case, state in said.items()], now)
        # Looked up only for the cases of alerts to a role that do not say their state.
        unknown = {
            e.data.case_id
            for e in envelopes
            if any(r.kind is RecipientKind.ROLE for r in recipients_for(e.data))
        } - said.keys()
        remembered = await on_call.known_states(conn, list(unknown))
        states = {case: MalaysianState(s) for case, s in remembered.items()} | said

        def address(envelope: Envelope[Any], recipient: Recipient) -> Addressing:
            if recipient.kind is not RecipientKind.ROLE:
                return recipient, None
            state = _state_of(envelope.data) or states.get(envelope.data.case_id)
            chain = holders(self._rotas, recipient.name, state, now, self._calendar)
            choice = _choice(recipient.name, state, chain[0], 0, now)
            return _recipient(recipient.name, chain[0]), choice

        return address

    async def record(self, work: Work, chosen: Sequence[on_call.Chosen]) -> None:
        """Keep the choices behind the deliveries just stored."""
        await on_call.record_choices(work.conn, chosen, work.now)

    def cap(self, attempts: Sequence[postgres.Attempt]) -> list[postgres.Attempt]:
        """A person not reached after `hand_over_after_attempts` is given up on, to hand over."""
        limit = self._rotas.hand_over_after_attempts
        return [
            dataclasses.replace(a, outcome=GaveUp(at=a.finished_at, error=a.outcome.error))
            if a.delivery.recipient.kind is RecipientKind.PERSON
            and isinstance(a.outcome, RetryLater)
            and a.delivery.attempt >= limit
            else a
            for a in attempts
        ]

    async def hand_over(self, work: Work, attempts: Sequence[postgres.Attempt]) -> set[UUID]:
        """Pass alerts whose person could not be reached to their next holder.

        Returns the deliveries whose failure is not to be reported: every failed one to a
        person, since the alert goes on to the next holder.
        """
        failed = sorted(
            (
                a
                for a in attempts
                if a.delivery.recipient.kind is RecipientKind.PERSON
                and isinstance(a.outcome, GaveUp)
            ),
            key=lambda a: a.delivery.cause_event_id,  # locks taken in one order
        )
        passed: set[tuple[UUID, str]] = set()
        for attempt in failed:
            alert = (attempt.delivery.cause_event_id, attempt.delivery.recipient.name)
            if alert not in passed:  # two channels to the person failed in one pass
                passed.add(alert)
                await self._pass_on(work, attempt.delivery)
        return {a.delivery.notification_id for a in failed}

    async def roles(self, work: Work, attempts: Sequence[postgres.Attempt]) -> dict[UUID, str]:
        """The role each delivery to a person held the alert for, to say so when reporting."""
        persons = [
            a.delivery.notification_id
            for a in attempts
            if a.delivery.recipient.kind is RecipientKind.PERSON
        ]
        return await on_call.roles_of(work.conn, persons)

    async def _pass_on(self, work: Work, delivery: postgres.ClaimedDelivery) -> None:
        await on_call.lock_event(work.conn, delivery.cause_event_id)
        choice = await on_call.unreached(work.conn, delivery.notification_id)
        if choice is None:
            return  # another channel to the person may still reach them
        state = MalaysianState(choice.state) if choice.state is not None else None
        chain = holders(self._rotas, choice.role, state, choice.decided_for, self._calendar)
        following = next_holder(chain, choice.position)
        if following is None:  # pragma: no cover - every order ends with the role
            return
        position, holder = following
        addressee = _recipient(choice.role, holder)
        new = _choice(choice.role, state, holder, position, choice.decided_for)
        deliveries = [
            postgres.NewDelivery(
                notification_id=work.new_id(),
                cause_event_id=delivery.cause_event_id,
                cause_type=delivery.cause_type,
                recipient=addressee,
                case_id=delivery.case_id,
                referral_id=delivery.referral_id,
                event_json=delivery.body.decode(),
                channel=channel,
            )
            for channel in self._channels(addressee)
        ]
        await postgres.insert_deliveries(work.conn, deliveries, work.now)
        await self.record(
            work,
            [
                on_call.Chosen(d.notification_id, d.cause_event_id, d.case_id, new)
                for d in deliveries
            ],
        )
        bound = log.bind(event_id=str(delivery.cause_event_id), case_id=str(delivery.case_id))
        work.after_commit(
            lambda: bound.warning(
                "alert handed over: its holder was not reached",
                role=choice.role,
                not_reached=delivery.recipient.name,
                to=addressee.describe(),
                why=holder.why.value,
            )
        )

    def _channels(self, recipient: Recipient) -> tuple[Channel, ...]:
        endpoint = self._endpoints.for_recipient(recipient)
        return endpoint.channels() if endpoint is not None else _WEBHOOK_ONLY


def _recipient(role: str, holder: Holder) -> Recipient:
    if holder.person_id is None:
        return Recipient(RecipientKind.ROLE, role)
    return Recipient.person(holder.person_id)


def _choice(
    role: str, state: MalaysianState | None, holder: Holder, position: int, at: datetime
) -> on_call.Choice:
    return on_call.Choice(
        role=role,
        state=state.value if state is not None else None,
        person_id=holder.person_id,
        position=position,
        why=holder.why.value,
        decided_for=at,
    )


def _state_of(payload: object) -> MalaysianState | None:
    """The state an event says its case is in, when it says one."""
    state = getattr(payload, "state", None)
    return state if isinstance(state, MalaysianState) else None


# A holder with no endpoint still gets a (webhook) delivery: it fails and is reported.
_WEBHOOK_ONLY = (Channel.WEBHOOK,)
