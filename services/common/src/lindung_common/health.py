"""`/health/live`, `/health/ready` and `/metrics`, the same on every service.

Live: the process answers. Ready: the database answers; every consumer is running, not
stuck retrying a passing failure, and making progress or caught up (committed offsets,
read by the lag probe); the outbox's oldest waiting event is younger than the limit;
plus any check the service adds. A 503 says every reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import structlog
from fastapi import APIRouter, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from . import metrics
from .failures import classify
from .progress import PartitionLag, Stalls, judge

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .consumers import ConsumerState
    from .db import Database
    from .progress import LagProbe
    from .relay import OutboxRelay
    from .settings import ServiceSettings

__all__ = ["Check", "Health"]

# A service's own readiness check: None when fine, else the reason.
Check = Callable[[], Awaitable[str | None]]
log = structlog.get_logger(__name__)


class Health:
    """The service's health, judged on request from live state and the latest probe."""

    def __init__(
        self,
        service: str,
        settings: ServiceSettings,
        db: Database,
        consumers: Sequence[ConsumerState],
        checks: Sequence[Check] = (),
    ) -> None:
        self.service = service
        self._settings = settings
        self._db = db
        self._consumers = consumers
        self._checks = checks
        self.relay: OutboxRelay | None = None
        self.probe: LagProbe | None = None
        self._stalls = Stalls()
        self._still: dict[PartitionLag, float] = {}
        self._probe_error: str | None = None

    async def ready(self) -> tuple[bool, dict[str, Any]]:
        """Whether the service can do its work, and the evidence."""
        problems: list[str] = []
        body: dict[str, Any] = {"service": self.service}
        if not self._db.started:
            problems.append("database: not connected yet")
        else:
            try:
                await self._db.ping()
                body["database"] = "ok"
                if self.relay is not None:
                    problems += await self._outbox(body)
            except Exception as exc:  # the check reports; it never raises
                body["database"] = classify(exc).reason
                problems.append(f"database: {body['database']}")
        now = time.monotonic()
        stuck_after = self._settings.health_stuck_after_seconds
        problems += judge(self._consumers, self._still, now=now, stuck_after=stuck_after)
        if self._probe_error is not None:
            body["lag_probe"] = self._probe_error
        body["consumers"] = {
            s.name: {"running": s.running, "handled": s.handled, "retrying": s.retry_reason}
            for s in self._consumers
        }
        body["lag"] = {f"{p.topic}/{p.partition}": p.lag for p in self._still}
        for check in self._checks:
            reason = await check()
            if reason is not None:
                problems.append(reason)
        body["status"] = "ready" if not problems else "not ready"
        body["problems"] = problems
        metrics.READY.labels(self.service).set(0 if problems else 1)
        return not problems, body

    async def run_probe(self) -> None:
        """Read consumer lag every few seconds until cancelled; failures are reported."""
        while True:
            if self.probe is not None:
                try:
                    async with asyncio.timeout(self._settings.kafka_request_timeout_seconds):
                        lags = await self.probe.read()
                    self._still = self._stalls.observe(lags, time.monotonic())
                    self._probe_error = None
                    for p in lags:
                        metrics.CONSUMER_LAG.labels(
                            self.service, p.consumer, p.topic, str(p.partition)
                        ).set(p.lag)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    self._probe_error = classify(exc).reason
                    log.warning("lag probe failed", reason=self._probe_error)
            await asyncio.sleep(self._settings.health_probe_seconds)

    def router(self) -> APIRouter:
        """The three endpoints."""
        routes = APIRouter(tags=["operations"])

        @routes.get("/health/live")
        async def live() -> dict[str, str]:
            """The process is up and its event loop answers."""
            return {"service": self.service, "status": "live"}

        @routes.get(
            "/health/ready",
            responses={503: {"description": "Not ready: the body gives every reason."}},
        )
        async def ready(response: Response) -> dict[str, Any]:
            """200 when the service can do its work; 503 with every reason when not."""
            ok, body = await self.ready()
            if not ok:
                response.status_code = 503
            return body

        @routes.get("/metrics", response_class=PlainTextResponse)
        async def prometheus() -> Response:
            """Prometheus text exposition."""
            with contextlib.suppress(Exception):
                await self._outbox_gauges()
            return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

        return routes

    async def _outbox(self, body: dict[str, Any]) -> list[str]:
        waiting, age, aside = await self._outbox_gauges()
        body["outbox"] = {"waiting": waiting, "oldest_seconds": round(age, 3), "set_aside": aside}
        problems = []
        limit = self._settings.health_outbox_max_age_seconds
        if age > limit:
            problems.append(
                f"outbox: the oldest event has waited {age:.0f} s (limit {limit:.0f} s)"
            )
        if self.relay is not None and self.relay.last_failure is not None:
            body["outbox"]["relay"] = self.relay.last_failure
        return problems

    async def _outbox_gauges(self) -> tuple[int, float, int]:
        if self.relay is None:
            return 0, 0.0, 0
        waiting, age, aside = await self.relay.backlog()
        metrics.OUTBOX_WAITING.labels(self.service).set(waiting)
        metrics.OUTBOX_OLDEST_SECONDS.labels(self.service).set(age)
        metrics.OUTBOX_SET_ASIDE.labels(self.service).set(aside)
        return waiting, age, aside
