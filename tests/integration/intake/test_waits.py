"""Waiting for a referral intake has not heard of yet: woken by the mirror, never by polling;
bounded per key and overall; someone else's referral waits exactly like an unknown one."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
import httpx
import pytest
from lindung_common import Runtime
from lindung_intake.adapters.news import ReferralNews
from lindung_intake.bootstrap import build
from prometheus_client import REGISTRY

pytestmark = pytest.mark.integration

WAIT = 1.5  # long enough that polling every 50 ms would look 30 times per request
# Long enough that polling every 50 ms would look 100 times per request, and that all 300
# reads are let in and waiting, and 20 posts answered, before the first wait ends, even on
# a machine two test workers keep busy (1.5 s was not).
MANY_WAIT = 5.0
N = 300  # reads at once, by one key
MANY = {"answer_wait_seconds": MANY_WAIT, "answer_waits_per_key": 300, "answer_waits_overall": 300}
LONG = {"answer_wait_seconds": 5.0}
BOUNDED = {"answer_wait_seconds": WAIT, "answer_waits_per_key": 2, "answer_waits_overall": 3}
REASON = {"reason": "child_in_hospital"}


async def _timed(request) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await request
    return response, time.monotonic() - started


def _waiting() -> float:
    return REGISTRY.get_sample_value("lindung_referral_waits") or 0.0


async def _until(condition, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def _news(service):
    (news,) = [task for task in service.tasks if isinstance(task, ReferralNews)]
    return news


async def _scans_of_referrals(stack, schema: str, *, flush: bool) -> int:
    """Table scans of the referral mirror so far, from PostgreSQL's own statistics.

    A backend reports its counts when it has been idle a while, or when it ends: with
    `flush`, the service's connections are ended first (the pool opens new ones).
    """
    conn = await asyncpg.connect(stack.database_url)
    try:
        if flush:
            pids = [
                r["pid"]
                for r in await conn.fetch(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = $1",
                    f"lindung-{schema}",
                )
            ]
            await conn.execute("SELECT pg_terminate_backend(p) FROM unnest($1::int[]) AS p", pids)
            for _ in range(500):
                left = await conn.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1::int[])", pids
                )
                if left == 0:
                    break
                await asyncio.sleep(0.01)
        return await conn.fetchval(
            "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables"
            " WHERE schemaname = $1 AND relname = 'referral_access'",
            schema,
        )
    finally:
        await conn.close()


@pytest.mark.parametrize("settings_overrides", [MANY])
async def test_300_waiting_reads_cost_no_polling_and_agency_posts_stay_fast(
    wired, client, callers, identification, stack, schema
):
    await _until(lambda: _news(wired.runtime.service).listening)
    before = await _scans_of_referrals(stack, schema, flush=False)
    reads = [
        asyncio.create_task(
            _timed(client.get(f"/v1/referrals/{uuid.uuid4()}", headers=callers.provider))
        )
        for _ in range(N)
    ]
    await _until(lambda: _waiting() == N)
    posts = []
    for n in range(20):
        body = identification(agency_reference=f"WAIT-{n}-{uuid.uuid4().hex[:6]}")
        posts.append(
            await _timed(client.post("/v1/identifications", json=body, headers=callers.agency))
        )
    reads_still_waiting = sum(not read.done() for read in reads)
    answers = await asyncio.gather(*reads)
    after = await _scans_of_referrals(stack, schema, flush=True)

    assert [response.status_code for response, _ in posts] == [202] * 20
    # Every agency POST was answered while all 300 reads were still waiting.
    assert reads_still_waiting == N
    assert {response.status_code for response, _ in answers} == {404}
    assert min(elapsed for _, elapsed in answers) >= MANY_WAIT
    # A read looks when it arrives and once more when its wait ends: 600 scans. Polling
    # every 50 ms through the wait would have been 100 looks a read, 30,000.
    assert after - before <= 2 * N + 10, after - before


async def test_an_unknown_id_and_another_provider_s_referral_answer_404_after_the_same_wait(
    wired, client, callers, referral_requested
):
    envelope = referral_requested(provider_id="shelter-kl-1")
    await wired.runtime.deliver(envelope, consumer="intake")
    theirs = f"/v1/referrals/{envelope.data.referral_id}"
    unknown = f"/v1/referrals/{uuid.uuid4()}"
    wait = wired.settings.answer_wait_seconds

    def ask(url: str, action: str, body: dict | None):
        if action:
            return client.post(url + action, json=body, headers=callers.other_provider)
        return client.get(url, headers=callers.other_provider)

    for action, body in (("", None), ("/accept", None), ("/decline", {"reason": "at_capacity"})):
        await ask(f"/v1/referrals/{uuid.uuid4()}", action, body)  # statements prepared
        (other, other_took), (missing, missing_took) = await asyncio.gather(
            _timed(ask(theirs, action, body)), _timed(ask(unknown, action, body))
        )

        assert (other.status_code, missing.status_code) == (404, 404), action
        assert abs(other_took - missing_took) < 0.1, (action, other_took, missing_took)
        assert min(other_took, missing_took) >= wait
    # Only a referral addressed to the caller ends the wait early: at once, when known.
    own, own_took = await _timed(client.get(theirs, headers=callers.provider))
    assert own.status_code == 200
    assert own_took < wait


@pytest.mark.parametrize("settings_overrides", [LONG])
@pytest.mark.parametrize("ask", ["read", "accept", "pause"])
async def test_a_request_quicker_than_the_mirror_is_woken_when_the_referral_arrives(
    wired, client, callers, referral_requested, outbox, ask
):
    await _until(lambda: _news(wired.runtime.service).listening)
    envelope = referral_requested(provider_id="shelter-kl-1")
    url = f"/v1/referrals/{envelope.data.referral_id}"
    request = {
        "read": lambda: client.get(url, headers=callers.provider),
        "accept": lambda: client.post(f"{url}/accept", headers=callers.provider),
        "pause": lambda: client.post(f"{url}/pause", json=REASON, headers=callers.coordinator),
    }[ask]
    asking = asyncio.create_task(_timed(request()))
    await _until(lambda: _waiting() == 1)
    await wired.runtime.deliver(envelope, consumer="intake")
    response, took = await asking

    assert response.status_code in {200, 202}, response.text
    assert took < LONG["answer_wait_seconds"]  # woken by the referral, not by the wait's end
    queued = [row["event"].data.referral_id for row in await outbox()]
    assert queued == ([] if ask == "read" else [envelope.data.referral_id])


@pytest.mark.parametrize("settings_overrides", [LONG])
async def test_a_request_waiting_in_another_intake_process_is_woken_by_this_one_s_mirror(
    wired, schema, clock, callers, referral_requested
):
    other = build(wired.settings, schema=schema, clock=clock, ids=uuid.uuid4)
    runtime = Runtime(other)
    await runtime.start(relay=False)
    try:
        await _until(lambda: _news(other).listening)
        envelope = referral_requested(provider_id="shelter-kl-1")
        transport = httpx.ASGITransport(app=runtime.web())
        async with httpx.AsyncClient(transport=transport, base_url="http://intake-2") as http:
            asking = asyncio.create_task(
                _timed(
                    http.post(
                        f"/v1/referrals/{envelope.data.referral_id}/accept",
                        headers=callers.provider,
                    )
                )
            )
            await _until(lambda: _waiting() == 1)
            await wired.runtime.deliver(envelope, consumer="intake")  # the first one's mirror
            response, took = await asking
    finally:
        await runtime.stop()

    assert response.status_code == 202, response.text
    assert took < LONG["answer_wait_seconds"]


@pytest.mark.parametrize("settings_overrides", [BOUNDED])
async def test_beyond_the_bounds_a_wait_is_refused_at_once_with_429_and_retry_after(
    wired, client, callers, referral_requested
):
    envelope = referral_requested(provider_id="shelter-kl-1")
    await wired.runtime.deliver(envelope, consumer="intake")

    def unknown(who: str):
        return client.get(f"/v1/referrals/{uuid.uuid4()}", headers=getattr(callers, who))

    mine = [asyncio.create_task(_timed(unknown("provider"))) for _ in range(2)]
    await _until(lambda: _waiting() == 2)
    over_key, over_key_took = await _timed(unknown("provider"))
    others = asyncio.create_task(_timed(unknown("other_provider")))
    await _until(lambda: _waiting() == 3)
    over_all, over_all_took = await _timed(unknown("other_provider"))
    # A referral of the caller's own needs no wait, so no bound holds it back.
    own = await client.get(f"/v1/referrals/{envelope.data.referral_id}", headers=callers.provider)
    waited = await asyncio.gather(*mine, others)
    again = await unknown("provider")  # the waits ended: their places are free again

    for refused, took in ((over_key, over_key_took), (over_all, over_all_took)):
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "2"  # the longest a wait lasts, rounded up
        (error,) = refused.json()["errors"]
        assert error["field"] == "authorization"
        assert took < WAIT  # at once, not after a wait
    assert "of this key" in over_key.json()["errors"][0]["reason"]
    assert "of this key" not in over_all.json()["errors"][0]["reason"]
    assert own.status_code == 200
    assert [response.status_code for response, _ in waited] == [404, 404, 404]
    assert again.status_code == 404
    assert _waiting() == 0
