"""Where each recipient's webhook is, and the secret it signs with (validated on load)."""

from __future__ import annotations

from typing import Annotated

from lindung_contracts import ProviderId
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, SecretStr

from .recipients import Recipient, RecipientKind

__all__ = ["Endpoint", "Endpoints", "RoleEndpoints"]

_Secret = Annotated[SecretStr, Field(min_length=16)]


class _Config(BaseModel):
    # A misspelt key (`webhook`, `supervisors`) must fail loudly, not leave someone untold.
    model_config = ConfigDict(frozen=True, extra="forbid")


class Endpoint(_Config):
    """One webhook: its URL and, optionally, the shared secret that signs each request."""

    webhook_url: AnyHttpUrl = Field(description="http(s) URL that receives the POST.")
    secret: _Secret | None = Field(
        default=None, description="HMAC-SHA256 key; when set, requests carry a signature."
    )


class RoleEndpoints(_Config):
    """The webhook of each role with authority over a case; a missing one fails deliveries."""

    case_coordinator: Endpoint | None = None
    supervisor: Endpoint | None = None
    secretariat: Endpoint | None = None


class Endpoints(_Config):
    """The endpoints file: providers by directory id, and the roles."""

    providers: dict[ProviderId, Endpoint] = Field(default_factory=dict)
    roles: RoleEndpoints = Field(default_factory=RoleEndpoints)

    def for_recipient(self, recipient: Recipient) -> Endpoint | None:
        """The recipient's webhook, or None when none is configured."""
        if recipient.kind is RecipientKind.PROVIDER:
            return self.providers.get(recipient.name)
        endpoint: Endpoint | None = getattr(self.roles, recipient.name, None)
        return endpoint

    def missing_roles(self) -> list[str]:
        """Roles without a webhook: every alert to them would fail."""
        return [name for name, endpoint in self.roles if endpoint is None]
