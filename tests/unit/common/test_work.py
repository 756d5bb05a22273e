"""`Events` and `Work`: ids and time from the ports, events collected for the outbox."""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from lindung_common import Events, EventTooLarge, SystemClock, Work, new_id
from lindung_contracts import (
    REFERRALS,
    EventDeadLettered,
    ProviderResponded,
    ReferralAccepted,
    ResponseKind,
    ServiceType,
    decode,
    encode,
)

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)


class TickingClock:
    """A clock that moves a minute every time it is read."""

    def __init__(self) -> None:
        self._ticks = itertools.count()

    def now(self) -> datetime:
        return NOW + timedelta(minutes=next(self._ticks))


def counting_ids():
    numbers = itertools.count(1)
    return lambda: uuid.UUID(int=next(numbers))


def events() -> Events:
    return Events("router", clock=TickingClock(), ids=counting_ids())


def accepted() -> ReferralAccepted:
    return ReferralAccepted(
        referral_id=uuid.uuid4(),
        case_id=uuid.uuid4(),
        provider_id="shelter-kl-1",
        service=ServiceType.SAFE_SHELTER,
        at=NOW,
    )


def answer() -> ProviderResponded:
    return ProviderResponded(
        response_id=uuid.uuid4(),
        referral_id=uuid.uuid4(),
        case_id=uuid.uuid4(),
        provider_id="shelter-kl-1",
        response=ResponseKind.ACCEPTED,
        responded_at=NOW,
    )


def huge() -> EventDeadLettered:
    return EventDeadLettered(
        consumer="lindung-router",
        reason="not decodable",
        original_topic=REFERRALS.name,
        original_partition=0,
        original_offset=0,
        original_key_b64=None,
        original_value_b64="A" * 4096,
        dead_lettered_at=NOW,
    )


def work(max_event_bytes: int = 1_000_000) -> Work:
    return Work(conn=object(), events=events(), max_event_bytes=max_event_bytes)  # type: ignore[arg-type]


# Events


def test_an_envelope_takes_its_id_and_time_from_the_ports():
    payload = answer()

    envelope = events().wrap(payload)

    assert envelope.id == uuid.UUID(int=1)
    assert envelope.time == NOW
    assert envelope.source == "/lindung/router"
    assert envelope.type == "org.lindung.provider.responded.v1"
    assert envelope.partitionkey == str(payload.case_id)
    assert envelope.data == payload


def test_each_envelope_gets_a_fresh_id_and_the_time_of_wrapping():
    maker = events()

    first, second = maker.wrap(answer()), maker.wrap(answer())

    assert (first.id, second.id) == (uuid.UUID(int=1), uuid.UUID(int=2))
    assert (first.time, second.time) == (NOW, NOW + timedelta(minutes=1))


def test_an_id_and_time_given_are_used_instead_of_the_ports():
    chosen = uuid.UUID("00000000-0000-4000-8000-0000000000e1")
    then = NOW - timedelta(days=1)

    envelope = events().wrap(answer(), event_id=chosen, time=then)

    assert (envelope.id, envelope.time) == (chosen, then)


def test_an_envelope_survives_the_codec():
    envelope = events().wrap(answer())
    record = encode(envelope)

    assert decode(record.value, record.headers) == envelope


def test_the_system_clock_is_timezone_aware_and_ids_are_unique():
    assert SystemClock().now().utcoffset() == timedelta(0)
    assert len({new_id() for _ in range(1000)}) == 1000


# Work


def test_emitted_events_carry_fresh_ids_and_the_works_time_however_late_they_are_raised():
    unit = work()  # reads the clock once: NOW

    first = unit.emit(accepted())
    second = unit.emit(accepted(), answer())

    emitted = [*first, *second]
    assert [e.time for e in emitted] == [NOW, NOW, NOW]
    assert [e.id for e in emitted] == [uuid.UUID(int=n) for n in (1, 2, 3)]
    assert unit.now == NOW


def test_emitted_events_accumulate_as_outbox_rows_in_order():
    unit = work()

    emitted = [*unit.emit(accepted()), *unit.emit(accepted(), answer())]

    assert [(row[0], row[1], row[2]) for row in unit.rows] == [
        (e.id, e.type, encode(e).topic) for e in emitted
    ]
    assert [row[3] for row in unit.rows] == [encode(e).key for e in emitted]


def test_envelopes_with_chosen_ids_are_kept_as_they_are():
    unit = work()
    chosen = Events("router", ids=lambda: uuid.UUID(int=99)).wrap(accepted(), time=NOW)

    unit.emit_envelopes(chosen)

    assert [row[0] for row in unit.rows] == [uuid.UUID(int=99)]


def test_an_event_too_large_is_refused_at_emit_and_nothing_of_that_call_is_kept():
    unit = work(max_event_bytes=2048)
    unit.emit(accepted())

    with pytest.raises(EventTooLarge, match=re.escape("org.lindung.event.dead-lettered.v1")):
        unit.emit(accepted(), huge())

    assert len(unit.rows) == 1


def test_callbacks_are_collected_for_after_the_commit_not_run():
    unit = work()
    ran: list[str] = []

    unit.after_commit(lambda: ran.append("wake the sender"))
    unit.after_commit(lambda: ran.append("log"))

    assert ran == []
    for callback in unit.callbacks:
        callback()
    assert ran == ["wake the sender", "log"]


def test_new_ids_come_from_the_services_id_factory():
    unit = work()

    assert [unit.new_id(), unit.new_id()] == [uuid.UUID(int=1), uuid.UUID(int=2)]
