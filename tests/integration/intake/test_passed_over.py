"""Why the router passed a better-ranked provider over, read back through intake's API.

Intake and the router run side by side on the real PostgreSQL (a schema each) and hand
each other the events they queue, as their consumers would: a case opened over HTTP is
routed, its shelter declines over HTTP, and the re-route names that shelter and why.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from lindung_common import Runtime
from lindung_contracts import (
    CaseOpened,
    Envelope,
    ProviderResponded,
    ReferralRequested,
    ServiceType,
    decode,
)
from lindung_router.bootstrap import build
from lindung_router.settings import DEFAULT_POLICY_FILE, RouterSettings

pytestmark = pytest.mark.integration

# Kuala Lumpur's shelters: the best-ranked speaks none of the child's languages (rhg, ms).
DIRECTORY = {
    "version": "reasons-1",
    "providers": [
        {"id": "shelter-kl-0", "name": "Shelter 0", "services": ["safe_shelter"],
         "states": ["kuala_lumpur"], "languages": ["en"], "priority": 0},
        {"id": "shelter-kl-1", "name": "Shelter 1", "services": ["safe_shelter"],
         "states": ["kuala_lumpur"], "languages": ["ms"], "priority": 1},
        {"id": "shelter-kl-2", "name": "Shelter 2", "services": ["safe_shelter"],
         "states": ["kuala_lumpur"], "languages": ["ms"], "priority": 2},
    ],
}  # fmt: skip


@pytest.fixture
async def router(stack, schema, tmp_path, clock):
    directory_file = tmp_path / "directory.json"
    directory_file.write_text(json.dumps(DIRECTORY))
    # One shelter at a time, so that each re-route names those passed over before it (an
    # urgent shelter offered to three at once leaves none of these three passed over).
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(
        DEFAULT_POLICY_FILE.read_text().replace("offer_to = 3\n", "offer_to = 1\n")
    )
    settings = RouterSettings(
        **stack.kafka_settings("router"),
        database_url=stack.database_url,
        directory_file=directory_file,
        policy_file=policy_file,
    )
    runtime = Runtime(build(settings, schema=f"{schema}_router", clock=clock))
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


async def _queued(runtime: Runtime, kind: type) -> list[Envelope[Any]]:
    """The events of one kind a service queued in its outbox, in order."""
    async with runtime.service.db.pool.acquire() as conn:
        rows = await conn.fetch("SELECT value FROM outbox ORDER BY id")
    found = [decode(bytes(row["value"])) for row in rows]
    return [e for e in found if isinstance(e.data, kind)]


async def _shelter(router: Runtime) -> list[Envelope[ReferralRequested]]:
    return [
        e
        for e in await _queued(router, ReferralRequested)
        if e.data.service is ServiceType.SAFE_SHELTER
    ]


async def test_the_reasons_name_the_providers_passed_over_and_why(
    client, callers, wired, router, identification
):
    opened = await client.post(
        "/v1/identifications",
        json=identification(agency_reference=f"WHY-{uuid.uuid4().hex[:8]}"),
        headers=callers.agency,
    )
    assert opened.status_code == 202, opened.text
    case_id = opened.json()["case_id"]
    await router.deliver(*await _queued(wired.runtime, CaseOpened))
    [first] = await _shelter(router)
    await wired.runtime.deliver(first, consumer="intake")

    declined = await client.post(
        f"/v1/referrals/{first.data.referral_id}/decline",
        json={"reason": "at_capacity"},
        headers=callers.provider,
    )
    assert declined.status_code == 202, declined.text
    await router.deliver(*await _queued(wired.runtime, ProviderResponded))
    _, second = await _shelter(router)
    await wired.runtime.deliver(second, consumer="intake")

    case = await client.get(f"/v1/cases/{case_id}", headers=callers.agency)
    assert case.status_code == 200, case.text
    shelters = [r for r in case.json()["referrals"] if r["service"] == "safe_shelter"]
    assert [(r["provider_id"], r["matched_by"], r["passed_over"]) for r in shelters] == [
        (
            "shelter-kl-1",
            "serves kuala_lumpur",
            [{"provider_id": "shelter-kl-0", "reason": "wrong_language"}],
        ),
        (
            "shelter-kl-2",
            "serves kuala_lumpur",
            [
                {"provider_id": "shelter-kl-0", "reason": "wrong_language"},
                {"provider_id": "shelter-kl-1", "reason": "declined_before"},
            ],
        ),
    ]
    # Ids and codes only: nothing of the child (name, languages, whereabouts) is kept.
    async with wired.runtime.service.db.pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT passed_over::text FROM referral_access WHERE referral_id = $1",
            second.data.referral_id,
        )
    assert json.loads(stored) == shelters[1]["passed_over"]
    assert "rhg" not in stored
    async with wired.runtime.service.db.pool.acquire() as conn:
        tiers = await conn.fetch(
            "SELECT matched_tier FROM referral_access WHERE referral_id = ANY($1::uuid[])",
            [first.data.referral_id, second.data.referral_id],
        )
    # The same "why" as a code, for the desk to say in the reader's language.
    assert [row["matched_tier"] for row in tiers] == ["state", "state"]
