"""`python -m lindung_intake`: the API, the Kafka door and the outbox relay in one process."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import TYPE_CHECKING

import uvicorn
from lindung_common import configure_logging

from .bootstrap import build
from .entrypoints.consumer import consume_forever
from .settings import IntakeSettings

if TYPE_CHECKING:
    from collections.abc import Iterator


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling.

    uvicorn re-raises SIGTERM once it has served, which would end the process before the
    consumer and the outbox relay have stopped.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(settings: IntakeSettings) -> None:
    """Run until SIGTERM/SIGINT, then stop the API, the consumer and the runtime."""
    runtime, intake, api = build(settings)
    await runtime.start()
    consumer = asyncio.create_task(
        consume_forever(intake, runtime, settings.kafka_bootstrap_servers), name="consumer"
    )
    server = _Server(
        uvicorn.Config(
            api, host=settings.http_host, port=settings.http_port, log_config=None, access_log=False
        )
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, server.handle_exit, sig, None)
    try:
        await server.serve()  # returns once a signal asked it to
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
