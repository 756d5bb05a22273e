"""Operations people read the read audit at the desk in a real Chromium, signed in at Keycloak.

Against the four services, the broker, PostgreSQL and Keycloak: an agency reads a case it
reported and tries one that does not exist; an operations officer signs in and finds both
reads, in English on a laptop and in Malay on a 360 px phone. axe-core finds no serious
or critical violation; nothing scrolls sideways; screenshots are kept.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from axe_playwright_python.async_playwright import Axe
from lindung_devstack.world import Behaviour
from playwright.async_api import async_playwright

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

ARTIFACTS = Path(
    os.environ.get("LINDUNG_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
)
LAPTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def accept_all(_: dict) -> Behaviour:
    return Behaviour("accept", 0.0)


async def _reads(intake: str, key: str) -> tuple[str, str]:
    """A case reported and read by its agency, and a read of a case that does not exist."""
    body = {
        "agency_reference": f"E2E-AUDIT-{time.time_ns()}",
        "identified_at": datetime.now(UTC).isoformat(),
        "child": {"age_years": 15, "gender": "male", "nationality_status": "undocumented",
                  "languages": ["en"]},
        "situation": {"location": "community", "state": "selangor",
                      "indicators": ["forced_labour"]},
    }  # fmt: skip
    bearer = {"Authorization": f"Bearer {key}"}
    unknown = str(uuid.uuid4())
    async with httpx.AsyncClient(base_url=intake, headers=bearer) as http:
        opened = await http.post("/v1/identifications", json=body)
        assert opened.status_code == 202, opened.text
        case_id = opened.json()["case_id"]
        assert (await http.get(f"/v1/cases/{case_id}")).status_code == 200
        assert (await http.get(f"/v1/cases/{unknown}")).status_code == 404
    return case_id, unknown


async def _check(page, what: str) -> None:
    results = await Axe().run(page)
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
    assert not bad, f"{what}: {bad}"
    sideways = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert sideways <= 0, f"{what}: scrolls {sideways} px sideways"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240
    await page.screenshot(path=ARTIFACTS / f"desk-audit-{what}.png", full_page=True)


async def _signed_in(browser, screen: dict, url: str, password: str):
    context = await browser.new_context(**screen, locale="en-GB")
    page = await context.new_page()
    await page.goto(f"{url}/desk/audit")
    assert "/realms/lindung/" in page.url  # not signed in yet: at the identity provider
    await page.fill("#username", "operations")
    await page.fill("#password", password)
    await page.click("#kc-login")
    await page.wait_for_url(f"{url}/desk/audit")
    return page


async def test_an_operations_officer_reads_the_audit_in_english_and_in_malay(
    start_system, keycloak
):
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is needed (make browser installs it)"
    services, _, keys = await start_system(accept_all, intake=keycloak.intake_settings())
    url = services["intake"].url
    case_id, unknown = await _reads(url, next(iter(keys.agencies.values())))
    password = keycloak.passwords["operations"]

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            laptop = await _signed_in(browser, LAPTOP, url, password)
            cards = laptop.locator("ul.audit li")
            newest, before = cards.nth(0), cards.nth(1)
            assert await laptop.locator("h1").inner_text() == "Read audit"
            assert unknown in await newest.inner_text()
            assert "Refused" in await newest.inner_text()
            assert await newest.get_attribute("class") == "card refused"
            assert case_id in await before.inner_text()
            assert "Shown" in await before.inner_text()
            await _check(laptop, "en-laptop")

            phone = await _signed_in(browser, PHONE, url, password)
            await phone.select_option("#language", "ms")
            await phone.click("form[action$='/language'] button")
            await phone.wait_for_url(f"{url}/desk/audit")
            assert await phone.get_attribute("html", "lang") == "ms"
            assert await phone.locator("h1").inner_text() == "Audit bacaan"
            assert "Ditolak" in await phone.locator("ul.audit li").first.inner_text()
            await _check(phone, "ms-phone")
        finally:
            await browser.close()
