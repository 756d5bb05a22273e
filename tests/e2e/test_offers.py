"""An urgent shelter offered to three shelters at once, through all four services.

Separate processes on the real broker and PostgreSQL, with the end-to-end policy's
seconds-long windows and the offer the default policy makes (`offer_to = 3` for an urgent
shelter). Two children in police lock-ups:
- in Kuala Lumpur, the first shelter asked stays silent and the other two accept at the
  same moment: one of them gets the child, the other two shelters are told the referral
  is withdrawn (a webhook each), and the second acceptance changes nothing;
- in Selangor, none of the three answers: the coordinator hears of it once (one warning
  at 75 %, one level-1 escalation, not three of each), each shelter is told, and the
  service is offered once more, to the next shelter, which accepts.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx
import pytest
from lindung_devstack.world import Behaviour

if TYPE_CHECKING:
    from lindung_devstack.world import StandIn

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

HERE = Path(__file__).parent
AGENCY = "pdrm-selangor"

REQUESTED = "org.lindung.referral.requested.v1"
CANCELLED = "org.lindung.referral.cancelled.v1"
REROUTED = "org.lindung.referral.rerouted.v1"
WARNING = "org.lindung.deadline.warning.v1"
MISSED = "org.lindung.deadline.missed.v1"


def behaviour(referral: dict[str, Any]) -> Behaviour:
    """KL: the offer's first shelter is silent, the other two accept at once. Selangor: the
    whole first offer is silent, the next shelter accepts. Every other service accepts."""
    if referral["service"] != "safe_shelter":
        return Behaviour("accept", 0.0)
    first_of_offer = referral["offer_id"] == referral["referral_id"]
    if referral["state"] == "kuala_lumpur":
        return Behaviour("ignore") if first_of_offer else Behaviour("accept", 0.0)
    return Behaviour("ignore") if referral["attempt"] == 1 else Behaviour("accept", 0.0)


@pytest.fixture(scope="module")
async def system(four_services, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("offers")
    policy = (HERE / "policy.toml").read_text()
    policy = policy.replace("[windows.safe_shelter]\n", "[windows.safe_shelter]\noffer_to = 3\n")
    (workdir / "policy.toml").write_text(policy)
    async with four_services(workdir, behaviour, policy=workdir / "policy.toml") as running:
        yield running


async def identify(system, state: str) -> str:
    services, _, keys = system
    body = {
        "agency_reference": f"E2E-OFFER-{state}-{time.time_ns()}",
        "identified_at": datetime.now(UTC).isoformat(),
        "child": {"age_years": 14, "gender": "female", "nationality_status": "citizen"},
        "situation": {"location": "police_lockup", "state": state},
    }
    async with httpx.AsyncClient(base_url=services["intake"].url) as client:
        response = await client.post(
            "/v1/identifications",
            json=body,
            headers={"Authorization": f"Bearer {keys.agencies[AGENCY]}"},
        )
    assert response.status_code == 202, response.text
    return str(response.json()["case_id"])


def received(standin: StandIn, prefix: str, kind: str, case_id: str) -> list[dict[str, Any]]:
    """The data of each webhook of `kind` about the case received at paths under `prefix`."""
    return [
        {**r.event["data"], "_path": r.path}  # type: ignore[dict-item]
        for r in standin.at(prefix)
        if r.event["type"] == kind and r.event["data"]["case_id"] == case_id  # type: ignore[index]
    ]


def shelters(standin: StandIn, case_id: str) -> list[dict[str, Any]]:
    asked = received(standin, "/providers/", REQUESTED, case_id)
    return [r for r in asked if r["service"] == "safe_shelter"]


async def stored(stack, case_id: str) -> dict[str, tuple[str, str | None, int]]:
    """The router's shelter referrals of the case: provider -> (status, reason, attempt)."""
    conn = await asyncpg.connect(stack.database_url)
    try:
        rows = await conn.fetch(
            "SELECT provider_id, status, status_reason, attempt FROM router.referrals"
            " WHERE case_id = $1 AND service = 'safe_shelter'",
            case_id,
        )
    finally:
        await conn.close()
    return {r["provider_id"]: (r["status"], r["status_reason"], r["attempt"]) for r in rows}


async def test_the_first_acceptance_takes_the_child_and_the_others_are_told(
    system, stack, eventually
):
    _, standin, _ = system
    started = time.monotonic()
    case_id = await identify(system, "kuala_lumpur")

    offer = await eventually(
        lambda: len(found := shelters(standin, case_id)) == 3 and found,
        timeout=60,
        what="the shelter offered to three shelters",
    )
    assert len({r["offer_id"] for r in offer}) == 1
    assert {r["offered_to"] for r in offer} == {3}
    # Nothing about the child: the referral says what routing needs and no more.
    assert {(r["child"]["age_years"], tuple(r["child"]["languages"])) for r in offer} == {
        (None, ())
    }
    providers = {r["provider_id"] for r in offer}

    def settled(rows: dict[str, tuple[str, str | None, int]]) -> bool:
        return sorted(status for status, _, _ in rows.values()) == [
            "accepted",
            "withdrawn",
            "withdrawn",
        ]

    rows = await eventually(
        lambda: _settled(stack, case_id, settled), timeout=60, what="one acceptance"
    )
    (winner,) = [p for p, (status, _, _) in rows.items() if status == "accepted"]
    losers = providers - {winner}
    assert {rows[p][1] for p in losers} == {"taken_elsewhere"}

    # Each of the other two is told, at its own webhook, that the referral went elsewhere.
    told = await eventually(
        lambda: len(found := received(standin, "/providers/", CANCELLED, case_id)) >= 2 and found,
        timeout=60,
        what="the withdrawal at the other two shelters",
    )
    took = time.monotonic() - started
    print(f"the other two shelters told {took * 1000:.0f} ms after the identification was sent")
    assert {t["_path"].rsplit("/", 1)[1] for t in told} == losers
    assert {t["reason_code"] for t in told} == {"taken_elsewhere"}
    # Both of the other two tried to accept; the second acceptance changed nothing.
    accepted_by = {a[0] for a in standin.answers if a[1] == "accept"}
    assert len(accepted_by & {r["referral_id"] for r in offer}) == 2
    await asyncio.sleep(2)
    assert await stored(stack, case_id) == rows


async def _settled(stack, case_id: str, check) -> dict[str, tuple[str, str | None, int]] | None:
    rows = await stored(stack, case_id)
    return rows if check(rows) else None


async def test_silence_from_all_three_is_one_escalation_and_one_re_route(system, stack, eventually):
    _, standin, _ = system
    case_id = await identify(system, "selangor")

    offer = await eventually(
        lambda: len(found := shelters(standin, case_id)) >= 3 and found,
        timeout=60,
        what="the shelter offered to three shelters",
    )
    first = {r["provider_id"] for r in offer if r["attempt"] == 1}
    assert len(first) == 3

    # The 6 s window passes in silence: the next shelter is asked, and accepts.
    nxt = await eventually(
        lambda: [r for r in shelters(standin, case_id) if r["attempt"] == 2],
        timeout=60,
        what="the service offered again",
    )
    assert not {r["provider_id"] for r in nxt} & first
    await eventually(
        lambda: _settled(
            stack, case_id, lambda rows: "accepted" in {s for s, _, _ in rows.values()}
        ),
        timeout=60,
        what="the next shelter's acceptance",
    )
    # Each silent shelter is told the referral is no longer its own.
    moved = await eventually(
        lambda: len(found := received(standin, "/providers/", REROUTED, case_id)) >= 3 and found,
        timeout=60,
        what="the withdrawal at the three silent shelters",
    )
    assert {m["provider_id"] for m in moved} == first
    # Each names the new offer's first referral, whose id is the offer's (or the one
    # referral, offered alone): whichever of the new offer reached its webhook first.
    again = nxt[0]["offer_id"] or nxt[0]["referral_id"]
    assert {m["new_referral_id"] for m in moved} == {again}

    # Past where any further step of the first offer would have fired (level 2 at 150 %).
    await asyncio.sleep(6)
    offered = {r["referral_id"] for r in offer if r["attempt"] == 1}
    escalated = [e for e in received(standin, "/roles/", MISSED, case_id)
                 if e["referral_id"] in offered]  # fmt: skip
    warned = [w for w in received(standin, "/roles/", WARNING, case_id)
              if w["referral_id"] in offered]  # fmt: skip
    assert [e["escalation_level"] for e in escalated] == [1]
    assert [w["percent_of_window"] for w in warned] == [75]
    # Each provider still heard of its own deadline, at half the window.
    provider_warnings = received(standin, "/providers/", WARNING, case_id)
    assert {w["provider_id"] for w in provider_warnings} >= first
    rows = await stored(stack, case_id)
    assert {rows[p][:2] for p in first} == {("withdrawn", None)}
