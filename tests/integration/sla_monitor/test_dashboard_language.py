"""The dashboard in Malay or English, as the person chooses, remembered with their session."""

from __future__ import annotations

import re

import httpx
import pytest

pytestmark = pytest.mark.integration

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
async def dashboard(start_monitor, people_settings):
    runtime = await start_monitor(**people_settings)
    transport = httpx.ASGITransport(app=runtime.web())
    async with httpx.AsyncClient(transport=transport, base_url="http://sla") as http:
        yield runtime, http


async def _languages(runtime, schema):
    async with runtime.service.db.pool.acquire() as conn:
        rows = await conn.fetch(f"SELECT language FROM {schema}.dashboard_sessions")
    return [r["language"] for r in rows]


def _csrf(page):
    return re.search(r'name="csrf" value="([^"]+)"', page.text)[1]


async def test_a_browser_asking_for_malay_gets_the_dashboard_in_malay(dashboard, person_at, schema):
    runtime, http = dashboard
    http.headers["Accept-Language"] = "ms-MY, ms;q=0.9, en;q=0.5"

    page = await person_at(http).sign_in("operations", "/dashboard")

    assert page.status_code == 200, page.text
    assert '<html lang="ms">' in page.text
    assert "Log keluar" in page.text
    assert "Menunggu penerimaan" in page.text or "Tiada yang menunggu" in page.text
    assert "Sign out" not in page.text
    assert await _languages(runtime, schema) == ["ms"]


async def test_the_language_chosen_is_kept_with_the_session_and_needs_its_csrf_token(
    dashboard, person_at, schema
):
    runtime, http = dashboard
    page = await person_at(http).sign_in("operations", "/dashboard?last=24h")
    assert '<html lang="en">' in page.text

    forged = await http.post(
        "/dashboard/language", content=b"language=ms&next=/dashboard", headers=FORM
    )
    assert forged.status_code == 403
    assert await _languages(runtime, schema) == ["en"]

    chosen = await http.post(
        "/dashboard/language",
        content=f"csrf={_csrf(page)}&language=ms&next=/dashboard?last%3D24h".encode(),
        headers=FORM,
    )
    assert chosen.status_code == 303
    assert chosen.headers["location"] == "/dashboard?last=24h"
    assert await _languages(runtime, schema) == ["ms"]
    # The session holds the choice, whatever the browser says it prefers.
    http.cookies.delete("lindung_operations_language")
    again = await http.get("/dashboard?last=24h", headers={"Accept-Language": "en"})
    assert '<html lang="ms">' in again.text
    assert "Tempoh" in again.text
    assert "24 jam" in again.text


async def test_before_signing_in_the_browser_s_cookie_keeps_the_choice(dashboard):
    _, http = dashboard

    chosen = await http.post("/dashboard/language", content=b"language=ms", headers=FORM)
    assert chosen.status_code == 303
    assert chosen.headers["location"] == "/dashboard"
    cookie = chosen.headers["set-cookie"]
    assert cookie.startswith("lindung_operations_language=ms")
    assert "Path=/dashboard" in cookie
    assert "HttpOnly" in cookie

    signed_out = await http.get("/dashboard/signed-out")
    assert '<html lang="ms">' in signed_out.text
    assert "Anda telah log keluar." in signed_out.text
    unknown = await http.post("/dashboard/language", content=b"language=fr", headers=FORM)
    assert unknown.status_code == 303
    assert "set-cookie" not in unknown.headers
