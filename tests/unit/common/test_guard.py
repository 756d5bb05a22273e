"""The body guard every service's web app gets: one answer for a body over the limit."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, Request
from lindung_common import guard_bodies

LIMIT = 4096


def _app() -> FastAPI:
    api = FastAPI()

    @api.get("/health/ready")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    @api.post("/sign-in")
    async def sign_in(request: Request) -> dict[str, int]:
        return {"read": len(await request.body())}

    guard_bodies(api, LIMIT)
    guard_bodies(api, LIMIT * 100)  # placed once: the first stays
    return api


async def _chunks(total: int):
    for _ in range(total // 1024):
        yield b"k" * 1024


@pytest.fixture
async def http():
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        yield client


@pytest.mark.parametrize("path", ["/sign-in", "/health/ready", "/nowhere"])
@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
async def test_a_body_over_the_limit_is_413_whichever_route_it_is_sent_to(http, path, chunked):
    body = _chunks(LIMIT * 4) if chunked else b"k" * (LIMIT * 4)

    response = await http.post(path, content=body)

    assert response.status_code == 413
    assert response.json() == {
        "errors": [{"field": "body", "reason": f"the body is over {LIMIT} bytes"}]
    }


async def test_a_body_within_the_limit_reaches_the_route(http):
    read = await http.post("/sign-in", content=_chunks(LIMIT))
    not_allowed = await http.post("/health/ready", content=b"k" * LIMIT)
    plain = await http.get("/health/ready")

    assert (read.status_code, read.json()) == (200, {"read": LIMIT})
    assert not_allowed.status_code == 405
    assert plain.status_code == 200
