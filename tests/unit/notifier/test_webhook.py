from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from lindung_notifier.domain import request_headers, sign, verify

AT = datetime(2026, 11, 27, 8, 0, 5, 900_000, tzinfo=UTC)
BODY = b'{"specversion":"1.0","type":"org.lindung.referral.requested.v1"}'
SECRET = "a-shared-secret-of-enough-length"


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    header = sign(SECRET, BODY, AT)

    timestamp = int(AT.timestamp())
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + BODY, hashlib.sha256)
    assert header == f"t={timestamp},v1={expected.hexdigest()}"
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", header)


def test_a_receiver_accepts_a_fresh_signature_of_the_same_body():
    header = sign(SECRET, BODY, AT)

    assert verify(header, SECRET, BODY, AT + timedelta(seconds=30), tolerance_seconds=300)


@pytest.mark.parametrize(
    ("header_of", "secret", "body", "now"),
    [
        ("ok", "another-secret-of-enough-length", BODY, AT),
        ("ok", SECRET, BODY + b" ", AT),
        ("ok", SECRET, BODY, AT + timedelta(minutes=6)),
        ("t=oops,v1=00", SECRET, BODY, AT),
        ("garbage", SECRET, BODY, AT),
    ],
    ids=["wrong secret", "changed body", "too old", "bad timestamp", "not a signature"],
)
def test_a_receiver_refuses_what_does_not_match(header_of, secret, body, now):
    header = sign(SECRET, BODY, AT) if header_of == "ok" else header_of

    assert not verify(header, secret, body, now, tolerance_seconds=300)


def test_request_headers_follow_the_cloudevents_structured_mode():
    notification_id = uuid.uuid4()

    headers = request_headers(
        notification_id=notification_id, attempt=3, body=BODY, secret=None, now=AT
    )

    assert headers == {
        "Content-Type": "application/cloudevents+json; charset=UTF-8",
        "Idempotency-Key": str(notification_id),
        "X-Lindung-Delivery-Attempt": "3",
    }


def test_request_headers_are_signed_when_the_endpoint_has_a_secret():
    headers = request_headers(
        notification_id=uuid.uuid4(), attempt=1, body=BODY, secret=SECRET, now=AT
    )

    assert headers["X-Lindung-Signature"] == sign(SECRET, BODY, AT)
