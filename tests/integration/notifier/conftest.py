"""Fixtures for the notifier's integration tests: a webhook receiver, a clock, the service."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import socket
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web
from lindung_common import Outcome, Runtime
from lindung_contracts import (
    ChildSummary,
    DeadlineMissed,
    Envelope,
    Gender,
    RecipientRole,
    ReferralRequested,
    ServiceType,
    decode,
)
from lindung_notifier.bootstrap import build
from lindung_notifier.settings import NotifierSettings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
SECRET = "whsec_c2hlbHRlci1rbC0xLXNpZ25pbmctc2VjcmV0LTAx"


class ManualClock:
    """A clock that moves only when told."""

    def __init__(self, start: datetime = T0) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A real HTTP server standing in for providers' and coordinators' webhooks."""

    base_url: str = ""
    requests: list[Received] = field(default_factory=list)
    # Per path, the statuses to answer in turn; 200 once they run out.
    script: dict[str, deque[int]] = field(default_factory=lambda: defaultdict(deque))
    delay_seconds: dict[str, float] = field(default_factory=dict)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def answer(self, path: str, *statuses: int) -> None:
        self.script[path].extend(statuses)

    def to(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    async def received(self, count: int, seconds: float = 10) -> None:
        """Wait until `count` requests have arrived."""
        async with asyncio.timeout(seconds), self.arrived:
            await self.arrived.wait_for(lambda: len(self.requests) >= count)

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(Received(request.path, dict(request.headers), await request.read()))
        async with self.arrived:
            self.arrived.notify_all()
        if request.path in self.delay_seconds:
            await asyncio.sleep(self.delay_seconds[request.path])
        statuses = self.script[request.path]
        return web.Response(status=statuses.popleft() if statuses else 200, text="ok")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()
    app = web.Application()
    app.router.add_route("POST", "/{tail:.*}", state.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    state.base_url = f"http://{host}:{port}"
    yield state
    await runner.cleanup()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def unaccepting_port() -> Iterator[int]:
    """A loopback port that listens but never accepts: its queue is full, connecting hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = int(listener.getsockname()[1])
    fillers = []
    for _ in range(3):  # more than the queue holds; the rest wait in SYN_SENT
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    yield port
    for sock in (*fillers, listener):
        sock.close()


@pytest.fixture
def endpoints_file(tmp_path, receiver, unaccepting_port):
    """The endpoints file pointing at the receiver: one provider signs, the roles do not."""
    document = {
        "providers": {
            "shelter-kl-1": {"webhook_url": receiver.url("/shelter-kl-1"), "secrets": [SECRET]},
            "legal-aid-kl": {"webhook_url": receiver.url("/legal-aid-kl")},
            "nobody-home-kl": {"webhook_url": f"http://127.0.0.1:{closed_port()}/hook"},
            "switchboard-kl": {"webhook_url": f"http://127.0.0.1:{unaccepting_port}/hook"},
        },
        "roles": {
            "case_coordinator": {"webhook_url": receiver.url("/roles/case_coordinator")},
            "supervisor": {"webhook_url": receiver.url("/roles/supervisor")},
            "secretariat": {"webhook_url": receiver.url("/roles/secretariat")},
        },
    }
    path = tmp_path / "endpoints.json"
    path.write_text(json.dumps(document))
    return path


@dataclass
class Running:
    """A started notifier (the service's runtime, no Faust) and ways to look inside it."""

    runtime: Runtime

    @property
    def dispatcher(self) -> Any:
        [dispatcher] = self.runtime.service.tasks
        return dispatcher

    @property
    def pool(self) -> Any:
        return self.runtime.service.db.pool

    def envelope(self, payload: Any) -> Envelope[Any]:
        """An event made by the notifier's own event factory (its clock, its source)."""
        return self.runtime.service.events.wrap(payload)

    async def handle(self, envelope: Envelope[Any]) -> list[Outcome]:
        """Consume an event as the worker does: its Kafka record through the consume path."""
        return await self.runtime.deliver(envelope)

    async def deliveries(self) -> list[Any]:
        async with self.pool.acquire() as conn:
            return await conn.fetch("SELECT * FROM deliveries ORDER BY created_at, notification_id")

    async def attempts(self, notification_id: uuid.UUID) -> list[Any]:
        async with self.pool.acquire() as conn:
            return await conn.fetch(
                "SELECT * FROM delivery_attempts WHERE notification_id = $1 ORDER BY attempt",
                notification_id,
            )

    async def outbox(self) -> list[Any]:
        """The events in the outbox, decoded with the contracts codec."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch("SELECT value FROM outbox ORDER BY id")
        return [decode(row["value"]).data for row in rows]


@pytest.fixture
async def start_notifier(
    stack, schema, clock, endpoints_file
) -> AsyncIterator[Callable[..., Awaitable[Running]]]:
    """Starts the notifier in the test's own schema, with the test's clock.

    The dispatcher does not run on its own unless `dispatching=True`: tests drive its
    passes with `dispatch_once`.
    """
    started: list[Runtime] = []

    async def start(*, dispatching: bool = False, **overrides: Any) -> Running:
        settings = NotifierSettings(
            **stack.kafka_settings("notifier"),
            database_url=stack.database_url,
            endpoints_file=endpoints_file,
            **overrides,
        )
        runtime = Runtime(build(settings, schema=schema, clock=clock, rng=random.Random(20261127)))
        await runtime.start(tasks=dispatching)
        started.append(runtime)
        return Running(runtime)

    yield start
    for runtime in started:
        await runtime.stop()  # closes the dispatcher's HTTP session too


@pytest.fixture
def referral_requested(clock) -> Callable[..., Envelope[Any]]:
    def make(provider_id: str = "shelter-kl-1") -> Envelope[Any]:
        now = clock.now()
        payload = ReferralRequested(
            referral_id=uuid.uuid4(),
            case_id=uuid.uuid4(),
            agency_id="pdrm-kl",
            service=ServiceType.SAFE_SHELTER,
            provider_id=provider_id,
            attempt=1,
            urgent=True,
            reasons=("child in immigration detention",),
            requested_at=now,
            due_at=now + timedelta(hours=4),
            escalation=(),
            policy_version="2026.1",
            child=ChildSummary(
                age_years=15, age_disputed=True, gender=Gender.FEMALE, languages=("my",)
            ),
        )
        return Envelope.wrap(payload, event_id=uuid.uuid4(), time=now, source="/lindung/router")

    return make


@pytest.fixture
def deadline_missed(clock) -> Callable[..., Envelope[Any]]:
    def make(
        notify: RecipientRole = RecipientRole.CASE_COORDINATOR,
        *,
        like: Envelope[Any] | None = None,
        level: int = 1,
    ) -> Envelope[Any]:
        """A missed deadline; `like` a ReferralRequested: of that referral."""
        now = clock.now()
        payload = DeadlineMissed(
            referral_id=like.data.referral_id if like else uuid.uuid4(),
            case_id=like.data.case_id if like else uuid.uuid4(),
            provider_id="shelter-kl-1",
            service=ServiceType.SAFE_SHELTER,
            requested_at=now - timedelta(hours=4),
            due_at=now,
            notify=notify,
            fired_at=now,
            escalation_level=level,
        )
        return Envelope.wrap(
            payload, event_id=uuid.uuid4(), time=now, source="/lindung/sla-monitor"
        )

    return make
