"""The desk's "Places free" over HTTP, signed in at the real Keycloak: forms, CSRF, refusals."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from lindung_contracts import PROVIDER_RESPONSES, CapacityReported, ServiceType

if TYPE_CHECKING:
    import httpx

pytestmark = pytest.mark.integration

SHELTER = "shelter-sel-1"
DESK = "http://127.0.0.1:8080/desk"


@pytest.fixture
def settings_overrides(keycloak) -> dict[str, Any]:
    return keycloak.intake_settings(DESK) | {"desk_idle_minutes": 30, "desk_max_hours": 10}


def _csrf(page: httpx.Response) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page.text)[1]


async def _reports(outbox) -> list[CapacityReported]:
    return [
        r["event"].data
        for r in await outbox()
        if r["topic"] == PROVIDER_RESPONSES.name and isinstance(r["event"].data, CapacityReported)
    ]


async def test_a_shelter_worker_sets_free_beds_for_the_service_it_is_referred_for(
    person_at, client, wired, referral_requested, outbox
):
    # Referred for shelter once: that form comes first, every other service folded away.
    envelope = referral_requested(provider_id=SHELTER, case_id=uuid.uuid4())
    assert envelope.data.service is ServiceType.SAFE_SHELTER
    await wired.runtime.deliver(envelope, consumer="intake")
    page = await person_at(client).sign_in(SHELTER, "/desk/capacity")
    assert page.status_code == 200, page.text
    before_others, others = page.text.split('<details class="others"', 1)
    assert 'id="capacity-safe_shelter"' in before_others
    assert 'id="capacity-health"' in others
    assert 'id="capacity-safe_shelter"' not in others

    missing = await client.post("/desk/capacity/safe_shelter", data={"unit": "beds",
                                                                     "available": "1"})  # fmt: skip
    assert missing.status_code == 403
    wrong = await client.post(
        "/desk/capacity/safe_shelter",
        data={"csrf": _csrf(page), "unit": "beds", "available": "4", "maximum": "3"},
    )
    assert wrong.status_code == 422
    assert "Free now must be a whole number from 0, and not more than in all." in wrong.text
    for typed in ("-1", "1.5", "two", "\u0661"):  # not a count as a form sends one
        refused = await client.post(
            "/desk/capacity/safe_shelter",
            data={"csrf": _csrf(page), "unit": "beds", "available": typed},
        )
        assert refused.status_code == 422, typed
    assert await _reports(outbox) == []

    saved = await client.post(
        "/desk/capacity/safe_shelter",
        data={"csrf": _csrf(page), "unit": "beds", "available": "2", "maximum": "8"},
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/desk/capacity?done=safe_shelter"
    (report,) = await _reports(outbox)
    assert (report.provider_id, report.available, report.maximum) == (SHELTER, 2, 8)
    assert report.reported_by == SHELTER  # the person's user name, an id
    shown = await client.get("/desk/capacity?done=safe_shelter")
    assert "Safe shelter: Saved. New referrals follow it." in shown.text
    assert "<strong>2</strong> of 8 beds" in shown.text
