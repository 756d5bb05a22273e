"""What goes wrong on the way: slow or absent receivers, dead or overtaken dispatchers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from lindung_contracts import NotificationDelivered
from lindung_notifier.adapters import postgres

pytestmark = pytest.mark.integration


async def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt(
    start_notifier, receiver, referral_requested
):
    notifier = await start_notifier(request_timeout_seconds=0.3)
    receiver.delay_seconds["/shelter-kl-1"] = 2
    await notifier.handle(referral_requested("shelter-kl-1"))

    await notifier.dispatcher.dispatch_once()

    [row] = await notifier.deliveries()
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert row["last_error"] == "no answer within 0.3 s"


async def test_an_unreachable_receiver_is_a_failed_attempt(
    start_notifier, receiver, referral_requested
):
    notifier = await start_notifier()
    await notifier.handle(referral_requested("nobody-home-kl"))

    await notifier.dispatcher.dispatch_once()

    [row] = await notifier.deliveries()
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert row["last_error"].startswith("request failed: ClientConnectorError")


async def test_a_delivery_held_by_a_dispatcher_that_died_is_sent_after_its_lease(
    start_notifier, receiver, referral_requested, clock
):
    notifier = await start_notifier(lease_seconds=30)
    await notifier.handle(referral_requested("shelter-kl-1"))
    # Another worker claims the delivery, then dies before sending or recording anything.
    async with notifier.runtime.pool.acquire() as conn, conn.transaction():
        [claimed] = await postgres.claim_due(
            conn, now=clock.now(), lease_until=clock.now() + timedelta(seconds=30), limit=10
        )

    assert await notifier.dispatcher.dispatch_once() == 0
    clock.advance(31)
    assert await notifier.dispatcher.dispatch_once() == 1

    [sent] = receiver.to("/shelter-kl-1")
    assert sent.headers["Idempotency-Key"] == str(claimed.notification_id)
    assert sent.headers["X-Lindung-Delivery-Attempt"] == "2"
    [row] = await notifier.deliveries()
    assert row["status"] == "delivered"
    assert [type(e) for e in await notifier.outbox()] == [NotificationDelivered]


async def test_a_worker_overtaken_after_its_lease_cannot_record_its_outcome(
    start_notifier, referral_requested, clock
):
    notifier = await start_notifier(lease_seconds=30)
    await notifier.handle(referral_requested("shelter-kl-1"))

    async def claim():
        async with notifier.runtime.pool.acquire() as conn, conn.transaction():
            [claimed] = await postgres.claim_due(
                conn, now=clock.now(), lease_until=clock.now() + timedelta(seconds=30), limit=1
            )
        return claimed

    slow = await claim()
    clock.advance(31)
    fast = await claim()
    async with notifier.runtime.pool.acquire() as conn:
        late = await postgres.mark_failed(
            conn, slow, at=clock.now(), error="late report", status_code=500
        )
        [row] = await notifier.deliveries()
        on_time = await postgres.mark_delivered(conn, fast, at=clock.now(), status_code=200)

    assert (slow.attempt, fast.attempt) == (1, 2)
    assert late is False
    assert (row["status"], row["last_error"]) == ("pending", None)
    assert on_time is True


async def test_concurrent_passes_send_each_delivery_once(
    start_notifier, receiver, referral_requested
):
    notifier = await start_notifier(dispatcher_batch_size=2)
    for offset in range(7):
        await notifier.handle(referral_requested("shelter-kl-1"), offset=offset)

    claimed = await asyncio.gather(*(notifier.dispatcher.dispatch_once() for _ in range(6)))

    assert sum(claimed) == 7
    keys = [r.headers["Idempotency-Key"] for r in receiver.to("/shelter-kl-1")]
    assert len(keys) == len(set(keys)) == 7
    assert {row["status"] for row in await notifier.deliveries()} == {"delivered"}
