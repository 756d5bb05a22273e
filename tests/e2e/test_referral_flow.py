"""One identified child, through all four services as separate processes.

Identification in -> referrals at the providers' webhooks -> the child protector accepts
and is never escalated -> legal aid stays silent and exactly one level-1 escalation
reaches the case coordinator's webhook.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from lindung_devstack.demo import DEMO_DIR
from lindung_devstack.services import ServiceSet
from lindung_devstack.world import Behaviour, StandIn, write_endpoints, write_keys

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

HERE = Path(__file__).parent
AGENCY = "pdrm-selangor"
REQUESTED = "org.lindung.referral.requested.v1"
MISSED = "org.lindung.deadline.missed.v1"


def behaviour(referral: dict[str, Any]) -> Behaviour:
    """The protector accepts at once; legal aid never answers; the rest accept."""
    if referral["service"] == "legal_aid":
        return Behaviour("ignore")
    return Behaviour("accept", 0.0)


def _missed(standin: StandIn, referral_id: str, level: int | None = None) -> list[dict[str, Any]]:
    found = []
    for received in standin.at("/roles/"):
        event = received.event
        data = event["data"]
        if (
            event["type"] == MISSED
            and data["referral_id"] == referral_id  # type: ignore[index]
            and (level is None or data["escalation_level"] == level)  # type: ignore[index]
        ):
            found.append(event)
    return found


async def _eventually(check: Any, *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        await asyncio.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
async def system(stack, tmp_path):
    directory = json.loads((DEMO_DIR / "directory.json").read_text())
    providers = [p["id"] for p in directory["providers"]]
    keys = write_keys(tmp_path / "keys.json", [AGENCY], providers)
    standin = StandIn("", keys, behaviour)
    write_endpoints(tmp_path / "endpoints.json", standin.base_url, providers)
    services = ServiceSet(
        tmp_path / "logs",
        stack.kafka_bootstrap_servers,
        stack.database_url,
        settings={
            "intake": {"api_keys_file": str(tmp_path / "keys.json")},
            "router": {
                "policy_file": str(HERE / "policy.toml"),
                "directory_file": str(DEMO_DIR / "directory.json"),
            },
            "notifier": {"endpoints_file": str(tmp_path / "endpoints.json")},
            "sla-monitor": {"tick_seconds": "0.2"},
        },
    )
    services.start()
    standin.intake_url = services["intake"].url
    await standin.start()
    try:
        yield services, standin, keys
    finally:
        await standin.stop_answering()
        codes = await asyncio.to_thread(services.stop)  # the stand-in keeps serving meanwhile
        await standin.stop()
        for name, service in services.processes.items():
            print(f"--- {name} log: {service.log_file}")
        assert all(code == 0 for code in codes.values()), f"unclean exits: {codes}"


async def test_identified_child_is_referred_accepted_and_escalated(system):
    services, standin, keys = system
    body = {
        "agency_reference": f"E2E-{time.time_ns()}",
        "identified_at": datetime.now(UTC).isoformat(),
        "child": {
            "age_years": 15,
            "gender": "male",
            "nationality_status": "refugee",
            "languages": ["ms"],
        },
        "situation": {
            "indicators": ["forced_labour"],
            "location": "community",
            "state": "selangor",
        },
    }
    async with httpx.AsyncClient(base_url=services["intake"].url) as client:
        response = await client.post(
            "/v1/identifications",
            json=body,
            headers={"Authorization": f"Bearer {keys.agencies[AGENCY]}"},
        )
    assert response.status_code == 202, response.text
    case_id = response.json()["case_id"]

    def referrals() -> dict[str, dict[str, Any]]:
        by_service = {}
        for received in standin.at("/providers/"):
            data = received.event["data"]
            ours = data["case_id"] == case_id  # type: ignore[index]
            if received.event["type"] == REQUESTED and ours:
                by_service[data["service"]] = data  # type: ignore[index]
        return by_service

    # Every child gets at least these four, and a refugee child UNHCR too.
    wanted = {"child_protector", "safe_shelter", "health", "legal_aid", "unhcr"}
    delivered = await _eventually(
        lambda: referrals() if wanted <= referrals().keys() else None,
        timeout=60,
        what=f"referrals for {sorted(wanted)} at the provider webhooks",
    )
    protector, legal_aid = delivered["child_protector"], delivered["legal_aid"]
    webhook = next(r for r in standin.at(f"/providers/{legal_aid['provider_id']}"))
    assert webhook.headers["Content-Type"].startswith("application/cloudevents+json")
    assert webhook.headers["Idempotency-Key"]

    # The protector accepted through intake's API.
    await _eventually(
        lambda: any(a == (protector["referral_id"], "accept", 202) for a in standin.answers),
        timeout=30,
        what="the protector's acceptance",
    )

    # Legal aid said nothing: level 1 reaches the coordinator; wait for level 2 so the
    # scheduler has run many times past level 1, then count.
    await _eventually(
        lambda: _missed(standin, legal_aid["referral_id"], level=2),
        timeout=60,
        what="the level-2 escalation for legal aid",
    )
    level1 = _missed(standin, legal_aid["referral_id"], level=1)
    assert len(level1) == 1, level1
    assert standin.at("/roles/case_coordinator")
    assert level1[0]["data"]["notify"] == "case_coordinator"

    # The accepted referral is past its deadline now and was never escalated.
    due = datetime.fromisoformat(protector["due_at"])
    await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 2)
    assert _missed(standin, protector["referral_id"]) == []
