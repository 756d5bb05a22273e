"""How many places a provider has free for a service: reported by it, kept by the router.

After Open Referral HSDS 3.1 `service_capacity` (a unit, how many are available, the
maximum, when it was updated) and the capacity pre-check of the HL7 FHIR SDOH referral
guide: a figure says nothing about any child, so it travels to every consumer.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from ._base import Instant, Payload, ProviderId
from .identification import MalaysianState
from .referral import ServiceType

__all__ = ["CapacityCause", "CapacityChanged", "CapacityReported", "CapacityUnit"]

# No JSON Schema keyword compares two fields, so "available no more than maximum" is a rule
# of the HTTP door (intake refuses it with 422) and of the router (which reads no more than
# the maximum as available), said in the field descriptions; the models do not enforce it.
_AVAILABLE = (
    "How many are free now (0: full). Never more than `maximum` when that is given: intake "
    "refuses such a report, and the router reads a larger figure as `maximum`."
)


class CapacityUnit(StrEnum):
    """What a capacity counts (after HSDS 3.1 `service_capacity.unit`)."""

    BEDS = "beds"
    PLACES = "places"
    APPOINTMENTS = "appointments"
    SESSIONS = "sessions"


class CapacityCause(StrEnum):
    """What changed a provider's figure, as the router records it."""

    # The provider said so (its staff at the desk, or its system over the API).
    REPORTED = "reported"
    # It declined a referral "at capacity": none free until it says otherwise.
    DECLINED_AT_CAPACITY = "declined_at_capacity"
    # It accepted a referral, which took one of the places its fresh figure counted.
    ACCEPTED_REFERRAL = "accepted_referral"


class CapacityReported(Payload):
    """A provider said how many places it has free for one service, through intake."""

    event_type: ClassVar[str] = "org.lindung.provider.capacity-reported.v1"
    key_field: ClassVar[str] = "provider_id"
    subject_field: ClassVar[str] = "provider_id"

    report_id: UUID = Field(description="Unique id of this report; a report seen again is one.")
    provider_id: ProviderId
    service: ServiceType = Field(description="The service the figure is for.")
    unit: CapacityUnit = Field(description="What is counted.")
    available: int = Field(ge=0, description=_AVAILABLE)
    maximum: int | None = Field(
        default=None, ge=0, description="How many there are in all; null when not said."
    )
    at: Instant = Field(description="When the figure was true (the provider's time).")
    reported_by: str = Field(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9._@:-]+$",
        description="Who set it: the provider staff member's user id at the desk or the id "
        "of the API key its system used; never a name.",
    )


class CapacityChanged(Payload):
    """The router's figure of a provider's free places for one service changed."""

    event_type: ClassVar[str] = "org.lindung.provider.capacity-changed.v1"
    key_field: ClassVar[str] = "provider_id"
    subject_field: ClassVar[str] = "provider_id"

    provider_id: ProviderId
    service: ServiceType = Field(description="The service the figure is for.")
    unit: CapacityUnit = Field(description="What is counted.")
    available: int = Field(ge=0, description=_AVAILABLE)
    maximum: int | None = Field(
        default=None, ge=0, description="How many there are in all; null when not known."
    )
    at: Instant = Field(
        description="Since when the figure holds: the report's time, or the decline's that "
        "set it to 0. An acceptance takes a place from a figure without changing its time."
    )
    cause: CapacityCause = Field(description="What changed it.")
    fresh_until: Instant = Field(
        description="From then on the router counts the figure as unknown (the policy's "
        "`capacity.stale_after` after `at`) until the provider reports again."
    )
    states: tuple[MalaysianState | Literal["*"], ...] = Field(
        description="The states the provider serves, from the router's directory (`*`: the "
        "whole country), so that a reader can count places by state without a directory."
    )
