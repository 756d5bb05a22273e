"""The webhook request: CloudEvents structured mode, signed as Standard Webhooks 1.0, and
checked here with the published verifier a receiver would use."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from lindung_notifier.domain import request_headers, signatures
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

BODY = '{"specversion":"1.0","type":"org.lindung.referral.requested.v1","data":{"x":"é"}}'.encode()
OLD = "whsec_" + base64.b64encode(b"o" * 32).decode()
NEW = "whsec_" + base64.b64encode(b"n" * 32).decode()


def _headers(secrets: tuple[str, ...], now: datetime | None = None) -> dict[str, str]:
    return request_headers(
        notification_id=uuid.uuid4(),
        attempt=1,
        body=BODY,
        secrets=secrets,
        now=now or datetime.now(UTC),
    )


def test_a_receiver_verifies_the_request_with_the_standard_webhooks_library():
    headers = _headers((NEW,))

    assert Webhook(NEW).verify(BODY, headers) == {
        "specversion": "1.0",
        "type": "org.lindung.referral.requested.v1",
        "data": {"x": "é"},
    }
    assert headers["webhook-id"] == headers["Idempotency-Key"]


def test_during_a_rotation_either_secret_verifies():
    headers = _headers((NEW, OLD))

    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (NEW, OLD):
        Webhook(secret).verify(BODY, headers)


@pytest.mark.parametrize(
    "spoil",
    [
        lambda h, b: (h, b + b" "),
        lambda h, b: (h | {"webhook-id": str(uuid.uuid4())}, b),
        lambda h, b: (h | {"webhook-timestamp": str(int(h["webhook-timestamp"]) + 1)}, b),
    ],
    ids=["changed body", "another id", "another timestamp"],
)
def test_a_receiver_refuses_what_was_changed(spoil):
    headers, body = spoil(_headers((NEW,)), BODY)

    with pytest.raises(WebhookVerificationError):
        Webhook(NEW).verify(body, headers)


def test_another_secret_or_an_old_request_is_refused():
    with pytest.raises(WebhookVerificationError):
        Webhook(OLD).verify(BODY, _headers((NEW,)))
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(NEW).verify(BODY, _headers((NEW,), datetime.now(UTC) - timedelta(minutes=6)))


def test_the_time_signed_is_the_same_instant_in_any_time_zone():
    at = datetime(2026, 11, 27, 8, 0, 5, tzinfo=UTC)
    kuala_lumpur = at.astimezone(timezone(timedelta(hours=8)))

    assert signatures((NEW,), "id-1", kuala_lumpur, BODY) == signatures((NEW,), "id-1", at, BODY)


def test_request_headers_follow_the_cloudevents_structured_mode_unsigned_without_secrets():
    notification_id = uuid.uuid4()
    at = datetime(2026, 11, 27, 8, 0, 5, 900_000, tzinfo=UTC)

    headers = request_headers(
        notification_id=notification_id, attempt=3, body=BODY, secrets=(), now=at
    )

    assert headers == {
        "Content-Type": "application/cloudevents+json; charset=utf-8",
        "Idempotency-Key": str(notification_id),
        "X-Lindung-Delivery-Attempt": "3",
        "webhook-id": str(notification_id),
        "webhook-timestamp": str(int(at.timestamp())),
    }
