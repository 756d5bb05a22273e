"""Where each recipient's webhook is, and the secret it signs with (validated on load)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Annotated, Self

from lindung_contracts import Channel, ProviderId
from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    model_validator,
)

from .recipients import Recipient, RecipientKind
from .sms import Language

__all__ = ["EmailTarget", "Endpoint", "Endpoints", "RoleEndpoints", "SmsTarget"]

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


class SmsTarget(_Config):
    """A phone that gets a plain-text notice (a reference and a link) for each event."""

    to: str = Field(
        pattern=r"^\+[1-9][0-9]{7,14}$",
        description="The number in E.164 form.",
        examples=["+60123456789"],
    )
    language: Language = Field(default=Language.MALAY, description="`ms` or `en`.")


class EmailTarget(_Config):
    """A mailbox that gets a plain-text notice for each event, in its reader's language."""

    address: str = Field(
        pattern=r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$",
        max_length=254,
        description="The address.",
        examples=["penyelaras.sgr@jkm.example.gov.my"],
    )
    language: Language = Field(default=Language.MALAY, description="`ms` or `en`.")


class Endpoint(_Config):
    """How one recipient is reached: a webhook (signed), an SMS, or both."""

    webhook_url: AnyHttpUrl | None = Field(
        default=None, description="http(s) URL that receives the POST."
    )
    sms: SmsTarget | None = Field(
        default=None, description="Also (or instead) a short SMS through the gateway."
    )
    email: EmailTarget | None = Field(
        default=None, description="Also (or instead) an email, in Malay or English."
    )
    secrets: tuple[_Secret, ...] = Field(
        default=(),
        max_length=4,
        description="`whsec_<base64>` secrets (Standard Webhooks); each signs every request. "
        "Two while a secret is rotated: add the new one, let the receiver switch, remove "
        "the old one. None: requests are not signed.",
    )

    @model_validator(mode="after")
    def _reachable(self) -> Self:
        if self.webhook_url is None and self.sms is None and self.email is None:
            raise ValueError("give a webhook_url, an sms or an email (or more than one)")
        return self

    def channels(self) -> tuple[Channel, ...]:
        """The channels this recipient is reached on, each its own delivery."""
        return tuple(
            channel
            for channel, there in (
                (Channel.WEBHOOK, self.webhook_url),
                (Channel.EMAIL, self.email),
                (Channel.SMS, self.sms),
            )
            if there is not None
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
    # People on the roles' rotas: from the rota file, never from this one.
    _people: Mapping[str, Endpoint] = PrivateAttr(default_factory=dict)

    def with_people(self, people: Mapping[str, Endpoint]) -> Endpoints:
        """These endpoints and the people of the rotas, each reached by their id."""
        joined = self.model_copy()
        joined._people = dict(people)  # noqa: SLF001 - a copy's own attribute
        return joined

    def for_recipient(self, recipient: Recipient) -> Endpoint | None:
        """The recipient's webhook, or None when none is configured."""
        if recipient.kind is RecipientKind.PROVIDER:
            return self.providers.get(recipient.name)
        if recipient.kind is RecipientKind.PERSON:
            return self._people.get(recipient.name)
        endpoint: Endpoint | None = getattr(self.roles, recipient.name, None)
        return endpoint

    def with_sms(self) -> list[str]:
        """Recipients reached by SMS, named (`provider shelter-kl-1`, `role supervisor`)."""
        return [name for name, endpoint in self._named() if endpoint.sms is not None]

    def with_email(self) -> list[str]:
        """Recipients reached by email, named."""
        return [name for name, endpoint in self._named() if endpoint.email is not None]

    def _named(self) -> list[tuple[str, Endpoint]]:
        named = [(f"provider {p}", e) for p, e in self.providers.items()]
        return named + [(f"role {r}", e) for r, e in self.roles if e is not None]

    def missing_roles(self) -> list[str]:
        """Roles without a webhook: every alert to them would fail."""
        return [name for name, endpoint in self.roles if endpoint is None]
