"""The webhook request: CloudEvents structured mode, signed as Standard Webhooks 1.0.

Receivers verify with any Standard Webhooks library (`standardwebhooks` on PyPI, npm,
Go, …): the signature is HMAC-SHA256 under the endpoint's `whsec_` secret of
`"<webhook-id>.<webhook-timestamp>.<body>"`, base64, as `v1,<signature>`. While an
endpoint's secret is rotated, the request carries one signature per configured secret,
space-separated, and a receiver holding either accepts it. `webhook-id` is the
delivery's id: the same on every retry, so a receiver can drop what it already has.
"""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING

from lindung_contracts import STRUCTURED_CONTENT_TYPE
from standardwebhooks import Webhook

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from uuid import UUID

__all__ = [
    "ATTEMPT_HEADER",
    "CONTENT_TYPE",
    "IDEMPOTENCY_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "WEBHOOK_ID_HEADER",
    "request_headers",
    "signatures",
]

# The CloudEvents HTTP binding uses the same media type for structured mode as Kafka.
CONTENT_TYPE = STRUCTURED_CONTENT_TYPE
IDEMPOTENCY_HEADER = "Idempotency-Key"
ATTEMPT_HEADER = "X-Lindung-Delivery-Attempt"
WEBHOOK_ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"


def signatures(secrets: Sequence[str], webhook_id: str, at: datetime, body: bytes) -> str:
    """The `webhook-signature` value: `v1,<base64>` per secret, space-separated."""
    utc = at.astimezone(UTC)  # the library reads the time as UTC without converting it
    text = body.decode()
    return " ".join(Webhook(secret).sign(webhook_id, utc, text) for secret in secrets)


def request_headers(
    *,
    notification_id: UUID,
    attempt: int,
    body: bytes,
    secrets: Sequence[str],
    now: datetime,
) -> dict[str, str]:
    """Every header of one webhook POST; signed when the endpoint has secrets."""
    webhook_id = str(notification_id)
    headers = {
        "Content-Type": CONTENT_TYPE,
        # Same key on every attempt: the receiver can drop our retries of what it already has.
        IDEMPOTENCY_HEADER: webhook_id,
        ATTEMPT_HEADER: str(attempt),
        WEBHOOK_ID_HEADER: webhook_id,
        TIMESTAMP_HEADER: str(int(now.timestamp())),
    }
    if secrets:
        headers[SIGNATURE_HEADER] = signatures(secrets, webhook_id, now, body)
    return headers
