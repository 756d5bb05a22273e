"""Live capacity against the whole system: a full shelter is skipped until it frees a bed.

A shelter worker says at the desk (Debian's Chromium, signed in at the run's Keycloak)
that the shelter is full; the router skips it for the next child, naming it passed over
"at capacity", and asks the next shelter. The worker frees a bed; the next child's
referral goes to it again. A figure that cannot be is refused on the page, in Malay on a
phone, and nothing reaches the router.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lindung_contracts import (
    REFERRALS,
    CapacityCause,
    CapacityChanged,
    PassedOver,
    PassedOverCode,
    ReferralRequested,
    ServiceType,
)
from lindung_devstack.world import Behaviour

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

HERE = Path(__file__).parent
FIRST, NEXT = "shelter-sel-1", "shelter-sel-2"  # in Selangor, asked in this order


def behaviour(referral: dict[str, Any]) -> Behaviour:
    """Shelters are people at the desk; every other provider's system accepts at once."""
    if referral["service"] == "safe_shelter":
        return Behaviour("ignore")
    return Behaviour("accept", 0.0)


@pytest.fixture(scope="module")
async def system(four_services, keycloak, tmp_path_factory):
    """The four services, intake's desk signed in at the run's Keycloak."""
    workdir = tmp_path_factory.mktemp("capacity")
    async with four_services(
        workdir, behaviour, policy=HERE / "desk-policy.toml", intake=keycloak.intake_settings()
    ) as running:
        yield running


def _body() -> dict[str, Any]:
    return {
        "agency_reference": f"E2E-CAPACITY-{time.time_ns()}",
        "identified_at": datetime.now(UTC).isoformat(),
        "child": {"age_years": 13, "gender": "male", "nationality_status": "citizen",
                  "languages": ["ms"]},
        "situation": {"location": "community", "state": "selangor",
                      "indicators": ["forced_labour"]},
    }  # fmt: skip


async def _shelter_asked(topic, case_id: str) -> ReferralRequested:
    return await topic.first(
        lambda e: (
            isinstance(e, ReferralRequested)
            and str(e.case_id) == case_id
            and e.service is ServiceType.SAFE_SHELTER
        )
    )


async def _figure(topic, available: int) -> CapacityChanged:
    return await topic.first(
        lambda e: (
            isinstance(e, CapacityChanged)
            and e.provider_id == FIRST
            and e.service is ServiceType.SAFE_SHELTER
            and e.available == available
        )
    )


async def test_a_full_shelter_is_skipped_and_gets_the_next_child_once_it_frees_a_bed(
    identify, system, people, from_now
):
    services, _, keys = system
    desk = f"{services['intake'].url}/desk"
    topic = await from_now(REFERRALS)
    worker = await people(FIRST, "en", "capacity-en")
    await worker.open(f"{desk}/capacity")
    page = worker.page
    assert "Not set yet." in await page.inner_text("#last-safe_shelter")
    await worker.check("places-free")

    await page.select_option("#unit-safe_shelter", "beds")
    await page.fill("#available-safe_shelter", "0")
    await page.fill("#maximum-safe_shelter", "6")
    text = await worker.press("#capacity-safe_shelter")
    assert "Safe shelter: Saved. New referrals follow it." in text
    assert "0 of 6 beds" in await page.inner_text("#last-safe_shelter")
    await worker.check("full")
    full = await _figure(topic, 0)
    assert (full.cause, full.maximum) == (CapacityCause.REPORTED, 6)
    assert "selangor" in full.states  # from the router's directory

    skipped = await _shelter_asked(topic, await identify(services, keys, _body()))
    assert skipped.provider_id == NEXT
    assert PassedOver(provider_id=FIRST, reason=PassedOverCode.AT_CAPACITY) in skipped.passed_over

    await page.fill("#available-safe_shelter", "1")
    await worker.press("#capacity-safe_shelter")
    assert "1 of 6 beds" in await page.inner_text("#last-safe_shelter")
    await _figure(topic, 1)

    asked = await _shelter_asked(topic, await identify(services, keys, _body()))
    assert asked.provider_id == FIRST
    assert asked.passed_over == ()


async def test_a_figure_that_cannot_be_is_refused_on_the_page_and_goes_nowhere(
    system, people, from_now
):
    services, _, _ = system
    desk = f"{services['intake'].url}/desk"
    topic = await from_now(REFERRALS)
    worker = await people(NEXT, "ms", "capacity-ms")
    await worker.open(f"{desk}/capacity")
    await worker.choose_language()
    page = worker.page
    assert "Tempat kosong" in await page.inner_text("h1")
    await page.fill("#available-safe_shelter", "5")
    await page.fill("#maximum-safe_shelter", "3")
    response_status = []
    page.on(
        "response", lambda r: response_status.append(r.status) if "/capacity/" in r.url else None
    )
    text = await worker.press("#capacity-safe_shelter")

    assert "Kosong sekarang mesti nombor bulat dari 0, dan tidak melebihi" in text
    assert response_status == [422]
    assert await page.get_attribute("#available-safe_shelter", "aria-invalid") == "true"
    assert await page.input_value("#available-safe_shelter") == "5"  # as typed, to correct
    assert "Belum ditetapkan." in await page.inner_text("#last-safe_shelter")
    await worker.check("refused")
    await topic.read()
    assert not [e for e in topic.seen if isinstance(e, CapacityChanged)]
