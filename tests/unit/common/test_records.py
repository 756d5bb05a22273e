"""`Record`: one Kafka record as it arrived, whatever client read it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from lindung_common import Events, Record
from lindung_contracts import REFERRALS, ReferralAccepted, ServiceType, decode


@dataclass
class Message:
    """The shape of a Faust or aiokafka message."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: object


def test_a_record_has_no_headers_unless_given():
    assert Record(topic="t", partition=0, offset=1, key=None, value=b"v").headers == ()


def test_headers_are_read_from_a_list_or_a_mapping_and_a_missing_value_is_kept_as_none():
    as_list = Message("t", 1, 7, b"k", b"v", [("ce_type", b"x"), ("trace", None)])
    as_mapping = Message("t", 1, 7, b"k", b"v", {"ce_type": bytearray(b"x"), "trace": None})

    for message in (as_list, as_mapping):
        record = Record.of_message(message)
        assert record.headers == (("ce_type", b"x"), ("trace", None))
        assert (record.position, record.key, record.value) == ("t/1/7", b"k", b"v")


def test_a_message_without_headers_has_none():
    assert Record.of_message(Message("t", 0, 0, None, None, None)).headers == ()


def test_an_event_becomes_the_record_it_is_on_its_topic():
    payload = ReferralAccepted(
        referral_id=uuid.uuid4(),
        case_id=uuid.uuid4(),
        provider_id="shelter-kl-1",
        service=ServiceType.SAFE_SHELTER,
        at=datetime(2026, 3, 2, 22, 30, tzinfo=UTC),
    )
    envelope = Events("router").wrap(payload)

    record = Record.of_envelope(envelope, partition=3, offset=12)

    assert record.position == f"{REFERRALS.name}/3/12"
    assert record.key == str(payload.case_id).encode()
    assert decode(record.value, record.headers) == envelope
