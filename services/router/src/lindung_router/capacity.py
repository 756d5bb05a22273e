"""Live capacity: a provider's report, and the answers that change its figure.

One unit of work each: lock the provider's figure for the service, decide with
`domain.capacity`, keep the new figure and emit `CapacityChanged`. A report older than
the figure held (late, or seen again) changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import structlog

from .adapters.capacity import lock_figure, save_figure
from .domain.capacity import answered, changed, reported

if TYPE_CHECKING:
    from lindung_common import Work
    from lindung_contracts import (
        CapacityChanged,
        CapacityReported,
        Envelope,
        ProviderResponded,
        ReferralStatus,
    )

    from .domain import Directory, Policy, ReferralState
    from .domain.capacity import Figure

__all__ = ["Capacities"]

log = structlog.get_logger(__name__)


class Capacities:
    """The router's capacity use cases, bound to its policy and provider directory."""

    def __init__(self, policy: Policy, directory: Directory) -> None:
        self.policy = policy
        self.providers = {p.id: p for p in directory.providers}

    async def on_reported(self, work: Work, envelope: Envelope[Any]) -> None:
        """A provider said how many places it has free: kept unless older than the figure held."""
        report: CapacityReported = envelope.data
        bound = log.bind(
            event_id=str(envelope.id),
            provider_id=report.provider_id,
            service_type=report.service.value,
        )
        current = await lock_figure(work.conn, report.provider_id, report.service)
        figure = reported(current, report)
        if figure is None:
            bound.info("capacity report no newer than the figure held; ignored")
            return
        event = await self._keep(work, report.provider_id, report, figure)
        work.after_commit(lambda: bound.info("capacity reported", available=event.available))

    async def after_answer(
        self, work: Work, referral: ReferralState, answer: ProviderResponded, status: ReferralStatus
    ) -> CapacityChanged | None:
        """A decline "at capacity" leaves none free; an acceptance takes a place. The event."""
        current = await lock_figure(work.conn, referral.provider_id, referral.service)
        figure = answered(
            current,
            referral.service,
            status=status,
            reason=answer.reason,
            at=answer.responded_at,
            stale_after=self.policy.capacity.stale_after,
        )
        if figure is None:
            return None
        return await self._keep(work, referral.provider_id, referral, figure)

    async def _keep(
        self,
        work: Work,
        provider_id: str,
        about: CapacityReported | ReferralState,
        figure: Figure,
    ) -> CapacityChanged:
        await save_figure(work.conn, provider_id, about.service, figure)
        event = changed(
            provider_id,
            about.service,
            figure,
            provider=self.providers.get(provider_id),
            stale_after=self.policy.capacity.stale_after,
        )
        work.emit(event)
        return event
