"""The router's settings, read once from `ROUTER_*` environment variables."""

from __future__ import annotations

from pathlib import Path

from lindung_common import ServiceSettings, schema_field
from pydantic import Field
from pydantic_settings import SettingsConfigDict

__all__ = ["DEFAULT_POLICY_FILE", "RouterSettings"]

DEFAULT_POLICY_FILE = Path(__file__).parent / "policy" / "default.toml"


class RouterSettings(ServiceSettings):
    """The router: its two consumers, its database schema, its policy and directory."""

    model_config = SettingsConfigDict(env_prefix="ROUTER_", extra="ignore", frozen=True)

    http_port: int = Field(default=8081, title="HTTP port", description="Port of /health.")
    db_schema: str = schema_field("router")
    policy_file: Path = Field(
        default=DEFAULT_POLICY_FILE,
        title="Policy file",
        description="TOML routing policy: response windows per service and the escalation "
        "ladder. Defaults to the packaged policy (DESIGN.md defaults).",
    )
    directory_file: Path = Field(
        title="Directory file",
        description="Provider directory: Open Referral HSDS 3.1 (a JSON list of services, or "
        "a folder of its CSV tables), or Lindung's own JSON format (`version`, `providers`). "
        "Who offers which service, where, in which languages, whether accepting, in which order.",
    )
    hsds_api: bool = Field(
        default=False,
        title="HSDS API",
        description="Serve the directory read-only over the HSDS 3.1 API at /hsds/ "
        "(/, /services, /services/{id}), open to anyone who reaches the port, for partners "
        "to read. Off unless turned on: a directory may hold where shelters are, which "
        "must not be public; turn it on only where the port is reached by partners alone "
        "or the directory holds nothing confidential.",
    )
