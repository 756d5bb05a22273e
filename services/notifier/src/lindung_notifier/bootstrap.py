"""The one place that wires the notifier together: runtime, endpoints, handlers, dispatcher."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from lindung_common import Runtime, new_id
from lindung_contracts import (
    DeadlineMissed,
    DeadlineWarning,
    NoProviderAvailable,
    ReferralRequested,
)

from .adapters.endpoints_file import load_endpoints
from .adapters.http import WebhookClient
from .dispatcher import Dispatcher
from .domain import RetryPolicy
from .handlers import store_deliveries

if TYPE_CHECKING:
    import random
    from collections.abc import Mapping

    from lindung_common import Clock, Handler, IdFactory
    from lindung_contracts import Envelope, Payload

    from .adapters.http import WebhookSender
    from .settings import NotifierSettings

__all__ = ["MIGRATIONS", "SERVICE", "Notifier", "bootstrap"]

SERVICE = "notifier"
MIGRATIONS = Path(__file__).parent / "migrations"
log = structlog.get_logger(__name__)
# The events the notifier delivers; every other event on its topics is skipped.
DELIVERED_TYPES: tuple[type[Payload], ...] = (
    ReferralRequested,
    NoProviderAvailable,
    DeadlineWarning,
    DeadlineMissed,
)


@dataclass(frozen=True)
class Notifier:
    """The wired service: what the entry points need."""

    runtime: Runtime
    dispatcher: Dispatcher
    handlers: Mapping[type[Payload], Handler]


def bootstrap(
    settings: NotifierSettings,
    *,
    clock: Clock | None = None,
    ids: IdFactory = new_id,
    sender: WebhookSender | None = None,
    rng: random.Random | None = None,
) -> Notifier:
    """Build the notifier; raises `EndpointsFileError` when the endpoints file is bad."""
    endpoints = load_endpoints(settings.endpoints_file)
    for role in endpoints.missing_roles():
        log.warning("no webhook configured for role; its alerts will fail", role=role)
    runtime = Runtime(
        service=SERVICE,
        schema=settings.db_schema,
        settings=settings,
        migrations=MIGRATIONS,
        clock=clock,
        ids=ids,
    )
    dispatcher = Dispatcher(
        runtime=runtime,
        endpoints=endpoints,
        sender=sender or WebhookClient(timeout_seconds=settings.request_timeout_seconds),
        policy=RetryPolicy(
            max_attempts=settings.max_attempts,
            base_seconds=settings.backoff_base_seconds,
            cap_seconds=settings.backoff_cap_seconds,
        ),
        batch_size=settings.dispatcher_batch_size,
        idle_seconds=settings.dispatcher_idle_seconds,
        lease_seconds=settings.lease_seconds,
        rng=rng,
    )

    async def handle(envelope: Envelope[Any]) -> None:
        stored = await store_deliveries(
            envelope, pool=runtime.pool, clock=runtime.clock, ids=runtime.ids
        )
        if stored:
            dispatcher.wake()

    return Notifier(
        runtime=runtime,
        dispatcher=dispatcher,
        handlers=dict.fromkeys(DELIVERED_TYPES, handle),
    )
