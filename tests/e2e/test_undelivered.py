"""A provider whose endpoint is gone (410) never had the referral: the next one is asked.

All four services as separate processes on the real broker and PostgreSQL. Legal aid's
policy escalates silence (tests/e2e/policy.toml), yet the referral the first legal-aid
provider could not be sent is re-routed at once to the second, and the case coordinator
is told once.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from aiohttp import web
from aiokafka import AIOKafkaConsumer, TopicPartition
from lindung_contracts import REFERRALS, ReferralRequested, ReferralRerouted, decode
from lindung_devstack._proc import free_port
from lindung_devstack.world import Behaviour

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

AGENCY = "pdrm-selangor"
GONE, NEXT = "legal-aid-sel-1", "legal-aid-sel-2"  # the demo directory's first two in Selangor
MISSED = "org.lindung.deadline.missed.v1"
LEGAL_AID_WINDOW = timedelta(seconds=8)  # tests/e2e/policy.toml; level 3 at twice that


def behaviour(_referral: dict[str, Any]) -> Behaviour:
    """Every provider that receives a referral accepts it at once."""
    return Behaviour("accept", 0.0)


class Gone:
    """An endpoint that answers every webhook 410 Gone, keeping the type of each."""

    def __init__(self) -> None:
        self.port = free_port()
        self.hits: list[str] = []
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhook"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/webhook", self._gone)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _gone(self, request: web.Request) -> web.Response:
        self.hits.append(json.loads(await request.read())["type"])
        return web.Response(status=410, text="this service no longer exists")


async def _referrals_topic(stack) -> AIOKafkaConsumer:
    """A reader of REFERRALS from its current end: only what comes after."""
    consumer = AIOKafkaConsumer(**stack.kafka(), enable_auto_commit=False)
    await consumer.start()
    partitions = [TopicPartition(REFERRALS.name, p) for p in range(REFERRALS.partitions)]
    consumer.assign(partitions)
    for partition, offset in (await consumer.end_offsets(partitions)).items():
        consumer.seek(partition, offset)
    return consumer


@pytest.fixture
async def gone():
    endpoint = Gone()
    await endpoint.start()
    yield endpoint
    await endpoint.stop()


async def test_a_gone_provider_s_referral_goes_to_the_next_and_the_coordinator_hears_once(
    stack, start_system, eventually, gone
):
    def gone_provider(document: dict[str, Any]) -> None:
        document["providers"][GONE]["webhook_url"] = gone.url

    services, standin, keys = await start_system(behaviour, endpoints=gone_provider)
    topic = await _referrals_topic(stack)
    try:
        async with httpx.AsyncClient(base_url=services["intake"].url) as client:
            response = await client.post(
                "/v1/identifications",
                json={
                    "agency_reference": f"E2E-GONE-{time.time_ns()}",
                    "identified_at": datetime.now(UTC).isoformat(),
                    "child": {"age_years": 13, "gender": "female", "nationality_status": "citizen",
                              "languages": ["ms"]},
                    "situation": {"location": "community", "state": "selangor"},
                },
                headers={"Authorization": f"Bearer {keys.agencies[AGENCY]}"},
            )  # fmt: skip
        assert response.status_code == 202, response.text
        case_id = response.json()["case_id"]

        # The next legal-aid provider receives the referral, and accepts it.
        def second() -> dict[str, Any] | None:
            for received in standin.at(f"/providers/{NEXT}"):
                data: Any = received.event["data"]
                if received.event["type"] == ReferralRequested.event_type and (
                    data["case_id"] == case_id
                ):
                    return data  # type: ignore[no-any-return]
            return None

        asked = await eventually(second, timeout=60, what=f"the referral at {NEXT}")
        assert asked["attempt"] == 2
        # 410 is final: the referral was tried once, not retried.
        assert gone.hits.count(ReferralRequested.event_type) == 1

        # From the REFERRALS topic: the gone provider's referral re-routed to the next.
        key = str(case_id).encode()
        events: list[Any] = []

        async def read_until_rerouted() -> ReferralRerouted:
            while True:
                batches = await topic.getmany(timeout_ms=200)
                events.extend(
                    decode(r.value, r.headers).data
                    for records in batches.values()
                    for r in records
                    if r.key == key
                )
                for event in events:
                    if isinstance(event, ReferralRerouted) and event.provider_id == GONE:
                        return event

        rerouted = await asyncio.wait_for(read_until_rerouted(), timeout=30)
    finally:
        await topic.stop()
    first_id = str(rerouted.referral_id)
    assert rerouted.new_provider_id == NEXT
    assert str(rerouted.new_referral_id) == asked["referral_id"]
    assert rerouted.reason.startswith(f"{GONE} could not be sent the referral")
    first = next(
        e
        for e in events
        if isinstance(e, ReferralRequested) and e.referral_id == rerouted.referral_id
    )

    # From the router's tables: the first withdrawn, the second with the next provider.
    conn = await asyncpg.connect(stack.database_url)
    try:
        rows = await conn.fetch(
            "SELECT provider_id, attempt, status FROM router.referrals"
            " WHERE case_id = $1 AND service = 'legal_aid' ORDER BY attempt",
            rerouted.case_id,
        )
    finally:
        await conn.close()
    assert [(r["provider_id"], r["attempt"]) for r in rows] == [(GONE, 1), (NEXT, 2)]
    assert rows[0]["status"] == "withdrawn"

    # The coordinator is told once, at once, why; nothing more for that referral, even past
    # the time its ladder would have reached level 3.
    level3_at = first.requested_at + 2 * LEGAL_AID_WINDOW
    await asyncio.sleep(max(0.0, (level3_at - datetime.now(UTC)).total_seconds()) + 3)
    told = [
        r.event["data"]
        for r in standin.at("/roles/")
        if r.event["type"] == MISSED and r.event["data"]["referral_id"] == first_id  # type: ignore[index]
    ]
    assert len(told) == 1, told
    (alert,) = told
    assert alert["notify"] == "case_coordinator"  # type: ignore[index]
    assert alert["referral_undelivered"] is True  # type: ignore[index]
    assert alert["cause"] == f"the referral could not be delivered to {GONE}"  # type: ignore[index]
