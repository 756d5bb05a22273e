"""The notifier's rules: recipients, endpoints, retries and the webhook request. No I/O."""

from .email import EmailNotice, Tried, render_email
from .endpoints import Endpoint, Endpoints, RoleEndpoints, SmsTarget
from .links import DESK_URL_MAX_LENGTH, notice_link
from .oncall import MALAYSIA, Holder, HolidayCalendar, Why, holders, next_holder, on_duty
from .recipients import Recipient, RecipientKind, recipients_for, referral_of
from .retry import AttemptResult, Delivered, GaveUp, Outcome, RetryLater, RetryPolicy, decide
from .rota import Day, Person, Rota, RotaFile, Shift
from .sms import SMS_LIMIT, Language, reference, sms_text
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
    "DESK_URL_MAX_LENGTH",
    "IDEMPOTENCY_HEADER",
    "MALAYSIA",
    "SIGNATURE_HEADER",
    "SMS_LIMIT",
    "TIMESTAMP_HEADER",
    "WEBHOOK_ID_HEADER",
    "AttemptResult",
    "Day",
    "Delivered",
    "EmailNotice",
    "Endpoint",
    "Endpoints",
    "GaveUp",
    "Holder",
    "HolidayCalendar",
    "Language",
    "Outcome",
    "Person",
    "Recipient",
    "RecipientKind",
    "RetryLater",
    "RetryPolicy",
    "RoleEndpoints",
    "Rota",
    "RotaFile",
    "Shift",
    "SmsTarget",
    "Tried",
    "Why",
    "decide",
    "holders",
    "next_holder",
    "notice_link",
    "on_duty",
    "recipients_for",
    "reference",
    "referral_of",
    "render_email",
    "request_headers",
    "signatures",
    "sms_text",
]
