"""The sla-monitor's settings, read once from `SLA_MONITOR_*` environment variables."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lindung_common import ServiceSettings, schema_field
from pydantic import AnyHttpUrl, Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

__all__ = ["SlaMonitorSettings"]


class SlaMonitorSettings(ServiceSettings):
    """The sla-monitor: the referral consumer, the deadline timer and its database."""

    model_config = SettingsConfigDict(env_prefix="SLA_MONITOR_", extra="ignore", frozen=True)

    http_port: int = Field(
        default=8083,
        title="HTTP port",
        description="Port of /health/live, /health/ready and /metrics.",
    )
    db_schema: str = schema_field("sla_monitor")
    tick_seconds: float = Field(
        default=1.0,
        gt=0,
        title="Tick interval",
        description="How long one turn of the leader's scheduler lasts. Within it, each "
        "warning and escalation fires as it comes due (the scheduler sleeps until the next "
        "one); between turns, leadership is checked.",
    )
    answer_grace_seconds: float = Field(
        default=2.0,
        ge=0,
        le=300,
        title="Grace for answers in flight",
        description="An escalation fires this long after its time, so that an acceptance "
        "made before the step but still on its way (intake, Kafka, the router) stops it: "
        "the answer's own time decides, not when it arrives.",
    )
    fire_batch_size: int = Field(
        default=500,
        ge=1,
        title="Firing batch",
        description="Steps fired per transaction; a tick keeps going until none are due.",
    )
    legal_clocks_file: Path | None = Field(
        default=None,
        title="Legal clocks policy",
        description="The TOML file chaining the legal clocks to case milestones, each with "
        "its legal source. Unset: the packaged one (`policy/legal_clocks.toml`: Child Act "
        "2001 s.18 and s.20, ATIPSOM 2007 s.44 and s.51).",
    )
    api_keys_file: Path | None = Field(
        default=None,
        title="API keys file",
        description="Intake's keys file (`python -m lindung_intake keys`): an `operations` "
        "key reads the dashboard's JSON API and export (machines). Unset, they are off (503).",
    )
    key_secret: SecretStr | None = Field(
        default=None,
        min_length=32,
        title="Key hashing secret",
        description="The secret the keys file's hashes are made under: intake's INTAKE_KEY_SECRET.",
    )
    dashboard_timezone: str = Field(
        default="Asia/Kuala_Lumpur",
        title="Dashboard time zone",
        description="IANA zone the dashboard shows times in and cuts days by.",
    )
    dashboard_refresh_seconds: int = Field(
        default=15,
        ge=5,
        le=3600,
        title="Dashboard refresh",
        description="How often an open dashboard page refreshes itself.",
    )
    oidc_issuer: AnyHttpUrl | None = Field(
        default=None,
        title="Dashboard: OpenID Connect issuer",
        description="The identity provider people sign in to the dashboard at (discovery at "
        "`/.well-known/openid-configuration` under it). Unset: the page is off (503); the "
        "JSON API and the export still take operations keys.",
    )
    oidc_client_id: str = Field(
        default="lindung-desk",
        min_length=1,
        title="Dashboard: client id",
        description="The dashboard's client id at the identity provider (intake's desk's "
        "client may serve both).",
    )
    oidc_client_secret: SecretStr = Field(
        default=SecretStr(""),
        title="Dashboard: client secret",
        description="The dashboard's client secret at the identity provider (a confidential "
        "client); empty for a public client.",
    )
    dashboard_url: AnyHttpUrl | None = Field(
        default=None,
        title="Dashboard: public address",
        description="The dashboard's public address, e.g. `https://ops.lindung.example/"
        "dashboard`: the redirect URI is `{it}/callback`. Its cookies are Secure unless it "
        "is plain http on a loopback address. Required with SLA_MONITOR_OIDC_ISSUER.",
    )
    dashboard_idle_minutes: int = Field(
        default=30,
        ge=1,
        le=24 * 60,
        title="Dashboard: idle timeout",
        description="A dashboard session unused for this long is over (the page's own "
        "refresh counts as use).",
    )
    dashboard_max_hours: int = Field(
        default=10,
        ge=1,
        le=7 * 24,
        title="Dashboard: absolute timeout",
        description="A dashboard session ends this long after sign-in, however busy.",
    )

    @field_validator("dashboard_timezone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {zone!r}") from None
        return zone
