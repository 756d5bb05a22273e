"""The sla-monitor's settings, read once from `SLA_MONITOR_*` environment variables."""

from __future__ import annotations

from lindung_common import ServiceSettings, schema_field
from pydantic import Field
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
