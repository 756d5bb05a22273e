"""A started sla-monitor on its own schema, and builders for the router's events."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from lindung_common import Runtime, Units
from lindung_contracts import (
    ChildSummary,
    Envelope,
    EscalationStep,
    RecipientRole,
    ReferralRequested,
    ServiceType,
    StepKind,
    decode,
)
from lindung_sla_monitor.bootstrap import build
from lindung_sla_monitor.scheduler import FireReport, Scheduler
from lindung_sla_monitor.settings import SlaMonitorSettings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from pathlib import Path

ROUTER = "/lindung/router"

# The default ladder (DESIGN.md): warnings at 50 % and 75 %, then levels 1, 2 and 3.
LADDER = (
    (StepKind.WARNING, 0, 50, RecipientRole.PROVIDER),
    (StepKind.WARNING, 0, 75, RecipientRole.CASE_COORDINATOR),
    (StepKind.ESCALATION, 1, 100, RecipientRole.CASE_COORDINATOR),
    (StepKind.ESCALATION, 2, 150, RecipientRole.SUPERVISOR),
    (StepKind.ESCALATION, 3, 200, RecipientRole.SECRETARIAT),
)


@dataclass(frozen=True)
class Referral:
    """One referral as the router would send it, and the times of its window."""

    referral_id: uuid.UUID
    case_id: uuid.UUID
    requested_at: datetime
    due_at: datetime

    def at_percent(self, percent: float) -> datetime:
        """The time `percent` of the way through the response window."""
        return self.requested_at + (self.due_at - self.requested_at) * percent / 100

    def requested(
        self,
        ladder: tuple[tuple[StepKind, int, int, RecipientRole], ...] = LADDER,
        *,
        overdue_since: datetime | None = None,
        package_due_at: datetime | None = None,
        acknowledgement_window_seconds: int | None = None,
    ):
        """A fresh ReferralRequested event (new event id) for this referral."""
        payload = ReferralRequested(
            referral_id=self.referral_id,
            case_id=self.case_id,
            agency_id="pdrm-kl",
            service=ServiceType.SAFE_SHELTER,
            provider_id="shelter-kl-1",
            attempt=1,
            urgent=False,
            reasons=("every identified child",),
            requested_at=self.requested_at,
            due_at=self.due_at,
            escalation=tuple(
                EscalationStep(
                    kind=kind,
                    level=level,
                    percent_of_window=percent,
                    at=self.at_percent(percent),
                    notify=role,
                )
                for kind, level, percent, role in ladder
            ),
            policy_version="test-1",
            child=ChildSummary(
                age_years=14, age_disputed=False, gender="female", languages=("ms",)
            ),
            overdue_since=overdue_since,
            package_due_at=package_due_at,
            acknowledgement_window_seconds=acknowledgement_window_seconds,
        )
        return Envelope.wrap(payload, event_id=uuid.uuid4(), time=self.requested_at, source=ROUTER)

    def fact(self, payload_type: type, at: datetime, **extra: Any):
        """A lifecycle event of this referral (accepted, declined, ...) at `at`."""
        payload = payload_type(
            referral_id=self.referral_id,
            case_id=self.case_id,
            provider_id="shelter-kl-1",
            service=ServiceType.SAFE_SHELTER,
            at=at,
            **extra,
        )
        return Envelope.wrap(payload, event_id=uuid.uuid4(), time=at, source=ROUTER)


@pytest.fixture
def new_referral() -> Callable[..., Referral]:
    """Makes referrals with a 4 h window starting at a fixed time (the clock is explicit)."""

    def make(
        requested_at: datetime = datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
        window: timedelta = timedelta(hours=4),
    ) -> Referral:
        return Referral(uuid.uuid4(), uuid.uuid4(), requested_at, requested_at + window)

    return make


class SettableClock:
    """A clock that says what the test tells it; the wall clock until told otherwise.

    Setting it is time passing, not a step of the wall clock: its monotonic reading moves
    with it.
    """

    def __init__(self) -> None:
        self.at: datetime | None = None

    def now(self) -> datetime:
        return self.at or datetime.now(UTC)

    def monotonic(self) -> float:
        return self.now().timestamp()


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock()


def settings_for(stack: Any, **overrides: Any) -> SlaMonitorSettings:
    """Settings pointing at the test infrastructure; no grace unless a test sets one."""
    return SlaMonitorSettings(
        **stack.kafka_settings("sla-monitor"),
        database_url=stack.database_url,
        **({"answer_grace_seconds": 0} | overrides),
    )


@pytest.fixture
async def start_monitor(
    stack: Any, schema: str, clock: SettableClock
) -> AsyncIterator[Callable[..., Awaitable[Runtime]]]:
    """Starts sla-monitors without Faust on this test's schema, as separate processes would be.

    `runtime.deliver` hands a started one events as its consumer would. They tell the time
    by `clock`, unless given a `wall` clock (then carried forward by `time.monotonic`).
    """
    started: list[Runtime] = []

    async def start(
        *, wall: Any = None, monotonic: Callable[[], float] | None = None, **overrides: Any
    ) -> Runtime:
        settings = settings_for(stack, **overrides)
        built = build(
            settings,
            schema=schema,
            clock=wall or clock,
            monotonic=monotonic or (time.monotonic if wall else clock.monotonic),
        )
        runtime = Runtime(built)
        await runtime.start()
        started.append(runtime)
        return runtime

    yield start
    for runtime in started:
        await runtime.stop()


@pytest.fixture
async def monitor(start_monitor: Callable[..., Awaitable[Runtime]]) -> Runtime:
    """One started sla-monitor on this test's own schema."""
    return await start_monitor()


def _scheduler(
    runtime: Runtime, *, batch_size: int | None = None, grace: timedelta | None = None
) -> Scheduler:
    """What the timer of `runtime`'s service fires with, to call at a time of the test's choice."""
    service = runtime.service
    settings = service.settings
    assert isinstance(settings, SlaMonitorSettings)
    return Scheduler(
        Units(service.db, service.events, max_event_bytes=settings.outbox_max_event_bytes),
        batch_size=batch_size or settings.fire_batch_size,
        grace=grace if grace is not None else timedelta(seconds=settings.answer_grace_seconds),
    )


@pytest.fixture
def scheduler() -> Callable[..., Scheduler]:
    """`scheduler(runtime, batch_size=...)`: another scheduler on a started sla-monitor."""
    return _scheduler


@pytest.fixture
def fire_due(monitor: Runtime) -> Callable[[datetime], Awaitable[FireReport]]:
    """Fires what is due at the given time on `monitor`, as one timer tick would."""
    return _scheduler(monitor).fire_due


@pytest.fixture
def outbox(monitor: Runtime) -> Callable[..., Awaitable[list[Envelope[Any]]]]:
    """Reads every event the service queued for Kafka, decoded as a consumer would, in order."""

    async def read(via: Runtime | None = None) -> list[Envelope[Any]]:
        async with (via or monitor).service.db.pool.acquire() as conn:
            rows = await conn.fetch("SELECT value, headers FROM outbox ORDER BY id")
        return [
            decode(bytes(row["value"]), [(n, v.encode()) for n, v in json.loads(row["headers"])])
            for row in rows
        ]

    return read


@dataclass
class WorkerProcess:
    """A real `python -m lindung_sla_monitor` child process, its HTTP port and its log."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    def log(self) -> str:
        """Everything the worker wrote so far."""
        return self.log_path.read_text(errors="replace")

    def logged(self, event: str) -> list[dict[str, Any]]:
        """The JSON log lines of one kind (`"deadline step fired"`, say), in order."""
        lines = []
        for line in self.log().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and entry.get("event") == event:
                lines.append(entry)
        return lines

    async def ready(self, timeout: float = 120) -> None:
        """Wait until `/health/ready` says yes; fails with the log if the worker died."""
        async with asyncio.timeout(timeout):
            while not await asyncio.to_thread(_answers_ready, self.port):
                assert self.process.poll() is None, self.log()[-4000:]
                await asyncio.sleep(0.5)

    def kill(self) -> None:
        """SIGKILL: no shutdown of any kind, as when the host or the process dies."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    async def stop(self) -> int:
        """SIGTERM, then SIGKILL after a minute; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(self.process.wait, 60)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers_ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture
async def spawn_worker(
    stack: Any, schema: str, tmp_path: Path
) -> AsyncIterator[Callable[..., WorkerProcess]]:
    """`spawn_worker(**env)` starts a worker on this test's schema; all are stopped after it."""
    started: list[tuple[WorkerProcess, Any]] = []

    def spawn(**env: str) -> WorkerProcess:
        port = _free_port()
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SLA_MONITOR_")},
            **stack.service_env("sla-monitor"),
            "SLA_MONITOR_DATABASE_URL": stack.database_url_for("sla-monitor", schema),
            "SLA_MONITOR_DB_SCHEMA": schema,
            "SLA_MONITOR_HTTP_PORT": str(port),
            **env,
        }
        log_path = tmp_path / f"sla-monitor-{len(started)}.log"
        log_file = log_path.open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "lindung_sla_monitor"],
            env=environment,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        worker = WorkerProcess(process, port, log_path)
        started.append((worker, log_file))
        return worker

    try:
        yield spawn
    finally:
        for worker, log_file in started:
            await worker.stop()
            log_file.close()


DASHBOARD_URL = "http://127.0.0.1:8083/dashboard"


@pytest.fixture
def people_settings(keycloak: Any) -> dict[str, Any]:
    """The sla-monitor's settings for people to sign in to its dashboard at the real Keycloak."""
    settings: dict[str, Any] = keycloak.dashboard_settings(DASHBOARD_URL)
    return settings
