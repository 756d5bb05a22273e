"""The notifier's rules: recipients, endpoints, retries and the webhook request. No I/O."""

from .endpoints import Endpoint, Endpoints, RoleEndpoints
from .recipients import Recipient, RecipientKind, recipients_for, referral_of
from .retry import AttemptResult, Delivered, GaveUp, Outcome, RetryLater, RetryPolicy, decide
from .webhook import (
    ATTEMPT_HEADER,
    CONTENT_TYPE,
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WEBHOOK_ID_HEADER,
    request_headers,
    signatures,
)

__all__ = [
    "ATTEMPT_HEADER",
    "CONTENT_TYPE",
    "IDEMPOTENCY_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "WEBHOOK_ID_HEADER",
    "AttemptResult",
    "Delivered",
    "Endpoint",
    "Endpoints",
    "GaveUp",
    "Outcome",
    "Recipient",
    "RecipientKind",
    "RetryLater",
    "RetryPolicy",
    "RoleEndpoints",
    "decide",
    "recipients_for",
    "referral_of",
    "request_headers",
    "signatures",
]
