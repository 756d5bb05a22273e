"""Settings every service shares; each service subclasses with its own env prefix."""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ServiceSettings", "schema_field"]


class ServiceSettings(BaseSettings):
    """Connection and process settings. Subclasses set `env_prefix` (`ROUTER_`, ...)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = Field(
        title="Kafka bootstrap servers",
        description="Comma-separated host:port list of the Kafka brokers.",
    )
    database_url: SecretStr = Field(
        title="PostgreSQL URL",
        description="postgresql:// URL of the database holding this service's schema.",
    )
    http_host: str = Field(
        default="127.0.0.1", title="HTTP bind address", description="Where /health listens."
    )
    http_port: int = Field(title="HTTP port", description="Port of the service's web server.")
    log_level: str = Field(default="INFO", title="Log level", description="Python level name.")
    outbox_batch_size: int = Field(
        default=500, ge=1, title="Outbox batch", description="Events relayed per transaction."
    )
    outbox_poll_seconds: float = Field(
        default=1.0,
        gt=0,
        title="Outbox poll interval",
        description="Longest wait between outbox scans when no NOTIFY arrives.",
    )


def schema_field(default: str) -> Any:
    """The `db_schema` setting every service declares, with its own schema as default."""
    return Field(
        default=default,
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        title="Database schema",
        description="The PostgreSQL schema this service owns (tables, outbox, inbox).",
    )
