"""A service running: its connections, outbox relay, consume paths, tasks and health.

The Faust worker (`worker.py`) drives a `Runtime` for each service process; tests and the
dead-letter replay command drive one without Faust, through the same consume paths.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from typing import TYPE_CHECKING, Any

import structlog
from aiokafka import TopicPartition
from fastapi import FastAPI

from .consume import ConsumePath
from .failures import classify
from .guard import guard_bodies
from .health import Health
from .kafka import BrokerLink, client_options, create_producer
from .progress import LagProbe
from .records import Record
from .relay import OutboxRelay
from .retention import Pruner
from .service import Timer

if TYPE_CHECKING:
    from collections.abc import Callable

    from aiokafka import AIOKafkaProducer
    from aiokafka.client import AIOKafkaClient
    from lindung_contracts import Envelope

    from .consumers import Outcome
    from .service import Service

__all__ = ["PRUNE_TIMER", "Runtime"]

PRUNE_TIMER = "prune-retained"

log = structlog.get_logger(__name__)


class Runtime:
    """Starts and stops what a `Service` declares, in a safe order."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.paths = {
            c.name: ConsumePath(c, service.db, service.events, service.settings)
            for c in service.consumers
        }
        self.health = Health(
            service.name,
            service.settings,
            service.db,
            [path.state for path in self.paths.values()],
            service.checks,
            tasks=self._tasks_running,
            degrade_only=service.degrade_only,
        )
        self.relay: OutboxRelay | None = None
        self.pruner = Pruner(service.db, service.settings, service.name)
        self._producer: AIOKafkaProducer | None = None
        self._background: list[asyncio.Task[None]] = []
        self._relay_task: asyncio.Task[None] | None = None
        self._offsets = itertools.count(1)
        self._stopping = False
        self._ended: dict[str, str] = {}
        self._web: FastAPI | None = None
        self._caught_up = False
        self._started = asyncio.Event()

    @property
    def timers(self) -> list[Timer]:
        """The service's own timers, and the prune every service gets (unless turned off)."""
        timers = list(self.service.timers)
        every = self.service.settings.retention_prune_seconds
        if every > 0:
            timers.append(Timer(PRUNE_TIMER, every, run=self._prune, on_leader=True))
        return timers

    async def _prune(self) -> None:
        await self.pruner.prune()

    def web(self) -> FastAPI:
        """The web app: the service's own API and routes, the health endpoints, /metrics.

        Every route of it is behind a body size limit (`*_MAX_BODY_BYTES`).
        """
        if self._web is None:
            api = self.service.api or FastAPI(
                title=self.service.group_id, docs_url=None, redoc_url=None
            )
            api.include_router(self.health.router())
            for routes in self.service.routes:
                api.include_router(routes)
            guard_bodies(api, self.service.settings.max_body_bytes)
            self._web = api
        return self._web

    async def start(
        self,
        *,
        relay: bool = True,
        tasks: bool = True,
        assigned: Callable[[], set[TopicPartition] | None] | None = None,
    ) -> None:
        """Open the database, then the producer and the relay, then the service's tasks."""
        s = self.service.settings
        await self.service.db.start()
        if relay:
            self._producer = self._new_producer()
            await self._producer.start()
            self.relay = OutboxRelay(
                self.service.db.pool,
                self._producer,
                self.service.db.schema,
                batch_size=s.outbox_batch_size,
                poll_seconds=s.outbox_poll_seconds,
                linger_seconds=s.outbox_linger_seconds,
                backoff_cap_seconds=s.retry_backoff_cap_seconds,
                service=self.service.name,
                renew=self._renew_producer,
            )
            self.health.relay = self.relay
            self._relay_task = asyncio.create_task(self.relay.run(), name="outbox-relay")
            self.health.link = BrokerLink(
                self._client,
                interval=s.health_broker_probe_seconds,
                timeout=s.health_broker_timeout_seconds,
            )
            self._spawn(self.health.link.run(), "broker-link")
            self.health.probe = self._lag_probe(assigned)
            self._spawn(self.health.run_probe(), "lag-probe")
        if tasks:
            for task in self.service.tasks:
                self._spawn(task.run(), task.name)
        self._started.set()
        log.info("service started", schema=self.service.db.schema)

    async def stop(self) -> None:
        """Stop tasks, then the relay (letting its batch finish), the producer, the pool."""
        self._stopping = True
        stoppable = {t.name for t in self.service.tasks if hasattr(t, "stop")}
        for task in self.service.tasks:
            if task.name in stoppable:
                task.stop()  # type: ignore[attr-defined]
        # Tasks that can finish their work in flight get a moment to; then all are cancelled.
        finishing = [b for b in self._background if b.get_name() in stoppable]
        if finishing:
            await asyncio.wait(finishing, timeout=10)
        for background in self._background:
            background.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        for task in self.service.tasks:
            with contextlib.suppress(Exception):
                await task.close()
        if self._relay_task is not None and self.relay is not None:
            # Let a batch in flight finish, so a clean stop does not send it twice.
            self.relay.stop()
            try:
                await asyncio.wait_for(asyncio.shield(self._relay_task), timeout=10)
            except TimeoutError:
                self._relay_task.cancel()
            await asyncio.gather(self._relay_task, return_exceptions=True)
        if self.health.probe is not None:
            with contextlib.suppress(Exception):
                await self.health.probe.stop()
        if self._producer is not None:
            await self._producer.stop()
        await self.service.db.stop()
        log.info("service stopped")

    def _new_producer(self) -> AIOKafkaProducer:
        s = self.service.settings
        return create_producer(
            client_options(s),
            f"{self.service.group_id}-outbox",
            request_timeout_ms=int(s.kafka_request_timeout_seconds * 1000),
            max_request_size=s.outbox_max_event_bytes + 65_536,
        )

    async def _renew_producer(self) -> AIOKafkaProducer:
        """A new outbox producer in place of one that gave up for good."""
        fresh = self._new_producer()
        try:
            await fresh.start()
        except BaseException:
            with contextlib.suppress(Exception):
                await fresh.stop()
            raise
        old, self._producer = self._producer, fresh
        if old is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(old.stop(), timeout=5)
        return fresh

    def _client(self) -> AIOKafkaClient:
        if self._producer is None:
            raise RuntimeError("no producer yet")
        return self._producer.client

    async def deliver(
        self, *envelopes: Envelope[Any], consumer: str | None = None
    ) -> list[Outcome]:
        """Hand events to a consumer's path as if read from Kafka (tests, replays)."""
        records = [Record.of_envelope(e, offset=next(self._offsets)) for e in envelopes]
        return await self.deliver_records(*records, consumer=consumer)

    async def deliver_records(self, *records: Record, consumer: str | None = None) -> list[Outcome]:
        """Hand records to a consumer's path (the only one, unless named)."""
        path = self.paths[consumer] if consumer else next(iter(self.paths.values()))
        return await path.handle(list(records))

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        task.add_done_callback(self._ended_early)
        self._background.append(task)

    def _ended_early(self, task: asyncio.Task[None]) -> None:
        """A background task must run for the life of the service: its end is reported."""
        if self._stopping or task.cancelled():
            return
        error = task.exception()
        reason = classify(error).reason if error is not None else "returned"
        self._ended[task.get_name()] = reason
        log.error("background task ended", task=task.get_name(), reason=reason)

    async def _tasks_running(self) -> str | None:
        if not self._ended:
            return None
        return "; ".join(f"task {name} ended: {why}" for name, why in sorted(self._ended.items()))

    async def catch_up(self) -> None:
        """Wait until the consumers have read what was written before this process started.

        Once per process, for a timer marked `after_catch_up`: the end offsets of every
        partition the service consumes are read, then the group's committed offsets are
        watched until they reach them, at most `*_TIMER_CATCH_UP_SECONDS` in all. Past that
        the timer runs anyway (a stuck consumer or an unreadable broker must not silence
        it), and says so.
        """
        if self._caught_up:
            return
        limit = self.service.settings.timer_catch_up_seconds
        started = time.monotonic()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(limit):
                await self._started.wait()  # the probe exists once the runtime has started
        probe = self.health.probe
        if probe is None:  # started without Kafka (a command, a test): nothing to catch up
            self._caught_up = True
            return
        target: dict[tuple[str, int], int] | None = None
        behind: list[str] = []
        why = "behind"
        while time.monotonic() - started < limit:
            try:
                async with asyncio.timeout(max(limit - (time.monotonic() - started), 0.1)):
                    lags = await probe.read(every_partition=True)
            except TimeoutError:
                why = "the offsets were not read in time"
                break
            except Exception as exc:  # the broker away: try again within the limit
                why = classify(exc).reason
                await asyncio.sleep(0.5)
                continue
            if target is None:
                target = {(p.topic, p.partition): p.end for p in lags}
            behind = [
                f"{p.topic}/{p.partition}"
                for p in lags
                if p.committed < target.get((p.topic, p.partition), 0)
            ]
            if not behind:
                waited = round(time.monotonic() - started, 1)
                log.info("consumers caught up; timers run", waited_seconds=waited)
                self._caught_up = True
                return
            await asyncio.sleep(0.2)
        log.warning("consumers not caught up; timers run anyway", reason=why, behind=behind[:10])
        self._caught_up = True

    def _lag_probe(self, assigned: Callable[[], set[TopicPartition] | None] | None) -> LagProbe:
        partitions = {
            path.consumer.name: [
                TopicPartition(topic.name, p)
                for topic in path.consumer.topics
                for p in range(topic.partitions)
            ]
            for path in self.paths.values()
        }
        return LagProbe(
            client_options(self.service.settings),
            self.service.group_id,
            partitions,
            request_timeout_ms=int(self.service.settings.kafka_request_timeout_seconds * 1000),
            assigned=assigned,
        )
