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

import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from lindung_contracts import REFERRALS, CapacityChanged, ReferralAccepted
from lindung_devstack.world import Behaviour

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

HERE = Path(__file__).parent
AGENCY = "pdrm-selangor"
FIRST, NEXT = "shelter-sel-1", "shelter-sel-2"
REQUESTED = "org.lindung.referral.requested.v1"
WORDS = {
    "en": {"accept": "Accept", "decline": "Decline", "accepted": "You accepted the referral.",
           "declined": "You declined the referral.", "change": "Change",
           "not_found": "There is no referral here for you.", "nothing": "Nothing is shared",
           "refused": "Nothing was done.", "places": "Places free",
           "saved": "Safe shelter: Saved. New referrals follow it."},
    "ms": {"accept": "Terima", "decline": "Tolak", "accepted": "Anda telah menerima rujukan ini.",
           "declined": "Anda telah menolak rujukan ini.", "change": "Tukar",
           "not_found": "Tiada rujukan di sini untuk anda.", "nothing": "Tiada apa dikongsi",
           "refused": "Tiada apa yang dilakukan.", "places": "Tempat kosong",
           "saved": "Tempat perlindungan selamat: Disimpan. Rujukan baharu mengikutinya."},
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


def _body(consent: list[str]) -> dict[str, Any]:
    """An identification the agency reports, with its consent."""
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
    return body


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


@pytest.mark.parametrize("language", ["en", "ms"])
async def test_a_shelter_worker_accepts_from_the_link_and_the_router_hears_it(
    identify, system, people, from_now, eventually, language
):
    services, standin, keys = system
    words = WORDS[language]
    desk = f"{services['intake'].url}/desk"
    case_id = await identify(services, keys, _body(["shelter"]))
    referral = await _shelter_referral(standin, eventually, case_id, FIRST)
    topic = await from_now(REFERRALS)
    worker = await people(FIRST, language, f"accept-{language}")
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
    accepted = await topic.first(
        lambda e: isinstance(e, ReferralAccepted) and str(e.referral_id) == referral["referral_id"],
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


@pytest.mark.parametrize("language", ["en", "ms"])
async def test_declined_at_capacity_the_referral_goes_to_the_next_shelter(
    identify, system, people, eventually, from_now, language
):
    services, standin, keys = system
    words = WORDS[language]
    desk = f"{services['intake'].url}/desk"
    case_id = await identify(services, keys, _body([]))
    referral = await _shelter_referral(standin, eventually, case_id, FIRST)
    worker = await people(FIRST, language, f"decline-{language}")
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

    # Full now, as the router counts it, until the shelter says a bed is free again: from
    # its inbox, on "Places free" (the next tests of this module ask it first again).
    topic = await from_now(REFERRALS)
    await page.goto(f"{desk}/")
    await page.click("#capacity-link")
    await page.wait_for_load_state()
    assert words["places"] in await page.inner_text("h1")
    await page.fill("#available-safe_shelter", "2")
    text = await worker.press("#capacity-safe_shelter")
    assert words["saved"] in text
    await worker.check("places-free")
    freed = await topic.first(
        lambda e: isinstance(e, CapacityChanged) and e.provider_id == FIRST and e.available == 2
    )
    assert freed.service.value == "safe_shelter"


async def test_another_shelter_gets_the_same_not_found_as_for_an_unknown_id_and_is_audited(
    identify, system, people, eventually, stack
):
    services, standin, keys = system
    desk = f"{services['intake'].url}/desk"
    case_id = await identify(services, keys, _body(["shelter"]))
    referral = await _shelter_referral(standin, eventually, case_id, FIRST)
    other = await people(NEXT, "ms", "other-shelter")
    await other.open(f"{desk}/referrals/{referral['referral_id']}")
    await other.choose_language()
    theirs = await other.page.inner_text("main")
    await other.check("not-found")
    await other.page.goto(f"{desk}/referrals/00000000-0000-4000-8000-000000000000")
    unknown = await other.page.inner_text("main")
    assert theirs == unknown
    assert WORDS["ms"]["not_found"] in theirs
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


async def test_a_coordinator_signs_in_to_the_alert_queue(system, people):
    services, _, _ = system
    coordinator = await people("coordinator-sel", "en", "coordinator")
    await coordinator.open(f"{services['intake'].url}/desk/")
    text = await coordinator.page.inner_text("main")
    assert "Alerts of the states you cover: Kuala Lumpur, Selangor" in text
    await coordinator.check("queue")
