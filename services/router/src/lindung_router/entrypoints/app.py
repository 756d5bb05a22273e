"""The router's Faust app: one agent per consumed topic, each handing records to `consume`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lindung_common.faust_app import consume, create_faust_app, raw_topic
from lindung_contracts import CASES, PROVIDER_RESPONSES

# Relative imports throughout: mypy then names each module the same way however invoked.
from ..bootstrap import Wired, bootstrap  # noqa: TID252
from ..handlers import CONSUMER  # noqa: TID252

if TYPE_CHECKING:
    import faust

    from ..settings import RouterSettings  # noqa: TID252

__all__ = ["create_app"]


def create_app(settings: RouterSettings, wired: Wired | None = None) -> faust.App:
    """The worker's app; raises `ConfigFileError` when the policy or directory file is bad."""
    wired = wired or bootstrap(settings)
    runtime, handlers = wired.runtime, wired.handlers
    app = create_faust_app(runtime, settings)

    @app.agent(raw_topic(app, CASES), name=f"{CONSUMER}-cases")
    async def cases(stream: faust.StreamT[bytes]) -> None:
        await consume(stream, runtime, CONSUMER, handlers)

    @app.agent(raw_topic(app, PROVIDER_RESPONSES), name=f"{CONSUMER}-provider-responses")
    async def provider_responses(stream: faust.StreamT[bytes]) -> None:
        await consume(stream, runtime, CONSUMER, handlers)

    return app
