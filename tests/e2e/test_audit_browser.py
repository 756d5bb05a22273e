"""Operations people read the read audit at the desk in a real Chromium, signed in at Keycloak.

Against the four services, the broker, PostgreSQL and Keycloak: an agency reads a case it
reported and tries one that does not exist; an operations officer signs in and finds both
reads, in English on a laptop and in Malay on a 360 px phone. axe-core finds no serious
or critical violation; nothing scrolls sideways; screenshots are kept.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from lindung_devstack.world import Behaviour

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


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


async def test_an_operations_officer_reads_the_audit_in_english_and_in_malay(
    start_system, keycloak, people
):
    services, _, keys = await start_system(accept_all, intake=keycloak.intake_settings())
    url = services["intake"].url
    case_id, unknown = await _reads(url, next(iter(keys.agencies.values())))

    laptop = await people("operations", "en", "audit-en-laptop")
    assert await laptop.open(f"{url}/desk/audit")  # not signed in yet: at Keycloak first
    assert laptop.page.url == f"{url}/desk/audit"
    cards = laptop.page.locator("ul.audit li")
    newest, before = cards.nth(0), cards.nth(1)
    assert await laptop.page.locator("h1").inner_text() == "Read audit"
    assert unknown in await newest.inner_text()
    assert "Refused" in await newest.inner_text()
    assert await newest.get_attribute("class") == "card refused"
    assert case_id in await before.inner_text()
    assert "Shown" in await before.inner_text()
    await laptop.check("audit")

    phone = await people("operations", "ms", "audit-ms-phone")
    assert await phone.open(f"{url}/desk/audit")
    await phone.choose_language()
    assert phone.page.url == f"{url}/desk/audit"
    assert await phone.page.locator("h1").inner_text() == "Audit bacaan"
    assert "Ditolak" in await phone.page.locator("ul.audit li").first.inner_text()
    await phone.check("audit")
