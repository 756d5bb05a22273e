"""The one place where the runtime, the handlers and the Faust app are wired together."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lindung_common import Clock, IdFactory, Runtime, new_id

from .handlers import SlaMonitor

if TYPE_CHECKING:
    import faust

    from .settings import SlaMonitorSettings

__all__ = ["MIGRATIONS", "SERVICE", "bootstrap", "build_app"]

SERVICE = "sla-monitor"
MIGRATIONS = Path(__file__).parent / "migrations"


def bootstrap(
    settings: SlaMonitorSettings,
    *,
    schema: str | None = None,
    clock: Clock | None = None,
    ids: IdFactory = new_id,
) -> SlaMonitor:
    """The handlers on a runtime (not yet started) for `settings`; tests pass their own schema."""
    runtime = Runtime(
        service=SERVICE,
        schema=schema or settings.db_schema,
        settings=settings,
        migrations=MIGRATIONS,
        clock=clock,
        ids=ids,
    )
    return SlaMonitor(runtime, batch_size=settings.fire_batch_size)


def build_app(settings: SlaMonitorSettings) -> faust.App:
    """The Faust app that runs the sla-monitor."""
    from .entrypoints.app import create_app  # noqa: PLC0415 - Faust loads only for the worker

    monitor = bootstrap(settings)
    return create_app(monitor, settings)
