"""The webhook request: CloudEvents structured mode, idempotency key, optional signature.

Signature scheme (for receivers): `X-Lindung-Signature: t=<unix seconds>,v1=<hex>` where
hex is HMAC-SHA256(secret, "<t>." + raw body). Receivers recompute it over the raw bytes,
compare in constant time and refuse timestamps too far from their own clock (replays).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

from lindung_contracts import STRUCTURED_CONTENT_TYPE

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

__all__ = [
    "ATTEMPT_HEADER",
    "CONTENT_TYPE",
    "IDEMPOTENCY_HEADER",
    "SIGNATURE_HEADER",
    "request_headers",
    "sign",
    "verify",
]

# The CloudEvents HTTP binding uses the same media type for structured mode as Kafka.
CONTENT_TYPE = STRUCTURED_CONTENT_TYPE
IDEMPOTENCY_HEADER = "Idempotency-Key"
ATTEMPT_HEADER = "X-Lindung-Delivery-Attempt"
SIGNATURE_HEADER = "X-Lindung-Signature"


def sign(secret: str, body: bytes, at: datetime) -> str:
    """The signature header value for `body` sent at `at`."""
    timestamp = int(at.timestamp())
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def verify(header: str, secret: str, body: bytes, now: datetime, tolerance_seconds: int) -> bool:
    """Whether `header` signs `body` with `secret` within `tolerance_seconds` of `now`."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
        given = fields["v1"]
    except (KeyError, ValueError):
        return False
    if abs(now.timestamp() - timestamp) > tolerance_seconds:
        return False
    return hmac.compare_digest(given, _mac(secret, timestamp, body))


def request_headers(
    *,
    notification_id: UUID,
    attempt: int,
    body: bytes,
    secret: str | None,
    now: datetime,
) -> dict[str, str]:
    """Every header of one webhook POST."""
    headers = {
        "Content-Type": CONTENT_TYPE,
        # Same key on every attempt: the receiver can drop our retries of what it already has.
        IDEMPOTENCY_HEADER: str(notification_id),
        ATTEMPT_HEADER: str(attempt),
    }
    if secret is not None:
        headers[SIGNATURE_HEADER] = sign(secret, body, now)
    return headers


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
