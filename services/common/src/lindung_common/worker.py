"""A `Service` as a Faust worker: agents, leader timers, the web server, the lifecycle.

What Faust does here: one agent per consumer reads its topics and hands batches
(`noack_take`) to the consume path; offsets are acknowledged only after the batch's
transaction committed, so a crash or a stop in the middle replays the batch and never
skips it. Timers marked `on_leader` run on one instance of the service. The worker owns
start-up and a clean stop on SIGTERM. The web server (FastAPI, served by Faust's ASGI
bridge) answers the health endpoints, /metrics and the service's own routes.

What Faust does not do here: its tables and its `exactly_once` guarantee. PostgreSQL is
the truth and keeps the exactly-once effects (see the README).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import faust
import mode
import structlog
from aiokafka import TopicPartition
from faust.contrib.asgi import serve_asgi

from . import metrics
from .failures import classify
from .kafka import client_options
from .logging import configure_logging, logging_dict_config
from .records import Record
from .runtime import Runtime

if TYPE_CHECKING:
    from .consume import ConsumePath
    from .service import Service, Timer
    from .settings import ServiceSettings

__all__ = ["TimerFailures", "create_worker_app", "run_worker"]

log = structlog.get_logger(__name__)


def create_worker_app(service: Service) -> tuple[faust.App, Runtime]:
    """The Faust app running `service`, and the runtime it drives."""
    s = service.settings
    runtime = Runtime(service)
    app = faust.App(
        service.group_id,
        broker=[f"kafka://{host}" for host in s.kafka_bootstrap_servers.split(",")],
        broker_credentials=_credentials(s),
        processing_guarantee="at_least_once",
        store="memory://",
        web_enabled=True,
        web_bind=s.http_host,
        web_port=s.http_port,
        web_host=s.http_host,
        # Faust would take over stdout; our logs are JSON lines there.
        worker_redirect_stdouts=False,
        consumer_auto_offset_reset="earliest",
        # A killed worker's partitions move in seconds, not the default minute.
        broker_session_timeout=10.0,
        broker_heartbeat_interval=3.0,
        broker_commit_interval=1.0,
        broker_request_timeout=s.kafka_request_timeout_seconds + 10.0,
        producer_request_timeout=s.kafka_request_timeout_seconds,
        topic_replication_factor=1,
        topic_partitions=1,
    )

    def assigned() -> set[TopicPartition] | None:
        try:
            return {TopicPartition(tp.topic, tp.partition) for tp in app.consumer.assignment()}
        except Exception:  # not started yet: judge every partition
            return None

    class _RuntimeService(mode.Service):
        async def on_start(self) -> None:
            await runtime.start(assigned=assigned)

        async def on_stop(self) -> None:
            await runtime.stop()

    app.service(_RuntimeService)
    for path in runtime.paths.values():
        _agent(app, path, service)
    for timer in runtime.timers:
        _timer(app, timer, service, runtime)
    serve_asgi(app, runtime.web(), host=s.http_host, port=s.http_port, log_config=None)
    return app, runtime


def _credentials(s: ServiceSettings) -> faust.SASLCredentials:
    """The service's own principal, for every client Faust opens (consumer, producer, admin)."""
    options = client_options(s)
    # With an SSL context Faust speaks SASL_SSL, without one SASL_PLAINTEXT.
    return faust.SASLCredentials(
        username=options["sasl_plain_username"],
        password=options["sasl_plain_password"],
        mechanism=options["sasl_mechanism"],
        ssl_context=options.get("ssl_context"),
    )


def _agent(app: faust.App, path: ConsumePath, service: Service) -> None:
    names = [topic.name for topic in path.consumer.topics]
    channel = app.topic(
        *names,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        internal=False,
    )
    size = service.settings.consume_batch_size
    within = service.settings.consume_batch_wait_seconds

    async def consume(stream: faust.StreamT[bytes]) -> None:
        await service.db.wait_started()
        path.state.running = True
        try:
            # noack_take: the events are acknowledged below, after the commit.
            batches = stream.noack_take(size, within=within)  # type: ignore[attr-defined]
            async for events in batches:
                await path.handle([Record.of_message(e.message) for e in events])
                # Only now may the offsets move past these records.
                for event in events:
                    await stream.ack(event)
        finally:
            path.state.running = False

    consume.__name__ = consume.__qualname__ = path.consumer.name.replace("-", "_")
    app.agent(channel, name=path.consumer.name)(consume)


class TimerFailures:
    """A failing timer: capped backoff between its ticks, a log line per change of state.

    A tick that fails at once (the database gone, say) would otherwise run again at the
    timer's interval, tens of times a second, each with a warning.
    """

    def __init__(self, name: str, cap: float, *, log_every: float = 60.0) -> None:
        self.name = name
        self._cap = cap
        self._log_every = log_every
        self.failures = 0
        self._logged_at: float | None = None
        self._unlogged = 0

    def failed(self, reason: str, now: float) -> float:
        """Count a failure; the seconds to wait before the next tick."""
        self.failures += 1
        if self._logged_at is None or now - self._logged_at >= self._log_every:
            log.warning(
                "timer tick failed",
                timer=self.name,
                reason=reason,
                failures_in_a_row=self.failures,
                not_logged=self._unlogged,
            )
            self._logged_at, self._unlogged = now, 0
        else:
            self._unlogged += 1
        return float(min(0.1 * 2 ** min(self.failures - 1, 16), self._cap))

    def succeeded(self) -> None:
        """A tick worked: say so if it had been failing, and forget the failures."""
        if self.failures:
            log.info("timer works again", timer=self.name, failures_in_a_row=self.failures)
        self.failures, self._logged_at, self._unlogged = 0, None, 0


def _timer(app: faust.App, timer: Timer, service: Service, runtime: Runtime) -> None:
    limit = service.settings.timer_timeout_seconds
    failing = TimerFailures(timer.name, service.settings.retry_backoff_cap_seconds)

    async def tick() -> None:
        await service.db.wait_started()
        try:
            if timer.after_catch_up:
                await runtime.catch_up()  # once per process; bounded
            async with asyncio.timeout(limit):
                await timer.run()
        except Exception as exc:
            # The next tick tries again; the work it missed is still in the database.
            metrics.TIMER_FAILURES.labels(service.name, timer.name).inc()
            await asyncio.sleep(failing.failed(classify(exc).reason, time.monotonic()))
        else:
            failing.succeeded()

    tick.__name__ = tick.__qualname__ = timer.name.replace("-", "_")
    app.timer(timer.seconds, on_leader=timer.on_leader)(tick)


def run_worker(app: faust.App, service: str, log_level: str) -> None:
    """Run the Faust worker in the foreground until SIGTERM/SIGINT."""
    configure_logging(service, log_level)
    worker = faust.Worker(
        app,
        loglevel=log_level,
        logging_config=logging_dict_config(service, log_level),
        quiet=True,
        redirect_stdouts=False,
    )
    worker.execute_from_commandline()
