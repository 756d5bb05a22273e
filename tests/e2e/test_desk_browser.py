"""The desk in Debian's Chromium, as shelter workers use it, against the whole system.

The four services run as processes on the run's broker and PostgreSQL, intake with its
desk signed in at the run's Keycloak. A worker opens the referral's link, signs in on
Keycloak's own page, reads what consent allows, accepts (`ReferralAccepted` on Kafka) or
declines "at capacity" (the referral goes to the next shelter); another shelter's worker
gets the same not-found as for an unknown id, audited; a form posted without its CSRF
token is refused. In English on a laptop and in Malay on a 360 px phone; axe-core on
every desk page; screenshots in `test-artifacts/` (or `$LINDUNG_TEST_ARTIFACTS`).
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from axe_playwright_python.async_playwright import Axe
from lindung_contracts import REFERRALS, ReferralAccepted, decode
from lindung_devstack.world import Behaviour
from playwright.async_api import async_playwright

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

HERE = Path(__file__).parent
ARTIFACTS = Path(
    os.environ.get("LINDUNG_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
)
AGENCY = "pdrm-selangor"
FIRST, NEXT = "shelter-sel-1", "shelter-sel-2"
REQUESTED = "org.lindung.referral.requested.v1"
LAPTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
WORDS = {
    "en": {"accept": "Accept", "decline": "Decline", "accepted": "You accepted the referral.",
           "declined": "You declined the referral.", "change": "Change",
           "not_found": "There is no referral here for you.", "nothing": "Nothing is shared",
           "refused": "Nothing was done."},
    "ms": {"accept": "Terima", "decline": "Tolak", "accepted": "Anda telah menerima rujukan ini.",
           "declined": "Anda telah menolak rujukan ini.", "change": "Tukar",
           "not_found": "Tiada rujukan di sini untuk anda.", "nothing": "Tiada apa dikongsi",
           "refused": "Tiada apa yang dilakukan."},
}  # fmt: skip


def behaviour(referral: dict[str, Any]) -> Behaviour:
    """Shelters are people at the desk; every other provider's system accepts at once."""
    if referral["service"] == "safe_shelter":
        return Behaviour("ignore")
    return Behaviour("accept", 0.0)


@pytest.fixture(scope="module")
async def system(four_services, keycloak, tmp_path_factory):
    """The four services, intake's desk signed in at the run's Keycloak."""
    workdir = tmp_path_factory.mktemp("desk")
    async with four_services(
        workdir, behaviour, policy=HERE / "desk-policy.toml", intake=keycloak.intake_settings()
    ) as running:
        yield running


@pytest.fixture(scope="module")
async def chromium():
    found = shutil.which("chromium")
    assert found, "Debian's chromium is needed (make browser installs it)"
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=found, args=["--no-sandbox"])
        yield browser
        await browser.close()


async def _identify(services, keys, *, consent: list[str]) -> str:
    body = {
        "agency_reference": f"E2E-DESK-{time.time_ns()}",
        "identified_at": datetime.now(UTC).isoformat(),
        "child": {"age_years": 14, "gender": "female", "nationality_status": "stateless",
                  "languages": ["ms"]},
        "situation": {"location": "community", "state": "selangor",
                      "indicators": ["forced_labour"]},
        "personal": {"name": "Nur Desktest", "whereabouts": "Rumah Desktest, Klang"},
    }  # fmt: skip
    if consent:
        body["consent"] = {"categories": consent, "given_by": "child"}
    async with httpx.AsyncClient(base_url=services["intake"].url) as client:
        response = await client.post(
            "/v1/identifications",
            json=body,
            headers={"Authorization": f"Bearer {keys.agencies[AGENCY]}"},
        )
    assert response.status_code == 202, response.text
    return str(response.json()["case_id"])


async def _shelter_referral(standin, eventually, case_id: str, provider: str) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        for received in standin.at(f"/providers/{provider}"):
            data: Any = received.event["data"]
            if received.event["type"] == REQUESTED and data["case_id"] == case_id:
                return dict(data)
        return None

    referral: dict[str, Any] = await eventually(
        found, timeout=60, what=f"the shelter referral at {provider}"
    )
    return referral


async def _referrals_topic(stack) -> AIOKafkaConsumer:
    """A reader of the referrals topic from its current end: only what comes after."""
    consumer = AIOKafkaConsumer(**stack.kafka(), enable_auto_commit=False)
    await consumer.start()
    partitions = [TopicPartition(REFERRALS.name, p) for p in range(REFERRALS.partitions)]
    consumer.assign(partitions)
    for partition, offset in (await consumer.end_offsets(partitions)).items():
        consumer.seek(partition, offset)
    return consumer


async def _next_on(consumer: AIOKafkaConsumer, wanted, timeout: float = 60) -> Any:
    """The first event on the topic that `wanted` says yes to."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batches = await consumer.getmany(timeout_ms=500)
        for records in batches.values():
            for record in records:
                event = decode(record.value).data
                if wanted(event):
                    return event
    raise AssertionError("the event did not come")


class Person:
    """One person in their own browser context (their own cookies, their own screen)."""

    def __init__(self, page: Page, name: str, language: str, tag: str, keycloak: Any) -> None:
        self.page, self.name, self.language, self.tag = page, name, language, tag
        self._keycloak = keycloak
        self.seen = 0

    async def open(self, url: str) -> None:
        """Open a desk page; sign in at Keycloak first if the desk sends us there."""
        await self.page.goto(url)
        if await self.page.locator("#kc-login").count():
            await self.page.fill("#username", self.name)
            await self.page.fill("#password", self._keycloak.passwords[self.name])
            await self.page.click("#kc-login")
            await self.page.wait_for_url(f"{url.split('/desk', maxsplit=1)[0]}/desk/**")

    async def choose_language(self) -> None:
        """Pick the person's language from the header's form (remembered from now on)."""
        await self.page.select_option("#language", self.language)
        await self.page.click("form[action$='/language'] button")
        await self.page.wait_for_load_state()
        assert await self.page.get_attribute("html", "lang") == self.language

    async def check(self, what: str) -> None:
        """Every desk page: axe-core finds nothing serious; nothing scrolls sideways."""
        assert await self.page.get_attribute("html", "lang") == self.language
        results = await Axe().run(self.page)
        bad = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in results.response["violations"]
            if v["impact"] in {"serious", "critical"}
        ]
        assert not bad, f"{what}: {bad}"
        sideways = await self.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert sideways <= 0, f"{what}: scrolls {sideways} px sideways"
        self.seen += 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240
        await self.page.screenshot(
            path=ARTIFACTS / f"desk-{self.tag}-{self.seen:02d}-{what}.png", full_page=True
        )


async def _person(browser: Browser, keycloak, name: str, language: str, tag: str) -> Person:
    screen = LAPTOP if language == "en" else PHONE
    context = await browser.new_context(**screen, locale="en-GB")
    return Person(await context.new_page(), name, language, tag, keycloak)


@pytest.mark.parametrize("language", ["en", "ms"])
async def test_a_shelter_worker_accepts_from_the_link_and_the_router_hears_it(
    system, chromium, keycloak, stack, eventually, language
):
    services, standin, keys = system
    words = WORDS[language]
    desk = f"{services['intake'].url}/desk"
    case_id = await _identify(services, keys, consent=["shelter"])
    referral = await _shelter_referral(standin, eventually, case_id, FIRST)
    topic = await _referrals_topic(stack)
    worker = await _person(chromium, keycloak, FIRST, language, f"accept-{language}")
    try:
        await worker.open(f"{desk}/referrals/{referral['referral_id']}")
        await worker.choose_language()
        page = worker.page
        text = await page.inner_text("main")
        # What consent allows a shelter: where the child is, not who the child is.
        assert "Rumah Desktest, Klang" in text
        assert "Nur Desktest" not in text
        assert "forced" not in text  # the indicators are not a shelter's business
        await worker.check("referral")

        # The accept form posted without its CSRF token: refused with a page, nothing done.
        await page.evaluate(
            "document.querySelector(\"form[action$='/accept'] input[name=csrf]\").remove()"
        )
        await page.click("form[action$='/accept'] button")
        await page.wait_for_load_state()
        assert words["refused"] in await page.inner_text("main")
        await worker.check("csrf-refused")
        await page.goto(f"{desk}/referrals/{referral['referral_id']}")
        assert await page.locator("form[action$='/accept'] button").count() == 1

        await page.click("form[action$='/accept'] button")
        await page.wait_for_load_state()
        assert words["accepted"] in await page.inner_text("main")
        accepted = await _next_on(
            topic,
            lambda e: (
                isinstance(e, ReferralAccepted) and str(e.referral_id) == referral["referral_id"]
            ),
        )
        assert accepted.provider_id == FIRST
        await worker.check("accepted")

        await page.goto(f"{desk}/")
        assert str(referral["referral_id"]) in await page.inner_html("main")
        await worker.check("inbox")

        # Nor a post from elsewhere, without the page's token.
        refused = await page.request.post(
            f"{desk}/referrals/{referral['referral_id']}/start", form={"note": "x"}
        )
        assert refused.status == 403
        await page.goto(f"{desk}/referrals/{referral['referral_id']}")
        assert await page.locator("form[action$='/start'] button").count() == 1

        await page.click("form[action$='/sign-out'] button")
        await page.wait_for_url("**/desk/signed-out")
        await worker.check("signed-out")
    finally:
        await topic.stop()
        await worker.page.context.close()


@pytest.mark.parametrize("language", ["en", "ms"])
async def test_declined_at_capacity_the_referral_goes_to_the_next_shelter(
    system, chromium, keycloak, eventually, language
):
    services, standin, keys = system
    words = WORDS[language]
    desk = f"{services['intake'].url}/desk"
    case_id = await _identify(services, keys, consent=[])
    referral = await _shelter_referral(standin, eventually, case_id, FIRST)
    worker = await _person(chromium, keycloak, FIRST, language, f"decline-{language}")
    try:
        await worker.open(f"{desk}/referrals/{referral['referral_id']}")
        await worker.choose_language()
        page = worker.page
        assert words["nothing"] in await page.inner_text("main")  # no consent: nothing
        await page.select_option("#reason", "at_capacity")
        await page.fill("#note", "Tiada katil kosong malam ini")
        await worker.check("decline-form")
        await page.click("form[action$='/decline'] button")
        await page.wait_for_load_state()
        assert words["declined"] in await page.inner_text("main")
        assert await page.locator("form[action$='/accept']").count() == 0

        rerouted = await _shelter_referral(standin, eventually, case_id, NEXT)
        assert rerouted["attempt"] == 2
        assert rerouted["referral_id"] != referral["referral_id"]
    finally:
        await worker.page.context.close()


async def test_another_shelter_gets_the_same_not_found_as_for_an_unknown_id_and_is_audited(
    system, chromium, keycloak, eventually, stack
):
    services, standin, keys = system
    desk = f"{services['intake'].url}/desk"
    case_id = await _identify(services, keys, consent=["shelter"])
    referral = await _shelter_referral(standin, eventually, case_id, FIRST)
    other = await _person(chromium, keycloak, NEXT, "ms", "other-shelter")
    try:
        await other.open(f"{desk}/referrals/{referral['referral_id']}")
        await other.choose_language()
        theirs = await other.page.inner_text("main")
        await other.check("not-found")
        await other.page.goto(f"{desk}/referrals/00000000-0000-4000-8000-000000000000")
        unknown = await other.page.inner_text("main")
        assert theirs == unknown
        assert WORDS["ms"]["not_found"] in theirs
    finally:
        await other.page.context.close()
    conn = await asyncpg.connect(stack.database_url)
    try:
        reads = await conn.fetch(
            "SELECT reader_id, reader_person, shown FROM intake.read_audit WHERE resource_id = $1",
            uuid.UUID(referral["referral_id"]),
        )
    finally:
        await conn.close()
    # Each look (before and after choosing the language) is there, none of them shown.
    assert len(reads) == 2
    assert {tuple(r.values()) for r in reads} == {(NEXT, NEXT, False)}


async def test_a_coordinator_signs_in_to_the_alert_queue(system, chromium, keycloak):
    services, _, _ = system
    coordinator = await _person(chromium, keycloak, "coordinator-sel", "en", "coordinator")
    try:
        await coordinator.open(f"{services['intake'].url}/desk/")
        text = await coordinator.page.inner_text("main")
        assert "Alerts of the states you cover: Kuala Lumpur, Selangor" in text
        await coordinator.check("queue")
    finally:
        await coordinator.page.context.close()
