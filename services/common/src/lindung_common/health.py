"""The `/health` endpoint every service serves."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Response

if TYPE_CHECKING:
    from .runtime import Runtime

__all__ = ["health_router"]


def health_router(runtime: Runtime) -> APIRouter:
    """`GET /health`: 200 when the database answers, with the outbox backlog; else 503."""
    router = APIRouter()

    @router.get("/health", tags=["operations"])
    async def health(response: Response) -> dict[str, Any]:
        checks: dict[str, Any] = {"service": runtime.service}
        try:
            async with asyncio.timeout(2):
                await runtime.ready()
                checks["outbox_backlog"] = await runtime.relay.backlog() if runtime.relay else None
            checks["database"] = "ok"
            checks["status"] = "ok"
        except Exception as exc:  # the check reports; it never raises
            checks["database"] = type(exc).__name__
            checks["status"] = "unavailable"
            response.status_code = 503
        checks["outbox_published"] = runtime.relay.published if runtime.relay else 0
        return checks

    return router
