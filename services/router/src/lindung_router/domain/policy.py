"""The routing policy as data: response windows per service and the escalation ladder."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Self

from lindung_contracts import EscalationStep, RecipientRole, ServiceType, StepKind
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .durations import Duration, format_duration

__all__ = [
    "CapacityPolicy",
    "Ladder",
    "OfferWhen",
    "Policy",
    "Window",
    "due_time",
    "escalation_ladder",
]

_MAX_WARNING_PERCENT = 99
# An offer goes to at most this many providers at once: beyond it, an offer is a broadcast.
_MAX_OFFER = 10


class _PolicyModel(BaseModel):
    # Unknown keys are refused: a misspelt key must not silently fall back to a default.
    model_config = ConfigDict(frozen=True, extra="forbid")


class Silence(StrEnum):
    """What happens when a provider has not answered by the deadline."""

    REROUTE = "reroute"
    ESCALATE = "escalate"


class OfferWhen(StrEnum):
    """Which referrals of a service are offered to several providers at once."""

    URGENT = "urgent"
    ALWAYS = "always"


class Window(_PolicyModel):
    """How long a provider has to accept, normally and when urgent; and what silence does."""

    normal: Duration = Field(description="Response window when nothing makes it urgent.")
    urgent: Duration = Field(description="Response window when the referral is urgent.")
    silence: Silence = Field(
        default=Silence.REROUTE,
        description="At the deadline without an answer: `reroute` withdraws the referral from "
        "the silent provider and asks the next suitable one (the coordinator is told, and the "
        "ladder starts again for the new provider); `escalate` keeps it and only escalates.",
    )
    offer_to: int = Field(
        default=1,
        ge=1,
        le=_MAX_OFFER,
        description="How many suitable providers are asked at once (`offer_when` says for "
        "which referrals): the first to accept takes the referral, the others are withdrawn "
        "and told, and silence from all of them escalates once. 1: one at a time.",
    )
    offer_when: OfferWhen = Field(
        default=OfferWhen.URGENT,
        description="`urgent`: only urgent referrals are offered to several; `always`: all.",
    )

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.urgent <= timedelta(0) or self.normal <= timedelta(0):
            raise ValueError("windows must be longer than 0s")
        if self.urgent > self.normal:
            msg = (
                f"urgent ({format_duration(self.urgent)}) is longer than normal "
                f"({format_duration(self.normal)}); urgent must not wait longer"
            )
            raise ValueError(msg)
        return self


class Ladder(_PolicyModel):
    """Where warnings and escalations fall, relative to the response window."""

    warning_percents: tuple[int, ...] = Field(
        default=(50, 75),
        description="Warnings before the deadline, in percent of the window; the first "
        "goes to the provider, later ones to the case coordinator.",
    )
    level2_after_percent: int = Field(
        default=50, ge=1, description="Level 2 (supervisor): this much of the window after it."
    )
    level2_min_gap: Duration = Field(
        default=timedelta(hours=1), description="Level 2 comes at least this long after it."
    )
    level3_after_percent: int = Field(
        default=100, ge=1, description="Level 3 (secretariat): this much of the window after it."
    )
    acknowledgement_window: Duration = Field(
        default=timedelta(minutes=30),
        description="Once a coordinator acknowledges an escalation, the next level waits at "
        "least this long from the acknowledgement, then fires anyway if the referral is "
        "still not accepted (30m: PagerDuty's default acknowledgement timeout).",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        percents = self.warning_percents
        if any(not 1 <= p <= _MAX_WARNING_PERCENT for p in percents):
            raise ValueError("warning_percents must lie between 1 and 99")
        if list(percents) != sorted(set(percents)):
            raise ValueError("warning_percents must be strictly increasing")
        if self.level2_min_gap < timedelta(0):
            raise ValueError("level2_min_gap must not be negative")
        if self.acknowledgement_window < timedelta(seconds=1):
            raise ValueError("acknowledgement_window must be at least 1s")
        if self.level3_after_percent <= self.level2_after_percent:
            raise ValueError("level3_after_percent must be greater than level2_after_percent")
        return self


class CapacityPolicy(_PolicyModel):
    """How long a provider's figure of free places counts."""

    stale_after: Duration = Field(
        default=timedelta(hours=12),
        description="A figure older than this counts as unknown: the provider is neither "
        "skipped as full nor preferred for its free places (12h: about one staff shift).",
    )

    @field_validator("stale_after")
    @classmethod
    def _positive(cls, after: timedelta) -> timedelta:
        if after <= timedelta(0):
            raise ValueError("stale_after must be longer than 0s")
        return after


class Policy(_PolicyModel):
    """A versioned routing policy; `version` is stamped on every referral it decides."""

    version: str = Field(
        min_length=1, max_length=64, pattern=r"^\S+$", description="Stamped on each referral."
    )
    windows: dict[ServiceType, Window] = Field(description="Response window per service.")
    ladder: Ladder = Field(default_factory=Ladder, description="The escalation ladder.")
    capacity: CapacityPolicy = Field(
        default_factory=CapacityPolicy, description="How long capacity figures count."
    )
    package_window: Duration = Field(
        default=timedelta(hours=72),
        description="Every referral of a case accepted within this long of identification, "
        "else one case-level escalation to the coordinator (72h).",
    )

    @field_validator("package_window")
    @classmethod
    def _positive(cls, window: timedelta) -> timedelta:
        if window <= timedelta(0):
            raise ValueError("package_window must be longer than 0s")
        return window

    @field_validator("windows")
    @classmethod
    def _every_service(cls, windows: dict[ServiceType, Window]) -> dict[ServiceType, Window]:
        missing = [s.value for s in ServiceType if s not in windows]
        if missing:
            raise ValueError(f"windows missing for: {', '.join(missing)}")
        return windows

    def offer_size(self, service: ServiceType, *, urgent: bool) -> int:
        """How many providers a referral of this service is offered to at once (1: one)."""
        window = self.windows[service]
        offered = urgent or window.offer_when is OfferWhen.ALWAYS
        return window.offer_to if offered else 1

    def window(self, service: ServiceType, *, urgent: bool) -> timedelta:
        """The response window for a service."""
        window = self.windows[service]
        return window.urgent if urgent else window.normal


def due_time(
    policy: Policy,
    service: ServiceType,
    *,
    urgent: bool,
    start: datetime,
    latest: datetime | None = None,
) -> datetime:
    """When the provider must have accepted.

    `latest` caps the deadline (the end of the post-exposure prophylaxis window for
    urgent health care), but the deadline is never earlier than the start of the window.
    """
    due = start + policy.window(service, urgent=urgent)
    if latest is not None:
        due = max(start, min(due, latest))
    return due


def escalation_ladder(
    ladder: Ladder, *, start: datetime, due: datetime
) -> tuple[EscalationStep, ...]:
    """Every warning and escalation of one referral, with absolute times, in time order.

    Level 3 never comes before level 2: when the minimum gap pushes level 2 past the
    point level 3 would have had, level 3 keeps its distance from level 2 instead.
    """
    window = due - start
    steps = [
        EscalationStep(
            kind=StepKind.WARNING,
            level=0,
            percent_of_window=percent,
            at=start + window * percent / 100,
            notify=RecipientRole.PROVIDER if index == 0 else RecipientRole.CASE_COORDINATOR,
        )
        for index, percent in enumerate(ladder.warning_percents)
    ]
    level2_at = due + max(window * ladder.level2_after_percent / 100, ladder.level2_min_gap)
    spacing = window * (ladder.level3_after_percent - ladder.level2_after_percent) / 100
    level3_at = max(due + window * ladder.level3_after_percent / 100, level2_at + spacing)
    escalations = (
        (1, due, RecipientRole.CASE_COORDINATOR, 100),
        (2, level2_at, RecipientRole.SUPERVISOR, 100 + ladder.level2_after_percent),
        (3, level3_at, RecipientRole.SECRETARIAT, 100 + ladder.level3_after_percent),
    )
    steps += [
        EscalationStep(
            kind=StepKind.ESCALATION,
            level=level,
            percent_of_window=_percent(at - start, window, nominal=nominal),
            at=at,
            notify=role,
        )
        for level, at, role, nominal in escalations
    ]
    return tuple(steps)


def _percent(offset: timedelta, window: timedelta, *, nominal: int) -> int:
    # A zero-length window (a post-exposure deadline already passed) has no real
    # percentages; the policy's own figure is the honest label then.
    if window <= timedelta(0):
        return nominal
    return round(offset / window * 100)
