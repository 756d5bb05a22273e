"""What a service is, declared once: consumers, timers, background tasks, web routes.

Each service's `bootstrap.build(settings)` returns a `Service`; `lindung_common.run`
starts any of them the same way (a Faust worker), and tests start the same declaration
without Faust (`Runtime`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .db import Database
from .events import Events

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
    from pathlib import Path

    from fastapi import APIRouter, FastAPI

    from .clock import Clock, IdFactory
    from .consumers import Consumer
    from .health import Check, Concern
    from .settings import ServiceSettings

__all__ = ["ConfigError", "Service", "Task", "Timer", "foundations"]


class ConfigError(Exception):
    """A setting or a configuration file is unusable; the message names it and says why."""


@dataclass(frozen=True)
class Timer:
    """Work done every `seconds`; by one instance of the service when `on_leader`.

    `after_catch_up`: the first tick waits until the service's consumers have read what
    was written before the process started (at most `*_TIMER_CATCH_UP_SECONDS`), so a
    timer never acts on facts older than the news waiting for it on Kafka (an escalation
    for a referral accepted while the service was down, say).
    """

    name: str
    seconds: float
    run: Callable[[], Awaitable[None]]
    on_leader: bool = True
    after_catch_up: bool = False


class Task(Protocol):
    """Long-running work beside the consumers (the notifier's dispatcher, say).

    A task may also have `stop()`: asked to return from `run` once its work in flight is
    done, before it is cancelled at shutdown.
    """

    name: str

    async def run(self) -> None:
        """Work until cancelled (or stopped)."""
        ...

    async def close(self) -> None:
        """Release what `run` held, after it was cancelled."""
        ...


@dataclass
class Service:
    """One service: its database and event factory, and everything it runs."""

    name: str
    settings: ServiceSettings
    db: Database
    events: Events
    consumers: Sequence[Consumer] = ()
    timers: Sequence[Timer] = ()
    tasks: Sequence[Task] = ()
    routes: Sequence[APIRouter] = ()
    checks: Sequence[Check] = ()
    # Concerns the service still takes work despite: they mark it degraded (200, with
    # the reasons) instead of not ready (503). Intake keeps taking identifications into
    # its outbox while only PostgreSQL answers.
    degrade_only: frozenset[Concern] = frozenset()
    api: FastAPI | None = field(default=None)
    # Commands of its own beside `dead-letters` (`python -m lindung_<svc> NAME ARGS...`):
    # each gets the service, built but not started, and its arguments; returns the exit code.
    commands: Mapping[str, Callable[[Service, Sequence[str]], Coroutine[Any, Any, int]]] = field(
        default_factory=dict
    )

    @property
    def group_id(self) -> str:
        """The Kafka consumer group (and Faust app id) of the service."""
        return f"lindung-{self.name}"


def foundations(
    name: str,
    settings: ServiceSettings,
    migrations: Path,
    *,
    schema: str | None = None,
    clock: Clock | None = None,
    ids: IdFactory | None = None,
) -> tuple[Database, Events]:
    """The database (not yet started) and the event factory every service builds on."""
    db_schema = str(schema or getattr(settings, "db_schema", name.replace("-", "_")))
    events = Events(name, clock=clock, ids=ids) if ids else Events(name, clock=clock)
    return Database(settings, db_schema, migrations), events
