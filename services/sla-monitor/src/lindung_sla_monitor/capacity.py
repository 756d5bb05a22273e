"""Providers' free places, as the router counts them: kept for the operations dashboard."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import structlog

from .adapters import capacity

if TYPE_CHECKING:
    from lindung_common import Work
    from lindung_contracts import CapacityChanged, Envelope

__all__ = ["on_capacity_changed"]

log = structlog.get_logger(__name__)


async def on_capacity_changed(work: Work, envelope: Envelope[Any]) -> None:
    """Keep a provider's latest figure for a service (a later one already kept stays)."""
    changed: CapacityChanged = envelope.data
    await capacity.keep_figure(work.conn, changed)
    work.after_commit(
        lambda: log.info("capacity figure kept", event_id=str(envelope.id),
                         provider_id=changed.provider_id, service_type=changed.service.value,
                         available=changed.available)
    )  # fmt: skip
