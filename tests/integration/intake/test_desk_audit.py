"""The read audit at the desk, for operations people signed in at the real Keycloak.

Intake runs in-process on the real PostgreSQL; reads are made through the API as agencies
and providers make them, and the page is compared with what `GET /v1/audit` gives an
operations key.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from lindung_contracts import ServiceType

pytestmark = pytest.mark.integration

CONSENT = {"categories": ["shelter"], "given_by": "child"}


@pytest.fixture
def settings_overrides(keycloak) -> dict[str, Any]:
    return keycloak.intake_settings("http://127.0.0.1:8080/desk")


async def _referral(client, callers, wired, identification, referral_requested):
    opened = await client.post(
        "/v1/identifications", json=identification(consent=CONSENT), headers=callers.agency
    )
    assert opened.status_code == 202, opened.text
    case_id = uuid.UUID(opened.json()["case_id"])
    envelope = referral_requested(provider_id="shelter-kl-1", case_id=case_id)
    payload = envelope.data.model_copy(update={"service": ServiceType.SAFE_SHELTER})
    await wired.runtime.deliver(envelope.model_copy(update={"data": payload}), consumer="intake")
    return case_id, payload.referral_id


def _cards(page) -> list[str]:
    return re.findall(r'<li class="card (shown|refused)">', page.text)


async def test_operations_read_the_audit_at_the_desk_as_the_api_gives_it(
    client, callers, wired, identification, referral_requested, person_at
):
    _, referral_id = await _referral(client, callers, wired, identification, referral_requested)
    shown = await client.get(f"/v1/referrals/{referral_id}", headers=callers.provider)
    refused = await client.get(f"/v1/referrals/{referral_id}", headers=callers.other_provider)
    assert (shown.status_code, refused.status_code) == (200, 404)
    by_key = (await client.get("/v1/audit", headers=callers.operations)).json()["reads"]

    page = await person_at(client).sign_in("operations", "/desk/audit")

    assert page.status_code == 200, page.text
    assert '<html lang="en">' in page.text
    assert "<h1>Read audit</h1>" in page.text
    assert _cards(page) == ["shown" if r["shown"] else "refused" for r in by_key]
    main = re.search(r"<main.*</main>", page.text, re.DOTALL)[0]
    for read in by_key:
        assert read["reader_id"] in main
        assert read["resource_id"] in main
    first, second = re.findall(r'<li class="card.*?</li>', main, re.DOTALL)[:2]
    assert "shelter-kl-2" in first  # newest first: the refused read
    assert "Refused" in first
    assert "API key" in first
    assert "shelter-kl-1" in second
    assert "Shown" in second
    assert all(f in second for f in by_key[1]["fields"])


async def test_the_audit_pages_fifty_reads_at_a_time_in_malay_too(
    client, callers, wired, identification, referral_requested, person_at
):
    _, referral_id = await _referral(client, callers, wired, identification, referral_requested)
    for _ in range(55):
        read = await client.get(f"/v1/referrals/{referral_id}", headers=callers.provider)
        assert read.status_code == 200
    person = person_at(client)
    first = await person.sign_in("operations", "/desk/audit")
    csrf = re.search(r'name="csrf" value="([^"]+)"', first.text)[1]
    chosen = await client.post(
        "/desk/language",
        data={"csrf": csrf, "language": "ms", "next": "/desk/audit?page=2"},
    )
    second = await client.get(chosen.headers["location"])

    assert len(_cards(first)) == 50
    assert 'href="/desk/audit?page=2" rel="next">Older reads' in first.text
    assert 'rel="prev"' not in first.text
    assert second.status_code == 200
    assert '<html lang="ms">' in second.text
    assert "Audit bacaan" in second.text
    assert len(_cards(second)) == 5
    assert 'href="/desk/audit" rel="prev">Bacaan lebih baharu' in second.text
    assert 'rel="next"' not in second.text


async def test_operations_land_on_the_audit_from_the_desk_s_front_page(client, person_at):
    page = await person_at(client).sign_in("operations", "/desk/")

    assert page.status_code == 303
    assert page.headers["location"] == "/desk/audit"


async def test_the_audit_is_for_operations_only(client, person_at):
    nobody = await client.get("/desk/audit")
    assert nobody.status_code == 303
    assert nobody.headers["location"].startswith("/desk/sign-in")

    shelter = await person_at(client).sign_in("shelter-sel-1", "/desk/audit")

    assert shelter.status_code == 404
    assert "Read audit" not in shelter.text
