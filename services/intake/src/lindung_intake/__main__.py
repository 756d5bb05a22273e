"""`python -m lindung_intake`: the API, the Kafka door and the outbox relay in one process."""

from __future__ import annotations

import asyncio
import contextlib

import uvicorn
from lindung_common import configure_logging

from .bootstrap import build
from .entrypoints.consumer import consume_forever
from .settings import IntakeSettings


async def serve(settings: IntakeSettings) -> None:
    """Run until SIGTERM/SIGINT, then stop the API, the consumer and the runtime."""
    runtime, intake, api = build(settings)
    await runtime.start()
    consumer = asyncio.create_task(
        consume_forever(intake, runtime, settings.kafka_bootstrap_servers), name="consumer"
    )
    server = uvicorn.Server(
        uvicorn.Config(
            api, host=settings.http_host, port=settings.http_port, log_config=None, access_log=False
        )
    )
    try:
        await server.serve()  # returns on SIGTERM/SIGINT
    finally:
        consumer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await consumer
        await runtime.stop()


def main() -> None:
    """Entry point."""
    settings = IntakeSettings()  # filled from the environment
    configure_logging("intake", settings.log_level)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
