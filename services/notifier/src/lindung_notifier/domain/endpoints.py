"""Where each recipient's webhook is, and the secret it signs with (validated on load)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from lindung_contracts import ProviderId
from pydantic import AfterValidator, AnyHttpUrl, BaseModel, ConfigDict, Field, SecretStr

from .recipients import Recipient, RecipientKind

__all__ = ["Endpoint", "Endpoints", "RoleEndpoints"]

_PREFIX = "whsec_"
_SHORTEST_KEY = 24  # bytes; Standard Webhooks asks for 24 to 64


def _whsec(secret: SecretStr) -> SecretStr:
    # The reason only: the value is a secret.
    text = secret.get_secret_value()
    if not text.startswith(_PREFIX):
        raise ValueError("a webhook secret is written whsec_<base64>")
    try:
        key = base64.b64decode(text.removeprefix(_PREFIX), validate=True)
    except binascii.Error:
        raise ValueError("a webhook secret's part after whsec_ must be base64") from None
    if len(key) < _SHORTEST_KEY:
        raise ValueError(f"a webhook secret must hold at least {_SHORTEST_KEY} bytes")
    return secret


_Secret = Annotated[SecretStr, AfterValidator(_whsec)]


class _Config(BaseModel):
    # A misspelt key (`webhook`, `supervisors`) must fail loudly, not leave someone untold.
    model_config = ConfigDict(frozen=True, extra="forbid")


class Endpoint(_Config):
    """One webhook: its URL and the Standard Webhooks secrets that sign each request."""

    webhook_url: AnyHttpUrl = Field(description="http(s) URL that receives the POST.")
    secrets: tuple[_Secret, ...] = Field(
        default=(),
        max_length=4,
        description="`whsec_<base64>` secrets (Standard Webhooks); each signs every request. "
        "Two while a secret is rotated: add the new one, let the receiver switch, remove "
        "the old one. None: requests are not signed.",
    )

    def secret_values(self) -> tuple[str, ...]:
        """The secrets themselves, for signing."""
        return tuple(s.get_secret_value() for s in self.secrets)


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
