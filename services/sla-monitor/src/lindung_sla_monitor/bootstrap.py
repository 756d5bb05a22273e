"""The one place that wires the sla-monitor together: its handlers, its timer, its service shape."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import structlog
from lindung_common import ConfigError, Service, Timer, Units, foundations
from lindung_common.keys import load_keys
from lindung_common.signin import IdentityProvider, PeopleSessions

from .adapters.legal_clocks import load_policy
from .dashboard import Dashboard
from .dashboard.people import PATH, TABLES, Door, operations_person
from .handlers import Handlers
from .scheduler import Scheduler, deadlines_channel

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from lindung_common import Clock, IdFactory

    from .settings import SlaMonitorSettings

__all__ = ["MIGRATIONS", "SERVICE", "TIMER", "build"]

SERVICE = "sla-monitor"
TIMER = "fire-due-steps"
COUNT_TIMER = "count-open-referrals"
_BETWEEN_TURNS_SECONDS = 0.02
_COUNT_EVERY_SECONDS = 15.0  # a count over every open deadline: not every tick
MIGRATIONS = Path(__file__).parent / "migrations"
log = structlog.get_logger(__name__)


def build(
    settings: SlaMonitorSettings,
    *,
    schema: str | None = None,
    clock: Clock | None = None,
    ids: IdFactory | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> Service:
    """The sla-monitor as a service: the REFERRALS consumer and the leader's deadline timer.

    `clock` is the wall clock (events' times, and the scheduler's with `monotonic`).
    """
    legal_clocks = load_policy(settings.legal_clocks_file)
    db, events = foundations(SERVICE, settings, MIGRATIONS, schema=schema, clock=clock, ids=ids)
    units = Units(db, events, max_event_bytes=settings.outbox_max_event_bytes)
    scheduler = Scheduler(
        units,
        batch_size=settings.fire_batch_size,
        grace=timedelta(seconds=settings.answer_grace_seconds),
        monotonic=monotonic,
    )

    async def fire_due_steps() -> None:
        """Raise whatever warnings and escalations have come due by the clock's now."""
        report = await scheduler.fire_for(settings.tick_seconds)
        if report.fired or report.skipped:
            log.info(
                "due deadline steps settled", fired=len(report.fired), skipped=len(report.skipped)
            )

    async def count_open() -> None:
        await scheduler.count_open()

    dashboard = _dashboard(settings, units, events.now)

    return Service(
        name=SERVICE,
        settings=settings,
        db=db,
        events=events,
        consumers=[Handlers(events, deadlines_channel(db.schema), legal_clocks).consumer()],
        routes=[dashboard.routes()],
        # One leader fires for the whole group; PostgreSQL row locks keep it exact anyway.
        timers=[
            # Turns follow each other closely: a step coming due between two turns
            # waits at most this long (Faust sleeps the interval after each turn).
            # After downtime, the acceptances that came meanwhile are read before anything
            # fires: a referral accepted while the sla-monitor was down is not escalated.
            Timer(
                TIMER,
                _BETWEEN_TURNS_SECONDS,
                run=fire_due_steps,
                on_leader=True,
                after_catch_up=True,
            ),
            # Every instance: a scrape of any of them tells the truth.
            Timer(COUNT_TIMER, _COUNT_EVERY_SECONDS, run=count_open, on_leader=False),
        ],
    )


def _dashboard(
    settings: SlaMonitorSettings, units: Units, now: Callable[[], datetime]
) -> Dashboard:
    """The operations dashboard; off (503, saying why) without a keys file and its secret."""
    path, secret = settings.api_keys_file, settings.key_secret
    if (path is None) != (secret is None):
        raise ConfigError(
            "bad settings: SLA_MONITOR_API_KEYS_FILE and SLA_MONITOR_KEY_SECRET go together"
        )
    keys = None
    if path is not None and secret is not None:
        keys = load_keys(path, secret.get_secret_value().encode(), "SLA_MONITOR_API_KEYS_FILE")
    return Dashboard(
        units,
        keys,
        now,
        door=_door(settings, units),
        timezone=settings.dashboard_timezone,
        refresh_seconds=settings.dashboard_refresh_seconds,
        off_reason=None
        if keys is not None
        else "operations keys are off: SLA_MONITOR_API_KEYS_FILE and SLA_MONITOR_KEY_SECRET "
        "are unset",
    )


def _door(settings: SlaMonitorSettings, units: Units) -> Door | None:
    """People's sign-in to the dashboard, when an identity provider is set; else none."""
    if settings.oidc_issuer is None:
        return None
    if settings.dashboard_url is None:
        raise ConfigError(
            "SLA_MONITOR_DASHBOARD_URL: the dashboard's public address (e.g. "
            "https://ops.lindung.example/dashboard) is required with SLA_MONITOR_OIDC_ISSUER"
        )
    url = str(settings.dashboard_url).rstrip("/")
    if urlsplit(url).path != PATH:
        raise ConfigError(f"SLA_MONITOR_DASHBOARD_URL: its path must be {PATH}, not {url!r}")
    idp = IdentityProvider(
        str(settings.oidc_issuer),
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret.get_secret_value(),
    )
    sessions = PeopleSessions(
        units,
        idp,
        tables=TABLES,
        who=operations_person,
        redirect_uri=f"{url}/callback",
        idle=timedelta(minutes=settings.dashboard_idle_minutes),
        longest=timedelta(hours=settings.dashboard_max_hours),
    )
    return Door(sessions=sessions, url=url)
