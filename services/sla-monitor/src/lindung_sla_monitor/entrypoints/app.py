"""The Faust app: the REFERRALS agent and the leader's deadline timer. I/O only."""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog
from lindung_common.faust_app import consume, create_faust_app, raw_topic
from lindung_contracts import REFERRALS

from lindung_sla_monitor.handlers import CONSUMER

if TYPE_CHECKING:
    import faust

    from lindung_sla_monitor.handlers import SlaMonitor
    from lindung_sla_monitor.settings import SlaMonitorSettings

__all__ = ["create_app"]

log = structlog.get_logger(__name__)


def create_app(monitor: SlaMonitor, settings: SlaMonitorSettings) -> faust.App:
    """A Faust app that records deadlines from REFERRALS and fires due steps every tick."""
    runtime = monitor.runtime
    app = create_faust_app(runtime, settings)
    referrals = raw_topic(app, REFERRALS)
    handlers = monitor.handlers()

    @app.agent(referrals, name="sla-monitor-referrals")
    async def record_deadlines(stream: faust.StreamT[bytes]) -> None:
        """Every REFERRALS record through the shared consume path, in partition order."""
        await consume(stream, runtime, CONSUMER, handlers)

    # One leader fires for the whole group; PostgreSQL row locks keep it exact anyway.
    @app.timer(settings.tick_seconds, on_leader=True)  # type: ignore[untyped-decorator]
    async def fire_due_steps() -> None:
        """Raise whatever warnings and escalations have come due by the clock's now."""
        await runtime.ready()
        try:
            report = await monitor.fire_due(runtime.clock.now())
        except Exception:
            # The next tick retries: every due step is still pending in the database.
            log.exception("firing due deadline steps failed")
            return
        if report.fired or report.skipped:
            log.info(
                "due deadline steps settled", fired=len(report.fired), skipped=len(report.skipped)
            )

    return app
