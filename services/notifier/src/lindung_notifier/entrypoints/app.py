"""The notifier's Faust app: two agents store deliveries, a service sends them."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import mode
from lindung_common.faust_app import consume, create_faust_app, raw_topic
from lindung_contracts import DEADLINES, REFERRALS

# Relative imports throughout: mypy then names each module the same way however invoked.
from ..bootstrap import Notifier, bootstrap  # noqa: TID252
from ..handlers import CONSUMER  # noqa: TID252

if TYPE_CHECKING:
    import faust

    from ..settings import NotifierSettings  # noqa: TID252

__all__ = ["create_app"]


def create_app(settings: NotifierSettings, notifier: Notifier | None = None) -> faust.App:
    """The worker's app; raises `EndpointsFileError` when the endpoints file is bad."""
    notifier = notifier or bootstrap(settings)
    runtime, dispatcher, handlers = notifier.runtime, notifier.dispatcher, notifier.handlers
    app = create_faust_app(runtime, settings)

    @app.agent(raw_topic(app, REFERRALS), name=f"{CONSUMER}-referrals")
    async def referrals(stream: faust.StreamT[bytes]) -> None:
        await consume(stream, runtime, CONSUMER, handlers)

    @app.agent(raw_topic(app, DEADLINES), name=f"{CONSUMER}-deadlines")
    async def deadlines(stream: faust.StreamT[bytes]) -> None:
        await consume(stream, runtime, CONSUMER, handlers)

    # Registered after the runtime's own service, so it stops first (children stop in
    # reverse): no delivery is recorded into a closed pool.
    @app.service
    class DispatcherService(mode.Service):
        """Runs the dispatcher beside the agents for the life of the worker."""

        _task: asyncio.Task[None] | None = None

        async def on_start(self) -> None:
            self._task = asyncio.create_task(dispatcher.run(), name="notifier-dispatcher")

        async def on_stop(self) -> None:
            if self._task is not None:
                self._task.cancel()
                await asyncio.gather(self._task, return_exceptions=True)
            await dispatcher.close()

    return app
