"""Base classes shared by every contract model."""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Final
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import core_schema

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
    from pydantic.config import JsonDict
    from pydantic.json_schema import JsonSchemaValue

__all__ = [
    "AgencyId",
    "CaseId",
    "ContractModel",
    "CoordinatorId",
    "Distinct",
    "Instant",
    "LanguageCode",
    "Payload",
    "ProviderId",
    "ReferralId",
    "stated",
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


def stated(rule: Mapping[str, Any]) -> Callable[[JsonDict], None]:
    """A model's `json_schema_extra`: puts `rule` (JSON Schema keywords) into its schema.

    For a rule a model validator enforces across fields (`if`/`then`, say): the validator
    and the keywords sit side by side, and the contract tests hold them to each other.
    """

    def add(schema: JsonDict) -> None:
        schema.update(copy.deepcopy(dict(rule)))  # a copy: callers may edit what they get

    return add


class Distinct:
    """Marks a tuple of codes that must not repeat: `uniqueItems` in its JSON Schema.

    For items compared as JSON compares them (codes, strings), so the model refuses exactly
    what `uniqueItems` refuses. One marker states the rule for both.
    """

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(_no_repeats, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["uniqueItems"] = True
        return json_schema


def _no_repeats(items: tuple[str, ...]) -> tuple[str, ...]:
    if len(set(items)) != len(items):
        raise ValueError("items must not repeat")
    return items


# Every time must convert to UTC: `0001-01-01T00:00:00+05:00` is valid ISO 8601 but falls
# before year 1 in UTC, and each consumer would fail on it in its own way. Only the first
# and the last day of the calendar can overflow (an offset is less than a day), so those
# two days are refused whole. RFC 3339 allows a leap second (`23:59:60`), which no datetime
# library we use can hold; the model refuses it as it parses. The schema states both as a
# pattern the text must not match.
_EDGE_DAYS: Final = (date.min, date.max)
_UNREPRESENTABLE: Final = (
    "^("
    + "|".join(day.isoformat() for day in _EDGE_DAYS)
    + r"|\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:60)"
)


class _Representable:
    """Refuses a time UTC cannot hold, in the model and in the schema."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(_in_utc_range, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["not"] = {"pattern": _UNREPRESENTABLE}
        return json_schema


def _in_utc_range(at: datetime) -> datetime:
    if at.date() in _EDGE_DAYS:
        days = " and ".join(day.isoformat() for day in _EDGE_DAYS)
        raise ValueError(f"time is out of range: {days} are refused, so every time fits UTC")
    return at


Instant = Annotated[AwareDatetime, _Representable()]
"""A point in time with its UTC offset, representable in UTC."""
