"""One identified child, through all four services as separate processes.

Identification in -> referrals at the providers' webhooks -> the child protector accepts
and is never escalated -> legal aid stays silent and exactly one level-1 escalation
reaches the case coordinator's webhook.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx
import pytest
from lindung_devstack.world import Behaviour, StandIn

if TYPE_CHECKING:
    from lindung_devstack.services import ServiceSet

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

AGENCY = "pdrm-selangor"
COORDINATOR = "coordinator-sel"
REQUESTED = "org.lindung.referral.requested.v1"
MISSED = "org.lindung.deadline.missed.v1"


def behaviour(referral: dict[str, Any]) -> Behaviour:
    """Legal aid and the first shelter asked never answer; everyone else accepts at once."""
    if referral["service"] == "legal_aid":
        return Behaviour("ignore")
    if referral["service"] == "safe_shelter" and referral["attempt"] == 1:
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


async def _identify(services: ServiceSet, keys: Any, body: dict[str, Any]) -> httpx.Response:
    """POST an identification as the test agency."""
    async with httpx.AsyncClient(base_url=services["intake"].url) as client:
        return await client.post(
            "/v1/identifications",
            json=body,
            headers={"Authorization": f"Bearer {keys.agencies[AGENCY]}"},
        )


def _requested(standin: StandIn, case_id: str, service: str | None = None) -> list[dict[str, Any]]:
    """The referrals of a case that reached the providers' webhooks, in arrival order."""
    found = []
    for received in standin.at("/providers/"):
        data: Any = received.event["data"]
        if (
            received.event["type"] == REQUESTED
            and data["case_id"] == case_id
            and (service is None or data["service"] == service)
        ):
            found.append(data)
    return found


@pytest.fixture(scope="module")
async def system(four_services, tmp_path_factory):
    """One system for the tests that leave it as they found it (each uses its own case)."""
    async with four_services(tmp_path_factory.mktemp("referral-flow"), behaviour) as running:
        yield running


async def test_identified_child_is_referred_accepted_and_escalated(system, eventually):
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
    response = await _identify(services, keys, body)
    assert response.status_code == 202, response.text
    case_id = response.json()["case_id"]

    def referrals() -> dict[str, dict[str, Any]]:
        return {data["service"]: data for data in _requested(standin, case_id)}

    # Every child gets at least these four, and a refugee child UNHCR too.
    wanted = {"child_protector", "safe_shelter", "health", "legal_aid", "unhcr"}
    delivered = await eventually(
        lambda: referrals() if wanted <= referrals().keys() else None,
        timeout=60,
        what=f"referrals for {sorted(wanted)} at the provider webhooks",
    )
    protector, legal_aid = delivered["child_protector"], delivered["legal_aid"]
    webhook = next(r for r in standin.at(f"/providers/{legal_aid['provider_id']}"))
    assert webhook.headers["Content-Type"].startswith("application/cloudevents+json")
    assert webhook.headers["Idempotency-Key"] == webhook.headers["webhook-id"]
    # Every webhook so far verified with the Standard Webhooks library, as a provider would.
    assert {r.verified for r in standin.received} == {True}

    # The protector accepted through intake's API the moment its webhook arrived, once,
    # with no retry: intake held the answer until it knew the referral.
    await eventually(
        lambda: any(a == (protector["referral_id"], "accept", 202) for a in standin.answers),
        timeout=30,
        what="the protector's acceptance",
    )

    # Legal aid said nothing: level 1 reaches the coordinator; wait for level 2 so the
    # scheduler has run many times past level 1, then count.
    await eventually(
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


REROUTED = "org.lindung.referral.rerouted.v1"


async def test_a_silent_shelter_is_withdrawn_and_the_next_one_asked(system, eventually):
    services, standin, keys = system
    body = {
        "agency_reference": f"E2E-SILENT-{time.time_ns()}",
        "identified_at": datetime.now(UTC).isoformat(),
        "child": {"age_years": 12, "gender": "female", "nationality_status": "citizen"},
        "situation": {"location": "community", "state": "selangor"},
    }
    async with httpx.AsyncClient(base_url=services["intake"].url) as client:
        response = await _identify(services, keys, body)
        assert response.status_code == 202, response.text
        case_id = response.json()["case_id"]

        def shelters() -> dict[int, dict[str, Any]]:
            return {data["attempt"]: data for data in _requested(standin, case_id, "safe_shelter")}

        # The first shelter stays silent past its 6 s deadline: the second one is asked.
        asked = await eventually(
            lambda: shelters() if {1, 2} <= shelters().keys() else None,
            timeout=60,
            what="the shelter referral re-routed to a second shelter",
        )
        first, second = asked[1], asked[2]
        assert first["provider_id"] != second["provider_id"]
        # The second referral says why the shelter ranked above it was not asked again,
        # and the agency reads the same from its case.
        why = {"provider_id": first["provider_id"], "reason": "tried_before"}
        assert why in second["passed_over"]

        async def reasons_read() -> list[dict[str, str]] | None:
            case = await client.get(
                f"/v1/cases/{case_id}",
                headers={"Authorization": f"Bearer {keys.agencies[AGENCY]}"},
            )
            assert case.status_code == 200, case.text
            found = [
                r for r in case.json()["referrals"] if r["referral_id"] == second["referral_id"]
            ]
            return found[0]["passed_over"] if found else None

        read = await eventually(reasons_read, timeout=30, what="the second referral in the case")
        assert why in read

        # The silent shelter is told the referral is no longer theirs...
        withdrawn = await eventually(
            lambda: [
                r.event
                for r in standin.at(f"/providers/{first['provider_id']}")
                if r.event["type"] == REROUTED
                and r.event["data"]["referral_id"] == first["referral_id"]  # type: ignore[index]
            ],
            timeout=30,
            what="the withdrawal at the silent shelter",
        )
        assert len(withdrawn) == 1

        # ...and cannot act on it any more: once intake has heard of the withdrawal (it
        # may hear after the notifier has told the shelter), a late answer gets 409. One
        # that races the news gets 202 and is ignored by the router, which decides.
        async def late_answer() -> int:
            late = await client.post(
                f"/v1/referrals/{first['referral_id']}/accept",
                headers={"Authorization": f"Bearer {keys.providers[first['provider_id']]}"},
            )
            return late.status_code

        refused = time.monotonic() + 5
        while (code := await late_answer()) != 409 and time.monotonic() < refused:
            await asyncio.sleep(0.1)
        assert code == 409

    # The coordinator heard of the silence (level 1), and the second shelter accepted.
    assert _missed(standin, first["referral_id"], level=1)
    await eventually(
        lambda: any(a == (second["referral_id"], "accept", 202) for a in standin.answers),
        timeout=30,
        what="the second shelter's acceptance",
    )


async def test_an_identification_dated_1900_is_refused_and_opens_no_case(system, stack):
    services, _, keys = system
    body = {
        "agency_reference": f"E2E-1900-{time.time_ns()}",
        "identified_at": "1900-01-01T09:00:00+08:00",
        "child": {"age_years": 12, "gender": "female", "nationality_status": "citizen"},
        "situation": {"location": "community", "state": "selangor"},
    }
    response = await _identify(services, keys, body)

    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["field"] == "identified_at"
    assert "30 days" in error["reason"]
    # Nothing was stored, so nothing can follow: no case, no referral.
    conn = await asyncpg.connect(stack.database_url)
    try:
        stored = await conn.fetchval(
            "SELECT count(*) FROM intake.cases WHERE agency_reference = $1",
            body["agency_reference"],
        )
    finally:
        await conn.close()
    assert stored == 0


DETENTION = "org.lindung.case.detention-escalated.v1"


async def test_a_detained_child_s_coordinator_is_alerted_within_two_seconds(system):
    services, standin, keys = system
    body = {
        "agency_reference": f"E2E-DETAINED-{time.time_ns()}",
        "identified_at": datetime.now(UTC).isoformat(),
        "child": {"age_years": 12, "gender": "female", "nationality_status": "asylum_seeker"},
        "situation": {"location": "immigration_detention", "state": "johor"},
    }
    response = await _identify(services, keys, body)
    accepted_at = time.monotonic()
    assert response.status_code == 202, response.text
    case_id = response.json()["case_id"]

    def alerts() -> list[dict[str, Any]]:
        return [
            r.event
            for r in standin.at("/roles/case_coordinator")
            if r.event["type"] == DETENTION and r.event["data"]["case_id"] == case_id  # type: ignore[index]
        ]

    async with asyncio.timeout(2):
        while not alerts():
            await asyncio.sleep(0.02)
    took = time.monotonic() - accepted_at
    (alert,) = alerts()
    data = alert["data"]
    assert (data["location"], data["state"]) == ("immigration_detention", "johor")  # type: ignore[index]
    services_referred = {r["service"] for r in data["referrals"]}  # type: ignore[index]
    assert {"child_protector", "safe_shelter", "unhcr"} <= services_referred
    print(f"detention alert at the coordinator {took * 1000:.0f} ms after the 202")


PAUSED = "org.lindung.referral.paused.v1"
WARNING = "org.lindung.deadline.warning.v1"


async def test_a_deadline_passing_while_the_referral_is_paused_does_not_escalate(
    system, eventually
):
    services, standin, keys = system
    body = {
        "agency_reference": f"E2E-PAUSE-{time.time_ns()}",
        "identified_at": datetime.now(UTC).isoformat(),
        "child": {"age_years": 14, "gender": "male", "nationality_status": "citizen"},
        "situation": {"location": "community", "state": "selangor"},
    }
    coordinator = {"Authorization": f"Bearer {keys.coordinators[COORDINATOR]}"}
    async with httpx.AsyncClient(base_url=services["intake"].url) as client:
        response = await _identify(services, keys, body)
        assert response.status_code == 202, response.text
        case_id = response.json()["case_id"]

        # Legal aid never answers; its 8 s window would escalate it. The coordinator
        # pauses it first (the child is in hospital, say).
        (referral,) = await eventually(
            lambda: _requested(standin, case_id, "legal_aid"),
            timeout=60,
            what="the legal-aid referral",
        )
        referral_id = referral["referral_id"]
        url = f"/v1/referrals/{referral_id}"
        reason = {"reason": "child_in_hospital", "note": "In hospital until tomorrow."}
        # Intake stamps each change when the request arrives (and may then wait to hear
        # of the referral), so the pause lies between these bounds.
        pause_sent = time.monotonic()
        paused = await client.post(f"{url}/pause", json=reason, headers=coordinator)
        assert paused.status_code == 202, paused.text
        pause_answered = time.monotonic()

        # The deadline, the grace and several ticks pass: no escalation, and no warning
        # that was due while paused.
        due = datetime.fromisoformat(referral["due_at"])
        await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 5)
        assert _missed(standin, referral_id) == []
        warned_after = [
            r
            for r in standin.at("/")
            if r.event["type"] == WARNING
            and r.event["data"]["referral_id"] == referral_id  # type: ignore[index]
            and datetime.fromisoformat(r.event["time"]) > due  # type: ignore[arg-type]
        ]
        assert warned_after == []

        resume_sent = time.monotonic()
        resumed = await client.post(f"{url}/resume", json=reason, headers=coordinator)
        assert resumed.status_code == 202, resumed.text
        shortest = resume_sent - pause_answered
        longest = time.monotonic() - pause_sent

    # Resumed, the clock runs again from where it stopped: level 1 comes, once, with the
    # deadline moved by the pause.
    (missed,) = await eventually(
        lambda: _missed(standin, referral_id, level=1),
        timeout=60,
        what="the level-1 escalation after the resume",
    )
    moved = (datetime.fromisoformat(missed["data"]["due_at"]) - due).total_seconds()
    assert shortest - 0.1 <= moved <= longest + 0.1, (moved, shortest, longest)


async def test_an_acknowledged_level_1_holds_level_2_for_the_window_then_it_fires(
    system, eventually
):
    services, standin, keys = system
    body = {
        "agency_reference": f"E2E-ACK-{time.time_ns()}",
        "identified_at": datetime.now(UTC).isoformat(),
        "child": {"age_years": 13, "gender": "female", "nationality_status": "citizen"},
        "situation": {"location": "community", "state": "selangor"},
    }
    coordinator = {"Authorization": f"Bearer {keys.coordinators[COORDINATOR]}"}
    response = await _identify(services, keys, body)
    assert response.status_code == 202, response.text
    case_id = response.json()["case_id"]
    (referral,) = await eventually(
        lambda: _requested(standin, case_id, "legal_aid"), timeout=60, what="legal aid"
    )
    referral_id = referral["referral_id"]
    assert referral["acknowledgement_window_seconds"] == 10  # the end-to-end policy's

    # Legal aid stays silent: level 1 reaches the coordinator, who acknowledges it at once
    # (its id is the alert's, as intake lists it).
    (level1,) = await eventually(
        lambda: _missed(standin, referral_id, level=1), timeout=60, what="level 1"
    )
    async with httpx.AsyncClient(base_url=services["intake"].url) as client:

        async def acknowledge() -> httpx.Response | None:
            answer = await client.post(
                f"/v1/alerts/{level1['id']}/acknowledge", headers=coordinator
            )
            return answer if answer.status_code == 202 else None

        acknowledged = await eventually(acknowledge, timeout=10, what="the acknowledgement")
        at = datetime.fromisoformat(acknowledged.json()["acknowledged_at"])
        queue = (await client.get("/v1/alerts", headers=coordinator)).json()["alerts"]
    assert [a["acknowledged_by"] for a in queue if a["alert_id"] == level1["id"]] == [COORDINATOR]

    # Level 2 was due 4 s after the deadline; held, it fires only when the 10 s window
    # from the acknowledgement has ended with legal aid still silent, and then once.
    (level2,) = await eventually(
        lambda: _missed(standin, referral_id, level=2), timeout=60, what="level 2"
    )
    fired = datetime.fromisoformat(level2["data"]["fired_at"])
    assert fired >= at + timedelta(seconds=10), (fired, at)
    assert len(_missed(standin, referral_id, level=2)) == 1
