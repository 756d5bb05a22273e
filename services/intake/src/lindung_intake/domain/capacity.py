"""A provider setting how many places it has free for a service: who may, and what is sound.

Only the provider itself (its system's key, or its staff at the desk) sets its figure. The
report says nothing about any child; `reported_by` is the key's id or the staff member's
user id, never a name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from lindung_contracts import CapacityReported

from .auth import PrincipalKind
from .refusal import Refusal, RefusalKind

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    from lindung_contracts import CapacityUnit, ServiceType

    from .auth import Principal

__all__ = ["MOST_PLACES", "decide_capacity"]

# More free places than any provider has for one service: a figure beyond it is a typo.
MOST_PLACES: Final = 100_000


def decide_capacity(
    principal: Principal,
    provider_id: str,
    service: ServiceType,
    *,
    unit: CapacityUnit,
    available: int,
    maximum: int | None,
    report_id: UUID,
    at: datetime,
) -> CapacityReported | Refusal:
    """The report to publish, or why not: another provider's figure, or one that cannot be."""
    if principal.kind is not PrincipalKind.PROVIDER or principal.id != provider_id:
        return Refusal.of(
            RefusalKind.FORBIDDEN,
            "provider_id",
            "a provider may set only its own capacity",
        )
    if maximum is not None and available > maximum:
        return Refusal.of(RefusalKind.INVALID, "available", "must not be more than maximum")
    return CapacityReported(
        report_id=report_id,
        provider_id=provider_id,
        service=service,
        unit=unit,
        available=available,
        maximum=maximum,
        at=at,
        reported_by=principal.person or principal.key_id or principal.id,
    )
