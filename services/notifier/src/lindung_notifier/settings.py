"""The notifier's settings, read once from `NOTIFIER_*` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from lindung_common import ServiceSettings, schema_field
from pydantic import AnyHttpUrl, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from .domain import DESK_URL_MAX_LENGTH

__all__ = ["NotifierSettings"]


class NotifierSettings(ServiceSettings):
    """Connections (from `ServiceSettings`), the endpoints file and the delivery policy."""

    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", extra="ignore", frozen=True)

    http_port: int = Field(default=8082, title="HTTP port", description="Port of /health.")
    db_schema: str = schema_field("notifier")
    endpoints_file: Path = Field(
        title="Endpoints file",
        description="JSON file with the webhook of every provider and role.",
    )
    rotas_file: Path | None = Field(
        default=None,
        title="Rota file",
        description="JSON file of who is on duty for each role in each state, their channels "
        "and stand-ins: a role's alert goes to whoever is on duty for the case's state, then "
        "their stand-ins, then the role's endpoint. Unset: every alert goes to the role's "
        "endpoint.",
    )
    sms_gateway_url: AnyHttpUrl | None = Field(
        default=None,
        title="SMS gateway",
        description='The HTTP gateway that sends SMS: POST {"to", "text"} as JSON. '
        "Required when any recipient has an `sms`.",
    )
    sms_gateway_token: SecretStr | None = Field(
        default=None,
        title="SMS gateway token",
        description="Sent as `Authorization: Bearer <token>` to the gateway.",
    )
    smtp_host: str | None = Field(
        default=None,
        title="SMTP server",
        description="The mail relay email notices go through; required when any recipient "
        "has an `email`.",
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, title="SMTP port", description="Port.")
    smtp_starttls: bool = Field(
        default=True,
        title="STARTTLS",
        description="Upgrade the connection with STARTTLS before anything is sent (refused "
        "if the server does not offer it).",
    )
    smtp_username: str | None = Field(default=None, title="SMTP user", description="Login.")
    smtp_password: SecretStr | None = Field(
        default=None, title="SMTP password", description="Login password."
    )
    smtp_ca_file: Path | None = Field(
        default=None,
        title="SMTP CA file",
        description="PEM file of the CA the mail relay's certificate is checked against; "
        "the system's trust store when not set.",
    )
    email_from: str = Field(
        default="Lindung <lindung@localhost>",
        title="Email sender",
        description="The From of every email notice.",
    )
    desk_url: str | None = Field(
        default=None,
        pattern=r"^https?://[!-~]+$",
        max_length=DESK_URL_MAX_LENGTH,
        title="Desk address",
        description="The base address of the desk people act at, e.g. "
        "`https://lindung.example.gov.my/desk`: every email and SMS links to the page of its "
        "referral (`/referrals/{id}`) or case (`/cases/{id}`) there. Plain ASCII, at most 60 "
        "characters, so a link fits one SMS. Unset: a notice gives only its reference.",
    )
    max_attempts: int = Field(
        default=24,
        ge=1,
        title="Attempts",
        description="Attempts per delivery before giving up: with the default backoff, about "
        "two hours of retries on average (at most three and a half), so a short outage at an "
        "endpoint loses nothing.",
    )
    backoff_base_seconds: float = Field(
        default=1.0, gt=0, title="Backoff base", description="Longest wait after attempt 1."
    )
    backoff_cap_seconds: float = Field(
        default=900.0,
        gt=0,
        title="Backoff cap",
        description="Longest wait between attempts (also the most a Retry-After is honoured).",
    )
    request_timeout_seconds: float = Field(
        default=10.0, gt=0, title="Request timeout", description="Whole webhook request."
    )
    connect_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        title="Connect timeout",
        description="Longest wait for a webhook's connection (within the request timeout).",
    )
    lease_seconds: float = Field(
        default=60.0,
        gt=0,
        title="Delivery lease",
        description="How long a claimed delivery is reserved; retried after if not recorded.",
    )
    dispatcher_idle_seconds: float = Field(
        default=0.5,
        gt=0,
        title="Dispatcher idle interval",
        description="Longest wait between scans for due deliveries.",
    )
    dispatcher_batch_size: int = Field(
        default=100,
        ge=1,
        title="Deliveries in flight",
        description="Most webhook requests in flight at once (and claimed per scan).",
    )
    max_in_flight_per_recipient: int = Field(
        default=4,
        ge=1,
        title="Requests in flight per recipient",
        description="Most requests in flight to one provider or role at once, across every "
        "notifier: a dead endpoint with a long queue holds this many slots, not all.",
    )

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.backoff_cap_seconds < self.backoff_base_seconds:
            raise ValueError("backoff_cap_seconds must be at least backoff_base_seconds")
        # A connect timeout above the total could never fire: the total ends the request first.
        if self.connect_timeout_seconds > self.request_timeout_seconds:
            raise ValueError("connect_timeout_seconds must not exceed request_timeout_seconds")
        # A pass is recorded once its slowest request ends: a lease shorter than a request
        # would hand a delivery to a second sender before the first could record it.
        if self.lease_seconds <= self.request_timeout_seconds:
            raise ValueError("lease_seconds must exceed request_timeout_seconds")
        return self
