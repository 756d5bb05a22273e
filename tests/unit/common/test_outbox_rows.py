"""`outbox_rows`: events encoded for the outbox, and refused there when too large to send."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from lindung_common import EventTooLarge, FailureClass, RecordRefused, classify
from lindung_common.outbox import outbox_rows
from lindung_contracts import (
    REFERRALS,
    STRUCTURED_CONTENT_TYPE,
    Envelope,
    EventDeadLettered,
    ReferralAccepted,
    ServiceType,
    decode,
)

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)


def wrap(payload) -> Envelope:
    return Envelope.wrap(payload, event_id=uuid.uuid4(), time=NOW, source="/lindung/router")


def accepted() -> Envelope:
    return wrap(
        ReferralAccepted(
            referral_id=uuid.uuid4(),
            case_id=uuid.uuid4(),
            provider_id="shelter-kl-1",
            service=ServiceType.SAFE_SHELTER,
            at=NOW,
        )
    )


def dead_letter(value_b64_chars: int) -> Envelope:
    return wrap(
        EventDeadLettered(
            consumer="lindung-router",
            reason="not decodable",
            original_topic=REFERRALS.name,
            original_partition=0,
            original_offset=0,
            original_key_b64=None,
            original_value_b64="A" * value_b64_chars,
            dead_lettered_at=NOW,
        )
    )


def test_each_event_becomes_a_row_for_its_topic_keyed_by_the_case():
    first, second = accepted(), accepted()

    rows = outbox_rows([first, second])

    assert [row[:4] for row in rows] == [
        (e.id, "org.lindung.referral.accepted.v1", REFERRALS.name, str(e.data.case_id).encode())
        for e in (first, second)
    ]
    for envelope, (*_, value, headers) in zip((first, second), rows, strict=True):
        assert json.loads(headers) == [["content-type", STRUCTURED_CONTENT_TYPE]]
        sent_headers = [(n, v.encode()) for n, v in json.loads(headers)]
        assert decode(value, sent_headers) == envelope


def test_no_events_no_rows():
    assert outbox_rows([]) == []


def test_an_event_larger_than_the_broker_takes_is_refused_naming_its_type_and_the_limit():
    with pytest.raises(EventTooLarge) as raised:
        outbox_rows([accepted(), dead_letter(1_100_000)])

    message = str(raised.value)
    assert "org.lindung.event.dead-lettered.v1" in message
    assert "the limit is 1000000" in message


def test_the_limit_counts_key_and_headers_and_an_event_exactly_at_it_passes():
    envelope = dead_letter(10_000)
    ((*_, key, value, headers),) = outbox_rows([envelope])
    size = len(key) + len(value) + sum(len(n) + len(v) for n, v in json.loads(headers))

    assert len(outbox_rows([envelope], max_event_bytes=size)) == 1
    with pytest.raises(EventTooLarge, match=f"would be {size} bytes; the limit is {size - 1}"):
        outbox_rows([envelope], max_event_bytes=size - 1)


def test_too_large_is_the_record_at_fault_so_it_is_dead_lettered_not_retried():
    with pytest.raises(EventTooLarge) as raised:
        outbox_rows([dead_letter(2000)], max_event_bytes=1024)

    assert isinstance(raised.value, RecordRefused)
    failure = classify(raised.value)
    assert failure.kind is FailureClass.DETERMINISTIC
    assert "org.lindung.event.dead-lettered.v1" in failure.reason
    assert "the limit is 1024" in failure.reason
