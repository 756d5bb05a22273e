"""`/health/live`, `/health/ready` and `/metrics`, the same on every service.

Live: the process answers. Ready: the service can take work. Every concern found (the
database, the broker, the outbox, a consumer, a background task, a check of the
service's own) is either a problem, which makes readiness answer 503, or, for a concern
the service declares it works without (`Service.degrade_only`), a degradation: readiness
stays 200 with `"status": "degraded"`. Both are in the body and in `lindung_degraded`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import structlog
from fastapi import APIRouter, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from . import metrics
from .failures import classify
from .progress import PartitionLag, Stalls, judge

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from .consumers import ConsumerState
    from .db import Database
    from .kafka import BrokerLink
    from .progress import LagProbe
    from .relay import OutboxRelay
    from .settings import ServiceSettings

__all__ = ["Check", "Concern", "Health"]

# A service's own readiness check: None when fine, else the reason.
Check = Callable[[], Awaitable[str | None]]
log = structlog.get_logger(__name__)


class Concern(StrEnum):
    """What a health finding is about: the `reason` label of `lindung_degraded`."""

    DATABASE = "database"
    BROKER = "broker"
    OUTBOX = "outbox"
    CONSUMER = "consumer"
    TASK = "task"
    CHECK = "check"


Finding = tuple[Concern, str]


class Health:
    """The service's health, judged on request from live state and the latest probes."""

    def __init__(
        self,
        service: str,
        settings: ServiceSettings,
        db: Database,
        consumers: Sequence[ConsumerState],
        checks: Sequence[Check] = (),
        *,
        tasks: Check | None = None,
        degrade_only: Collection[Concern] = (),
    ) -> None:
        self.service = service
        self._settings = settings
        self._db = db
        self._consumers = consumers
        self._checks = checks
        self._tasks = tasks
        self._degrade_only = frozenset(degrade_only)
        self.relay: OutboxRelay | None = None
        self.probe: LagProbe | None = None
        self.link: BrokerLink | None = None
        # Two missed reads in a row and the partitions are watched afresh.
        self._stalls = Stalls(blind_after=3 * settings.health_probe_seconds)
        self._still: dict[PartitionLag, float] = {}
        self._probe_error: str | None = None
        self._status = "ready"

    async def ready(self) -> tuple[bool, dict[str, Any]]:
        """Whether the service can take work, and the evidence."""
        body: dict[str, Any] = {"service": self.service}
        found = await self._database(body)
        found += self._broker(body)
        now = time.monotonic()
        stuck_after = self._settings.health_stuck_after_seconds
        found += [
            (Concern.CONSUMER, p)
            for p in judge(self._consumers, self._still, now=now, stuck_after=stuck_after)
        ]
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
                found.append((Concern.CHECK, reason))
        if self._tasks is not None and (reason := await self._tasks()) is not None:
            found.append((Concern.TASK, reason))
        problems = [text for concern, text in found if concern not in self._degrade_only]
        degraded = [text for concern, text in found if concern in self._degrade_only]
        status = "not ready" if problems else "degraded" if degraded else "ready"
        body |= {"status": status, "problems": problems, "degraded": degraded}
        self._publish({concern for concern, _ in found}, ready=not problems)
        self._log_change(status, problems or degraded)
        return not problems, body

    async def run_probe(self) -> None:
        """Read consumer lag every few seconds until cancelled; failures are reported."""
        while True:
            if self.probe is not None:
                try:
                    async with asyncio.timeout(self._settings.kafka_request_timeout_seconds):
                        lags = await self.probe.read()
                    self._still = self._stalls.observe(lags, time.monotonic())
                    if self._probe_error is not None:
                        log.info("lag probe reads again")
                    self._probe_error = None
                    for p in lags:
                        metrics.CONSUMER_LAG.labels(
                            self.service, p.consumer, p.topic, str(p.partition)
                        ).set(p.lag)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    reason = classify(exc).reason
                    if reason != self._probe_error:  # a change, not every failed read
                        log.warning("lag probe failed", reason=reason)
                    self._probe_error = reason
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
            responses={503: {"description": "Cannot take work: `problems` gives every reason."}},
        )
        async def ready(response: Response) -> dict[str, Any]:
            """200 while the service can take work, 503 with every reason when not.

            A 200 says `"status": "ready"`, or `"degraded"` with the reasons in `degraded`.
            """
            ok, body = await self.ready()
            if not ok:
                response.status_code = 503
            return body

        @routes.get("/metrics", response_class=PlainTextResponse)
        async def prometheus() -> Response:
            """Prometheus text exposition; readiness is judged afresh for its gauges."""
            with contextlib.suppress(Exception):
                await self.ready()
            return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

        return routes

    async def _database(self, body: dict[str, Any]) -> list[Finding]:
        if not self._db.started:
            return [(Concern.DATABASE, "database: not connected yet")]
        try:
            await self._db.ping()
            body["database"] = "ok"
            return await self._outbox(body) if self.relay is not None else []
        except Exception as exc:  # the check reports; it never raises
            body["database"] = classify(exc).reason
            return [(Concern.DATABASE, f"database: {body['database']}")]

    def _broker(self, body: dict[str, Any]) -> list[Finding]:
        found: list[Finding] = []
        if self.link is not None:
            if self.link.down_since is None:
                body["broker"] = {"answers": True}
            else:
                seconds = self.link.seconds_down()
                body["broker"] = {
                    "answers": False,
                    "for_seconds": round(seconds, 1),
                    "reason": self.link.reason,
                }
                found.append(
                    (Concern.BROKER, f"broker: no answer for {seconds:.0f} s ({self.link.reason})")
                )
        if self.relay is not None and self.relay.broker_failure is not None:
            found.append(
                (Concern.BROKER, f"producer: cannot deliver ({self.relay.broker_failure})")
            )
        return found

    async def _outbox(self, body: dict[str, Any]) -> list[Finding]:
        waiting, age, aside = await self._outbox_gauges()
        body["outbox"] = {"waiting": waiting, "oldest_seconds": round(age, 3), "set_aside": aside}
        found: list[Finding] = []
        limit = self._settings.health_outbox_max_age_seconds
        if age > limit:
            found.append(
                (
                    Concern.OUTBOX,
                    f"outbox: the oldest event has waited {age:.0f} s (limit {limit:.0f} s)",
                )
            )
        if self.relay is not None and self.relay.last_failure is not None:
            body["outbox"]["relay"] = self.relay.last_failure
        return found

    async def _outbox_gauges(self) -> tuple[int, float, int]:
        if self.relay is None:
            return 0, 0.0, 0
        waiting, age, aside = await self.relay.backlog()
        metrics.OUTBOX_WAITING.labels(self.service).set(waiting)
        metrics.OUTBOX_OLDEST_SECONDS.labels(self.service).set(age)
        metrics.OUTBOX_SET_ASIDE.labels(self.service).set(aside)
        return waiting, age, aside

    def _publish(self, concerns: set[Concern], *, ready: bool) -> None:
        metrics.READY.labels(self.service).set(1 if ready else 0)
        for concern in Concern:
            metrics.DEGRADED.labels(self.service, concern.value).set(
                1 if concern in concerns else 0
            )

    def _log_change(self, status: str, reasons: list[str]) -> None:
        """One line when the status changes, not one per request."""
        if status == self._status:
            return
        self._status = status
        if status == "ready":
            log.info("ready: takes work, nothing degraded")
        elif status == "degraded":
            log.warning("degraded: takes work", reasons=reasons)
        else:
            log.warning("not ready: takes no work", reasons=reasons)
