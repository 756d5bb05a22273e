"""A provider sets how many places it has free: kept here, published for the router.

One unit of work: decide (`domain.decide_capacity`), keep the report, emit
`CapacityReported` through the outbox. The API and the desk call the same use case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog
from lindung_contracts import CapacityUnit, ServiceType

from lindung_intake.adapters import capacity as stored
from lindung_intake.domain.capacity import decide_capacity
from lindung_intake.domain.refusal import Refusal

from .errors import refused

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    from lindung_common import Units

    from lindung_intake.domain import Principal

__all__ = ["Capacities", "Figure"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Figure:
    """The latest figure a provider set for one service, and who set it when."""

    service: ServiceType
    unit: CapacityUnit
    available: int
    maximum: int | None
    at: datetime
    reported_by: str


class Capacities:
    """Providers' figures of free places."""

    def __init__(self, units: Units) -> None:
        self._units = units

    async def report(
        self,
        principal: Principal,
        provider_id: str,
        service: ServiceType,
        *,
        unit: CapacityUnit,
        available: int,
        maximum: int | None,
    ) -> UUID:
        """Set a provider's figure for a service; the report's id.

        `Forbidden` for another provider's figure, `Invalid` for more free than in all.
        """
        async with self._units.open() as work:
            decided = decide_capacity(
                principal,
                provider_id,
                service,
                unit=unit,
                available=available,
                maximum=maximum,
                report_id=work.new_id(),
                at=work.now,
            )
            if isinstance(decided, Refusal):
                raise refused(decided)
            await stored.insert_report(work.conn, decided)
            work.emit(decided)
            work.after_commit(
                lambda: log.info("capacity reported", provider_id=provider_id,
                                 service_type=service.value, available=available)
            )  # fmt: skip
            return decided.report_id

    async def latest(
        self, principal: Principal
    ) -> tuple[dict[ServiceType, Figure], frozenset[ServiceType]]:
        """The caller's provider's latest figure per service, and the services it offers.

        Offers as far as intake knows: those it was referred for, or set a figure of.
        """
        async with self._units.open() as work:
            rows = await stored.latest_reports(work.conn, principal.id)
            referred = await stored.services_referred(work.conn, principal.id)
        figures = {
            ServiceType(row["service"]): Figure(
                service=ServiceType(row["service"]),
                unit=CapacityUnit(row["unit"]),
                available=row["available"],
                maximum=row["maximum"],
                at=row["at"],
                reported_by=row["reported_by"],
            )
            for row in rows
        }
        offered = {s for s in ServiceType if s.value in referred} | set(figures)
        return figures, frozenset(offered)
