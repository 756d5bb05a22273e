"""Intake's settings, read once from `INTAKE_*` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from lindung_common import ServiceSettings, schema_field
from lindung_contracts import AgencyId
from pydantic import AnyHttpUrl, Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from .adapters.sealing import DataKeys

__all__ = ["IntakeSettings"]


class IntakeSettings(ServiceSettings):
    """Intake: the HTTP API, the agency Kafka door and the referral projection."""

    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore", frozen=True)

    http_port: int = Field(default=8080, title="HTTP port", description="Port of the API.")
    db_schema: str = schema_field("intake")
    api_keys_file: Path = Field(
        title="API keys file",
        description="JSON file of keyed hashes (HMAC-SHA256 under INTAKE_KEY_SECRET) of API "
        "keys, each bound to an agency, a provider or a case coordinator; managed with "
        "`python -m lindung_intake keys`. Keys themselves are never stored.",
    )
    key_secret: SecretStr = Field(
        min_length=32,
        title="Key hashing secret",
        description="The secret the API keys are hashed under (32 characters or more), and "
        "from which the key for linking cases by document number is derived. Kept apart "
        "from the keys file: that file alone tells nothing about the keys.",
    )
    data_keys: SecretStr = Field(
        title="Data keys",
        description="The AES-256 keys personal details are encrypted under before they reach "
        "PostgreSQL, as `id:base64key` separated by commas: the first encrypts, every one "
        "decrypts. `python -m lindung_intake data-keys new` makes a key; after putting a "
        "new one first, `data-keys rotate` re-encrypts what the older ones sealed.",
    )

    @field_validator("data_keys")
    @classmethod
    def _usable_data_keys(cls, value: SecretStr) -> SecretStr:
        DataKeys.parse(value.get_secret_value())  # the reason, never the key, if not
        return value

    kafka_agencies: Annotated[tuple[AgencyId, ...], NoDecode] = Field(
        default=(),
        title="Agencies at the Kafka door",
        description="Comma-separated ids of the agencies whose own identifications topic "
        "(`lindung.agency.<id>.identifications.v1`) the door reads; each is created, with "
        "its rejections topic and ACLs, when the agency is provisioned. None: no Kafka door.",
    )
    oldest_identification_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        title="Oldest identification",
        description="An `identified_at` further back than this is refused (422): its whole "
        "escalation ladder would already have passed.",
    )
    answer_wait_seconds: float = Field(
        default=5.0,
        ge=0,
        le=60,
        title="Wait for an unknown referral",
        description="How long a read, answer, pause or resume of a referral intake has not "
        "heard of yet waits for it (a provider may act on its webhook before intake stores "
        "the referral) before 404. Woken by the referral's arrival, never by polling; a "
        "referral addressed to someone else answers 404 after the same wait.",
    )
    answer_waits_per_key: int = Field(
        default=20,
        ge=1,
        title="Waiting requests per key",
        description="Most requests of one API key waiting at once for referrals intake has "
        "not heard of yet; one more gets 429 with Retry-After at once (counted in this "
        "process).",
    )
    answer_waits_overall: int = Field(
        default=500,
        ge=1,
        title="Waiting requests overall",
        description="Most requests waiting at once for referrals intake has not heard of "
        "yet, of every key together; one more gets 429 with Retry-After at once (counted "
        "in this process).",
    )
    demo_mode: bool = Field(
        default=False,
        title="Demo mode",
        description="Allows the published demo data key (docker-compose.yml's former "
        "fallback) to seal personal details. Without it intake refuses to start with that "
        "key: anyone can read what it seals. For trying Lindung only.",
    )
    max_body_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        title="Largest request body",
        description="A body over this is refused with 413 before it is read.",
    )
    rate_limit_per_minute: int = Field(
        default=1200,
        ge=1,
        title="Requests per key per minute",
        description="More requests by one API key within any minute get 429 with "
        "Retry-After (counted in this process).",
    )
    clock_skew_seconds: int = Field(
        default=300,
        ge=0,
        title="Clock skew",
        description="How far in the future an `identified_at` may be before it is refused.",
    )

    oidc_issuer: AnyHttpUrl | None = Field(
        default=None,
        title="Desk: OpenID Connect issuer",
        description="The identity provider's issuer URL (its discovery document is at "
        "`/.well-known/openid-configuration` under it). Unset: no desk, `/desk` answers 404.",
    )
    oidc_client_id: str = Field(
        default="lindung-desk",
        min_length=1,
        title="Desk: client id",
        description="The desk's client id at the identity provider.",
    )
    oidc_client_secret: SecretStr = Field(
        default=SecretStr(""),
        title="Desk: client secret",
        description="The desk's client secret at the identity provider (a confidential "
        "client); empty for a public client, which PKCE alone protects.",
    )
    desk_url: AnyHttpUrl | None = Field(
        default=None,
        title="Desk: public address",
        description="The desk's public base address, e.g. `https://lindung.example/desk`: "
        "the sign-in's redirect address is under it. Its cookies are `Secure` unless it is "
        "plain http on a loopback address. Required with INTAKE_OIDC_ISSUER.",
    )
    desk_idle_minutes: int = Field(
        default=30,
        ge=1,
        le=24 * 60,
        title="Desk: idle timeout",
        description="A desk session unused for this long is over: the person signs in again.",
    )
    desk_max_hours: int = Field(
        default=10,
        ge=1,
        le=7 * 24,
        title="Desk: absolute timeout",
        description="A desk session ends this long after sign-in, however busy.",
    )

    @field_validator("kafka_agencies", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        """`pdrm-kl,jtk-johor` as the environment gives it."""
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value
