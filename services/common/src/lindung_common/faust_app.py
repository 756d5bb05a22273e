"""How a Lindung service runs as a Faust worker."""

from __future__ import annotations

from typing import TYPE_CHECKING

import faust
import mode
from fastapi import FastAPI
from faust.contrib.asgi import serve_asgi

from .health import health_router
from .logging import configure_logging, logging_dict_config
from .runtime import Handler, Record, Runtime

if TYPE_CHECKING:
    from collections.abc import Mapping

    from lindung_contracts import Payload, Topic

    from .settings import ServiceSettings

__all__ = ["consume", "create_faust_app", "raw_topic", "run_worker"]


def create_faust_app(runtime: Runtime, settings: ServiceSettings) -> faust.App:
    """A Faust app with Lindung's settings: at-least-once, memory store, own port, JSON logs."""
    app = faust.App(
        f"lindung-{runtime.service}",
        broker=[f"kafka://{host}" for host in settings.kafka_bootstrap_servers.split(",")],
        processing_guarantee="at_least_once",
        store="memory://",
        web_enabled=True,
        web_bind=settings.http_host,
        web_port=settings.http_port,
        web_host=settings.http_host,
        # Faust would take over stdout; our logs are JSON lines there.
        worker_redirect_stdouts=False,
        consumer_auto_offset_reset="earliest",
        # A killed worker's partitions move in seconds, not the default minute.
        broker_session_timeout=10.0,
        broker_heartbeat_interval=3.0,
        broker_commit_interval=1.0,
        topic_replication_factor=1,
        topic_partitions=1,
    )

    class _RuntimeService(mode.Service):
        async def on_start(self) -> None:
            await runtime.start()

        async def on_stop(self) -> None:
            await runtime.stop()

    app.service(_RuntimeService)
    api = FastAPI(title=f"lindung-{runtime.service}", docs_url=None, redoc_url=None)
    api.include_router(health_router(runtime))
    serve_asgi(app, api, host=settings.http_host, port=settings.http_port, log_config=None)
    return app


def raw_topic(app: faust.App, topic: Topic) -> faust.TopicT:
    """A registry topic read as raw bytes; the contracts codec decodes in `consume`."""
    return app.topic(
        topic.name,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        internal=False,
    )


async def consume(
    stream: faust.StreamT[bytes],
    runtime: Runtime,
    consumer: str,
    handlers: Mapping[type[Payload], Handler],
) -> None:
    """The body of every Faust agent: each record through `Runtime.process`, in order."""
    async for event in stream.events():
        message = event.message
        record = Record(
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            key=message.key,
            value=message.value,
            headers=tuple((k, bytes(v)) for k, v in (message.headers or ())),
        )
        await runtime.process(consumer, record, handlers)


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
