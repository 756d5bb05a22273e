"""The operations dashboard in a real Chromium, against a running sla-monitor worker.

Referrals reach the worker as the router sends them (on Kafka); the page is read as an
operations officer would: signed in at the real Keycloak, on a laptop and on a 360 px
phone, refreshing on its own, then signed out. axe-core finds no serious or critical
violation. Screenshots are kept in `test-artifacts/` (or `$LINDUNG_TEST_ARTIFACTS`).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from axe_playwright_python.async_playwright import Axe
from lindung_common.keys import hash_key
from lindung_contracts import (
    ChildSummary,
    Envelope,
    EscalationStep,
    MalaysianState,
    RecipientRole,
    ReferralAccepted,
    ReferralRequested,
    ServiceType,
    StepKind,
    encode,
)
from playwright.async_api import async_playwright

pytestmark = pytest.mark.integration

SECRET = "browser-test-secret-0123456789abcdef"
KEY = "lk_operations-browser-test-key"  # the JSON API's, for machines
OPERATIONS = "operations"  # the realm's operations person
ARTIFACTS = Path(
    os.environ.get("LINDUNG_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
)
REFRESH_SECONDS = 5


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _requested(now, *, hours_ago, window_hours, service, provider, agency, state):
    start = now - timedelta(hours=hours_ago)
    due = start + timedelta(hours=window_hours)
    ladder = ((StepKind.WARNING, 0, 50, RecipientRole.PROVIDER),
              (StepKind.ESCALATION, 1, 100, RecipientRole.CASE_COORDINATOR),
              (StepKind.ESCALATION, 2, 150, RecipientRole.SUPERVISOR))  # fmt: skip
    return ReferralRequested(
        referral_id=uuid.uuid4(),
        case_id=uuid.uuid4(),
        agency_id=agency,
        service=service,
        provider_id=provider,
        attempt=1,
        urgent=False,
        reasons=("every identified child",),
        requested_at=start,
        due_at=due,
        escalation=tuple(
            EscalationStep(
                kind=k,
                level=lvl,
                percent_of_window=p,
                notify=who,
                at=start + (due - start) * p / 100,
            )
            for k, lvl, p, who in ladder
        ),
        policy_version="browser-1",
        child=ChildSummary(age_years=None, age_disputed=False, gender="unknown", languages=()),
        state=state,
    )


def _accepted(request: ReferralRequested, at: datetime) -> ReferralAccepted:
    return ReferralAccepted(
        referral_id=request.referral_id,
        case_id=request.case_id,
        provider_id=request.provider_id,
        service=request.service,
        at=at,
    )


async def _publish(stack, *payloads) -> None:
    producer = AIOKafkaProducer(**stack.kafka())
    await producer.start()
    try:
        for payload in payloads:
            envelope = Envelope.wrap(
                payload, event_id=uuid.uuid4(), time=datetime.now(UTC), source="/lindung/router"
            )
            record = encode(envelope)
            await producer.send_and_wait(record.topic, record.value, key=record.key,
                                         headers=list(record.headers))  # fmt: skip
    finally:
        await producer.stop()


@pytest.fixture
async def worker(stack, schema, tmp_path, keycloak):
    """A real `python -m lindung_sla_monitor` with the dashboard on, on its own schema."""
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"keys": [
        {"key_id": "k_ops-browser", "hmac_sha256": hash_key(KEY, SECRET.encode()),
         "kind": "operations", "id": "ops-desk"}]}))  # fmt: skip
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SLA_MONITOR_")},
        **stack.service_env("sla-monitor"),
        "SLA_MONITOR_DATABASE_URL": stack.database_url_for("sla-monitor", schema),
        "SLA_MONITOR_DB_SCHEMA": schema,
        "SLA_MONITOR_HTTP_PORT": str(port),
        "SLA_MONITOR_TICK_SECONDS": "0.5",
        "SLA_MONITOR_API_KEYS_FILE": str(keys),
        "SLA_MONITOR_KEY_SECRET": SECRET,
        "SLA_MONITOR_DASHBOARD_REFRESH_SECONDS": str(REFRESH_SECONDS),
        **keycloak.dashboard_env(f"http://127.0.0.1:{port}/dashboard"),
    }
    log_path = tmp_path / "sla-monitor.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(  # noqa: ASYNC220 - a long-lived child, stopped below
            [sys.executable, "-m", "lindung_sla_monitor"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            yield f"http://127.0.0.1:{port}", process, log_path
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(process.wait, 60)
            except subprocess.TimeoutExpired:
                process.kill()
                await asyncio.to_thread(process.wait)


async def _until_listed(url: str, process, log_path: Path, ids: set[str], accepted: int) -> None:
    """Until the worker has taken in every seeded referral (on Kafka, so not at once)."""
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=5) as http:
        async with asyncio.timeout(120):
            while True:
                assert process.poll() is None, log_path.read_text()[-4000:]  # noqa: ASYNC240
                try:
                    listed = (await http.get("/dashboard/api/open?limit=1000")).json()
                    summary = (await http.get("/dashboard/api/summary?last=24h")).json()
                except (httpx.HTTPError, ValueError):
                    listed, summary = {}, {}
                seen = {r["referral_id"] for r in listed.get("referrals", [])}
                totals = summary.get("totals", {})
                if ids <= seen and totals.get("on_time", 0) + totals.get("late", 0) >= accepted:
                    return
                await asyncio.sleep(0.5)


async def test_an_operations_officer_sees_the_late_referral_on_top_on_a_laptop_and_a_phone(
    stack, worker, keycloak
):
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is needed (make browser installs it)"
    url, process, log_path = worker
    now = datetime.now(UTC)
    kl, sel = MalaysianState.KUALA_LUMPUR, MalaysianState.SELANGOR
    # Later than anything other tests may have left on REFERRALS for this worker's group
    # to take in: so it is on the first page whatever else is open.
    late = _requested(now, hours_ago=800 * 24, window_hours=4, service=ServiceType.HEALTH,
                      provider="clinic-kl-1", agency="pdrm-kl", state=kl)  # fmt: skip
    ahead = _requested(now, hours_ago=1, window_hours=4, service=ServiceType.SAFE_SHELTER,
                       provider="shelter-kl-1", agency="pdrm-kl", state=kl)  # fmt: skip
    on_time = _requested(now, hours_ago=6, window_hours=4, service=ServiceType.SAFE_SHELTER,
                         provider="shelter-kl-2", agency="jkm-selangor", state=sel)  # fmt: skip
    too_late = _requested(now, hours_ago=9, window_hours=4, service=ServiceType.LEGAL_AID,
                          provider="legal-sel-1", agency="jkm-selangor", state=sel)  # fmt: skip
    await _publish(stack, late, ahead, on_time, too_late,
                   _accepted(on_time, now - timedelta(hours=5)),
                   _accepted(too_late, now - timedelta(hours=3)))  # fmt: skip
    await _until_listed(url, process, log_path,
                        {str(late.referral_id), str(ahead.referral_id)}, accepted=2)  # fmt: skip
    ARTIFACTS.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240

    errors: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            password = keycloak.passwords[OPERATIONS]
            await _on_a_laptop(browser, url, late, errors, stack, password)
            await _on_a_phone(browser, url, errors, password)
            await _in_malay_on_a_phone(browser, url, errors, password)
        finally:
            await browser.close()

    assert (ARTIFACTS / "dashboard-laptop.png").stat().st_size > 10_000
    assert (ARTIFACTS / "dashboard-phone.png").stat().st_size > 10_000
    assert (ARTIFACTS / "dashboard-phone-ms.png").stat().st_size > 10_000


async def _sign_in(page, url: str, path: str, password: str) -> None:
    """Open the dashboard: Keycloak asks who we are, then sends us back to the page asked for."""
    await page.goto(f"{url}{path}")
    assert "/realms/lindung/" in page.url  # not signed in yet: at the identity provider
    await page.fill("#username", OPERATIONS)
    await page.fill("#password", password)
    await page.click("#kc-login")
    await page.wait_for_url(f"{url}{path}")
    await page.wait_for_selector("main[data-dashboard]")


async def _accessible(page, what: str) -> None:
    """axe-core finds no serious or critical violation; nothing scrolls sideways."""
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


async def _on_a_laptop(
    browser, url: str, late: ReferralRequested, errors: list[str], stack, password: str
):
    laptop = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await laptop.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    await _sign_in(page, url, "/dashboard?last=24h", password)
    await _accessible(page, "the dashboard on a laptop")

    rows = page.locator("#open-referrals tbody tr")
    assert await rows.first.get_attribute("data-referral") == str(late.referral_id)
    assert await rows.first.get_attribute("class") == "late"
    lefts = [int(v) for v in await rows.evaluate_all("rs => rs.map(r => r.dataset.secondsLeft)")]
    assert lefts == sorted(lefts), "open referrals are not by time left"
    mine = page.locator(f'tr[data-referral="{late.referral_id}"]')
    assert await mine.get_attribute("class") == "late"
    assert (await mine.inner_text()).startswith("late 799 d 20 h")  # due 800 days less 4 h ago
    charts = page.locator("svg.chart")
    assert await charts.count() == 4
    for i in range(4):
        box = await charts.nth(i).bounding_box()
        assert box is not None
        assert box["width"] > 200
        assert box["height"] > 30
    drawn = await page.locator("svg.chart rect.bar").evaluate_all(
        "bars => bars.filter(b => b.getBBox().width > 0).length"
    )
    assert drawn >= 3  # on time by service, the trend, time to acceptance
    await page.screenshot(path=ARTIFACTS / "dashboard-laptop.png", full_page=True)

    # It refreshes on its own: once the late referral is accepted, it leaves the list
    # without anyone reloading the page.
    await _publish(stack, _accepted(late, datetime.now(UTC)))
    await mine.wait_for(state="detached", timeout=(REFRESH_SECONDS * 4 + 30) * 1000)
    assert page.url.endswith("/dashboard?last=24h")

    # Signing out (in another tab) ends the session here and at Keycloak: the first tab's
    # next refresh finds it over and goes to Keycloak's sign-in, as does any page opened.
    other = await laptop.new_page()
    await other.goto(f"{url}/dashboard")
    await other.click("form.out button")
    await other.wait_for_url(f"{url}/dashboard/signed-out")
    await _accessible(other, "signed out")
    await page.wait_for_url("**/realms/lindung/**", timeout=(REFRESH_SECONDS * 4 + 30) * 1000)
    assert await page.locator("#kc-login").count() == 1
    await other.goto(f"{url}/dashboard")
    assert "/realms/lindung/" in other.url
    assert errors == []


async def _on_a_phone(browser, url: str, errors: list[str], password: str) -> None:
    phone = await browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
        device_scale_factor=2,
    )  # fmt: skip
    page = await phone.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    await _sign_in(page, url, "/dashboard", password)
    # Nothing makes the whole page scroll sideways: wide tables scroll in their own box.
    await _accessible(page, "the dashboard on a phone")
    assert await page.locator("svg.chart").count() == 4
    await page.screenshot(path=ARTIFACTS / "dashboard-phone.png", full_page=True)
    assert errors == []


async def _in_malay_on_a_phone(browser, url: str, errors: list[str], password: str) -> None:
    """A phone whose browser asks for Malay: the page is in Malay, and the choice is kept."""
    phone = await browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
        device_scale_factor=2, locale="ms-MY",
    )  # fmt: skip
    page = await phone.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    await _sign_in(page, url, "/dashboard", password)
    assert await page.get_attribute("html", "lang") == "ms"
    assert await page.locator("form.out button").inner_text() == "Log keluar"
    assert await page.locator("#on-time-rate").inner_text() != ""
    assert "tepat pada masanya" in await page.locator("#on-time-rate").inner_text()
    await _accessible(page, "the dashboard in Malay on a phone")
    assert await page.locator("svg.chart").count() == 4
    await page.screenshot(path=ARTIFACTS / "dashboard-phone-ms.png", full_page=True)

    # The switch on the page takes the person to English and back, and the session keeps it.
    await page.select_option("#language", "en")
    await page.click("form.lang button")
    await page.wait_for_selector('html[lang="en"]')
    assert await page.locator("form.out button").inner_text() == "Sign out"
    await page.select_option("#language", "ms")
    await page.click("form.lang button")
    await page.wait_for_selector('html[lang="ms"]')
    await page.reload()
    assert await page.get_attribute("html", "lang") == "ms"
    await page.locator("form.out button").click()
    await page.wait_for_url(f"{url}/dashboard/signed-out")
    assert await page.get_attribute("html", "lang") == "ms"
    await _accessible(page, "signed out, in Malay")
    assert errors == []
