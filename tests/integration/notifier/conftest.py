"""Fixtures for the notifier's integration tests: a webhook receiver, a clock, the service."""

from __future__ import annotations

import asyncio
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
from lindung_common import Record
from lindung_contracts import (
    ChildSummary,
    DeadlineMissed,
    Envelope,
    Gender,
    RecipientRole,
    ReferralRequested,
    ServiceType,
    decode,
    encode,
)
from lindung_notifier.bootstrap import Notifier, bootstrap
from lindung_notifier.handlers import CONSUMER
from lindung_notifier.settings import NotifierSettings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
SECRET = "shelter-kl-1-signing-secret"


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

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def answer(self, path: str, *statuses: int) -> None:
        self.script[path].extend(statuses)

    def to(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(Received(request.path, dict(request.headers), await request.read()))
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
def endpoints_file(tmp_path, receiver):
    """The endpoints file pointing at the receiver: one provider signs, the roles do not."""
    document = {
        "providers": {
            "shelter-kl-1": {"webhook_url": receiver.url("/shelter-kl-1"), "secret": SECRET},
            "legal-aid-kl": {"webhook_url": receiver.url("/legal-aid-kl")},
            "nobody-home-kl": {"webhook_url": f"http://127.0.0.1:{closed_port()}/hook"},
        },
        "roles": {
            "case_coordinator": {"webhook_url": receiver.url("/roles/case_coordinator")},
            "supervisor": {"webhook_url": receiver.url("/roles/supervisor")},
        },
    }
    path = tmp_path / "endpoints.json"
    path.write_text(json.dumps(document))
    return path


@dataclass
class Running:
    """A started notifier (runtime + dispatcher, no Faust) and ways to look inside it."""

    notifier: Notifier

    @property
    def runtime(self) -> Any:
        return self.notifier.runtime

    @property
    def dispatcher(self) -> Any:
        return self.notifier.dispatcher

    async def handle(self, envelope: Envelope[Any], offset: int = 0) -> None:
        """Consume an event as the agents do: its Kafka record through `Runtime.process`."""
        encoded = encode(envelope)
        record = Record(
            topic=encoded.topic,
            partition=0,
            offset=offset,
            key=encoded.key,
            value=encoded.value,
            headers=encoded.headers,
        )
        await self.runtime.process(CONSUMER, record, self.notifier.handlers)

    async def deliveries(self) -> list[Any]:
        async with self.runtime.pool.acquire() as conn:
            return await conn.fetch("SELECT * FROM deliveries ORDER BY created_at, notification_id")

    async def attempts(self, notification_id: uuid.UUID) -> list[Any]:
        async with self.runtime.pool.acquire() as conn:
            return await conn.fetch(
                "SELECT * FROM delivery_attempts WHERE notification_id = $1 ORDER BY attempt",
                notification_id,
            )

    async def outbox(self) -> list[Any]:
        """The events in the outbox, decoded with the contracts codec."""
        async with self.runtime.pool.acquire() as conn:
            rows = await conn.fetch("SELECT value FROM outbox ORDER BY id")
        return [decode(row["value"]).data for row in rows]


@pytest.fixture
async def start_notifier(
    stack, schema, clock, endpoints_file
) -> AsyncIterator[Callable[..., Awaitable[Running]]]:
    """Starts the notifier in the test's own schema, with the test's clock."""
    started: list[Notifier] = []

    async def start(**overrides: Any) -> Running:
        settings = NotifierSettings(
            kafka_bootstrap_servers=stack.kafka_bootstrap_servers,
            database_url=stack.database_url,
            endpoints_file=endpoints_file,
            db_schema=schema,
            **overrides,
        )
        notifier = bootstrap(settings, clock=clock, rng=random.Random(20261127))
        await notifier.runtime.start()
        started.append(notifier)
        return Running(notifier)

    yield start
    for notifier in started:
        await notifier.dispatcher.close()
        await notifier.runtime.stop()


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
    def make(notify: RecipientRole = RecipientRole.CASE_COORDINATOR) -> Envelope[Any]:
        now = clock.now()
        payload = DeadlineMissed(
            referral_id=uuid.uuid4(),
            case_id=uuid.uuid4(),
            provider_id="shelter-kl-1",
            service=ServiceType.SAFE_SHELTER,
            requested_at=now - timedelta(hours=4),
            due_at=now,
            notify=notify,
            fired_at=now,
            escalation_level=1,
        )
        return Envelope.wrap(
            payload, event_id=uuid.uuid4(), time=now, source="/lindung/sla-monitor"
        )

    return make
