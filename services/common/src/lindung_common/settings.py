"""Settings every service shares; each service subclasses with its own env prefix."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ServiceSettings", "schema_field"]

# Kafka's default `message.max.bytes` is 1,048,588: keep room for the key and headers.
DEFAULT_MAX_EVENT_BYTES = 1_000_000


class ServiceSettings(BaseSettings):
    """Connection, consumption, outbox, timeout and health settings.

    Subclasses set `env_prefix` (`ROUTER_`, ...); every default is what a production
    deployment should start from.
    """

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = Field(
        title="Kafka bootstrap servers",
        description="Comma-separated host:port list of the Kafka brokers.",
    )
    kafka_security_protocol: Literal["SASL_SSL", "SASL_PLAINTEXT"] = Field(
        default="SASL_SSL",
        title="Kafka security protocol",
        description="SASL_SSL (TLS) wherever the brokers are reached over a network; "
        "SASL_PLAINTEXT only where the network cannot be read by others (one host).",
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256"] = Field(
        default="SCRAM-SHA-512",
        title="Kafka SASL mechanism",
        description="The SCRAM mechanism the brokers hold this service's credentials for.",
    )
    kafka_sasl_username: str = Field(
        min_length=1,
        title="Kafka principal",
        description="This service's own SASL/SCRAM user; the brokers' ACLs grant it exactly "
        "the topics and groups it reads and writes.",
    )
    kafka_sasl_password: SecretStr = Field(
        min_length=1,
        title="Kafka password",
        description="The SCRAM password of this service's Kafka principal.",
    )
    kafka_ssl_cafile: Path | None = Field(
        default=None,
        title="Kafka CA file",
        description="PEM file of the certificate authorities the brokers' TLS certificates are "
        "checked against (SASL_SSL); the system's own when not set.",
    )
    database_url: SecretStr = Field(
        title="PostgreSQL URL",
        description="postgresql:// URL of the database holding this service's schema.",
    )
    http_host: str = Field(
        default="127.0.0.1", title="HTTP bind address", description="Where the web server listens."
    )
    http_port: int = Field(title="HTTP port", description="Port of the service's web server.")
    max_body_bytes: int = Field(
        default=65_536,
        ge=1024,
        title="Largest request body",
        description="A request body over this is refused with 413 before it is read (from "
        "its Content-Length) or as soon as the bytes read pass it (chunked), on every route.",
    )
    log_level: str = Field(default="INFO", title="Log level", description="Python level name.")

    # Consumption.
    consume_batch_size: int = Field(
        default=200,
        ge=1,
        le=10_000,
        title="Consume batch",
        description="Most records handled in one database transaction (per partition).",
    )
    consume_batch_wait_seconds: float = Field(
        default=0.01,
        gt=0,
        le=5,
        title="Consume batch wait",
        description="Longest wait for a batch to fill before handling what arrived.",
    )
    consume_unknown_failure_tries: int = Field(
        default=3,
        ge=1,
        le=20,
        title="Tries on an unknown failure",
        description="Tries of a record whose handler fails for an unknown reason before it "
        "is dead-lettered.",
    )
    retry_backoff_cap_seconds: float = Field(
        default=5.0,
        gt=0,
        title="Retry backoff cap",
        description="Longest wait between retries of a transient failure (database or "
        "broker gone); retries go on for as long as the failure lasts.",
    )

    # Outbox.
    outbox_batch_size: int = Field(
        default=500, ge=1, title="Outbox batch", description="Events relayed per transaction."
    )
    outbox_poll_seconds: float = Field(
        default=1.0,
        gt=0,
        title="Outbox poll interval",
        description="Longest wait between outbox scans when no NOTIFY arrives.",
    )
    outbox_linger_seconds: float = Field(
        default=0.002,
        ge=0,
        le=1,
        title="Outbox linger",
        description="Wait after a wake-up so that commits close together go in one pass.",
    )
    outbox_max_event_bytes: int = Field(
        default=DEFAULT_MAX_EVENT_BYTES,
        ge=1024,
        title="Largest event",
        description="Events larger than this are refused when written, not when sent: "
        "keep it below the broker's message.max.bytes.",
    )

    # Retention: what is kept only so that redeliveries, replays and people can use it.
    retention_prune_seconds: float = Field(
        default=3600.0,
        ge=0,
        title="Prune interval",
        description="How often one instance of the service deletes what its retention "
        "settings no longer keep; 0 turns pruning off.",
    )
    retention_outbox_days: float = Field(
        default=7.0,
        gt=0,
        title="Published outbox rows kept",
        description="Days an outbox row is kept after the broker acknowledged it. Rows "
        "waiting to be sent and rows set aside are never pruned.",
    )
    retention_handled_days: float = Field(
        default=30.0,
        ge=1,
        title="Handled-event records kept",
        description="Days a consumer remembers an event it handled (processed_events), so a "
        "redelivery is skipped: keep it well above the longest a record can be delivered "
        "again (the topics' retention, 7 days by Kafka's default). Kept longer while a dead "
        "letter of the same consumer waits for a replay.",
    )
    retention_dead_letters_days: float = Field(
        default=30.0,
        gt=0,
        title="Replayed dead letters kept",
        description="Days a dead letter is kept after it was replayed. A dead letter that "
        "has not been replayed is never pruned.",
    )
    retention_batch_size: int = Field(
        default=1000,
        ge=1,
        le=100_000,
        title="Prune batch",
        description="Most rows one delete statement removes: each batch is its own short "
        "transaction, so a prune never holds locks for long.",
    )

    # Timeouts.
    db_connect_timeout_seconds: float = Field(
        default=10.0, gt=0, title="Database connect timeout", description="Per connection attempt."
    )
    db_command_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        title="Database command timeout",
        description="Client-side limit on any one statement, half-open connections included.",
    )
    db_statement_timeout_seconds: float = Field(
        default=15.0,
        gt=0,
        title="Statement timeout",
        description="Server-side statement_timeout of every connection.",
    )
    db_pool_size: int = Field(
        default=10, ge=2, le=100, title="Pool size", description="Most database connections."
    )
    kafka_request_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        title="Kafka request timeout",
        description="Producers' and consumers' request timeout.",
    )
    timer_timeout_seconds: float = Field(
        default=60.0,
        gt=0,
        title="Timer timeout",
        description="Longest run of one timer tick; a tick that hangs is abandoned and the "
        "next one tries again.",
    )
    timer_catch_up_seconds: float = Field(
        default=30.0,
        ge=0,
        title="Catch-up wait",
        description="At start, a timer that acts on what the consumers know (the "
        "sla-monitor's deadlines) waits until they have read every record written before "
        "it started, at most this long, then runs anyway.",
    )

    # Health.
    health_stuck_after_seconds: float = Field(
        default=30.0,
        gt=0,
        title="Stuck consumer limit",
        description="A consumer retrying a transient failure, or behind without progress, "
        "for longer than this makes /health/ready answer 503.",
    )
    health_outbox_max_age_seconds: float = Field(
        default=30.0,
        gt=0,
        title="Oldest unpublished event",
        description="An outbox row waiting longer than this makes /health/ready answer 503.",
    )
    health_probe_seconds: float = Field(
        default=5.0,
        gt=0,
        title="Progress probe interval",
        description="How often committed offsets and end offsets are compared (lag).",
    )
    health_broker_probe_seconds: float = Field(
        default=1.0,
        gt=0,
        title="Broker probe interval",
        description="How often the broker is asked for its metadata on the producer's "
        "connection: readiness follows its answer within about this long.",
    )
    health_broker_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        title="Broker probe timeout",
        description="A broker that has not answered the probe within this long is reported "
        "unreachable (a refused connection is reported at once).",
    )


def schema_field(default: str) -> Any:
    """The `db_schema` setting every service declares, with its own schema as default."""
    return Field(
        default=default,
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        title="Database schema",
        description="The PostgreSQL schema this service owns (tables, outbox, inbox).",
    )
