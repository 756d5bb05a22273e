"""Base classes shared by every contract model."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "AgencyId",
    "CaseId",
    "ContractModel",
    "CoordinatorId",
    "Instant",
    "LanguageCode",
    "Payload",
    "ProviderId",
    "ReferralId",
]


class ContractModel(BaseModel):
    """Frozen, strict-shaped model: unknown fields are refused, instances never change."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


class Payload(ContractModel):
    """The `data` of one CloudEvent type.

    Subclasses set `event_type` (the CloudEvents `type`, versioned) and `key_field` (the
    field whose value is the Kafka key: the case id for every case-scoped topic).
    """

    event_type: ClassVar[str]
    key_field: ClassVar[str] = "case_id"
    subject_field: ClassVar[str] = "case_id"

    def kafka_key(self) -> str:
        """The Kafka record key for this payload."""
        return str(getattr(self, self.key_field))

    def subject(self) -> str:
        """The CloudEvents `subject`: what the event is about."""
        return str(getattr(self, self.subject_field))


CaseId = Annotated[UUID, Field(description="Pseudonymous case id; never derived from a name.")]
ReferralId = Annotated[UUID, Field(description="Id of one referral of a case to one provider.")]
_Slug = StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
AgencyId = Annotated[
    str, _Slug, Field(description="Directory id of an identifying agency, e.g. `pdrm-kl`.")
]
ProviderId = Annotated[
    str, _Slug, Field(description="Directory id of a service provider, e.g. `shelter-kl-1`.")
]
CoordinatorId = Annotated[
    str, _Slug, Field(description="Id of a case coordinator's key holder, e.g. `coordinator-sel`.")
]
LanguageCode = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z]{2,3}$"),
    Field(description="ISO 639-1 or 639-3 language code, lower case (`ms`, `my`, `rhg`)."),
]


def _in_utc_range(at: datetime) -> datetime:
    # `0001-01-01T00:00:00+05:00` is valid ISO 8601 but falls before year 1 in UTC: every
    # consumer would fail on it in its own way. Refused here, once, for every contract.
    try:
        at.astimezone(UTC)
    except OverflowError:
        raise ValueError("time is out of range once converted to UTC") from None
    return at


Instant = Annotated[AwareDatetime, AfterValidator(_in_utc_range)]
"""A point in time with its UTC offset, representable in UTC."""
