"""Live capacity: a provider's latest figure of free places per service, and what changes it.

A provider reports its figure (at the desk or over the API); a decline "at capacity" says
it is full until it reports again; an acceptance takes one of the places a fresh figure
counts. Each decision returns the new figure, or None when the news changes nothing: it
is older than the figure held (a report that arrives late, or arrives again), or there is
no fresh figure to take a place from. Routing reads a figure older than the policy's
`capacity.stale_after` as unknown (`is_fresh`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TypeAlias

from lindung_contracts import (
    CapacityCause,
    CapacityChanged,
    CapacityUnit,
    ReasonCode,
    ReferralStatus,
    ServiceType,
)

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime, timedelta

    from lindung_contracts import CapacityReported

    from .directory import Provider

__all__ = [
    "DEFAULT_UNITS",
    "Capacity",
    "Figure",
    "Places",
    "accepted",
    "answered",
    "changed",
    "declined_at_capacity",
    "is_fresh",
    "reported",
]

# The unit of a figure the router sets itself (a decline "at capacity") before the
# provider ever reported one: beds for a shelter, places for everything else.
DEFAULT_UNITS: Final[Mapping[ServiceType, CapacityUnit]] = {
    service: CapacityUnit.BEDS if service is ServiceType.SAFE_SHELTER else CapacityUnit.PLACES
    for service in ServiceType
}


@dataclass(frozen=True)
class Figure:
    """One provider's latest figure for one service: how many free, of how many, since when."""

    unit: CapacityUnit
    available: int
    maximum: int | None
    as_of: datetime
    cause: CapacityCause

    @property
    def free(self) -> int:
        """The places free; never more than the maximum, whatever was reported."""
        return self.available if self.maximum is None else min(self.available, self.maximum)


@dataclass(frozen=True)
class Places:
    """One service's figures by provider id, read as routing reads them at `now`."""

    figures: Mapping[str, Figure]
    now: datetime | None
    stale_after: timedelta

    def free(self, provider_id: str) -> int | None:
        """Places free by a fresh figure; None when unknown or stale (or no time given)."""
        figure = self.figures.get(provider_id)
        if figure is None or self.now is None:
            return None
        return figure.free if is_fresh(figure, now=self.now, stale_after=self.stale_after) else None


# The figures routing reads: by service, then by provider id.
Capacity: TypeAlias = "Mapping[ServiceType, Mapping[str, Figure]]"


def is_fresh(figure: Figure | None, *, now: datetime, stale_after: timedelta) -> bool:
    """Whether there is a figure, and it is recent enough to route by."""
    return figure is not None and now - figure.as_of <= stale_after


def reported(current: Figure | None, report: CapacityReported) -> Figure | None:
    """The provider's own figure, unless the one held is as recent or more (then None)."""
    if current is not None and report.at <= current.as_of:
        return None
    return Figure(
        unit=report.unit,
        available=report.available,
        maximum=report.maximum,
        as_of=report.at,
        cause=CapacityCause.REPORTED,
    )


def declined_at_capacity(
    current: Figure | None, service: ServiceType, *, at: datetime
) -> Figure | None:
    """None free from `at`, unless a later figure already says otherwise (then None).

    A decline for being full is the provider's own word that it is, as fresh as a report;
    it stays full until the provider reports a place free.
    """
    if current is not None and at <= current.as_of:
        return None
    if current is not None and current.free == 0 and current.cause is not CapacityCause.REPORTED:
        return None  # already full by an earlier decline or acceptance: nothing new
    return Figure(
        unit=current.unit if current is not None else DEFAULT_UNITS[service],
        available=0,
        maximum=current.maximum if current is not None else None,
        as_of=at,
        cause=CapacityCause.DECLINED_AT_CAPACITY,
    )


def accepted(current: Figure | None, *, at: datetime, stale_after: timedelta) -> Figure | None:
    """One place fewer after an acceptance at `at`; None when there is nothing to take from.

    Only a figure that is known, was fresh when the provider accepted, came before the
    acceptance (a later report counts the child already) and still has a place free. The
    figure keeps its time: taking places from an old count does not make it any newer.
    """
    if current is None or not is_fresh(current, now=at, stale_after=stale_after):
        return None
    if at < current.as_of or current.free == 0:
        return None
    return Figure(
        unit=current.unit,
        available=current.free - 1,
        maximum=current.maximum,
        as_of=current.as_of,
        cause=CapacityCause.ACCEPTED_REFERRAL,
    )


def answered(
    current: Figure | None,
    service: ServiceType,
    *,
    status: ReferralStatus,
    reason: ReasonCode | None,
    at: datetime,
    stale_after: timedelta,
) -> Figure | None:
    """What a provider's answer, moving its referral to `status`, does to its figure."""
    if status is ReferralStatus.DECLINED and reason is ReasonCode.AT_CAPACITY:
        return declined_at_capacity(current, service, at=at)
    if status is ReferralStatus.ACCEPTED:
        return accepted(current, at=at, stale_after=stale_after)
    return None


def changed(
    provider_id: str,
    service: ServiceType,
    figure: Figure,
    *,
    provider: Provider | None,
    stale_after: timedelta,
) -> CapacityChanged:
    """The event saying the router's figure changed; `provider` from the directory, if there."""
    return CapacityChanged(
        provider_id=provider_id,
        service=service,
        unit=figure.unit,
        available=figure.available,
        maximum=figure.maximum,
        at=figure.as_of,
        cause=figure.cause,
        fresh_until=figure.as_of + stale_after,
        states=provider.states if provider is not None else (),
    )
