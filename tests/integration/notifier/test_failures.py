"""What goes wrong on the way: slow or absent receivers, dead or overtaken dispatchers."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import asyncpg
import pytest
from lindung_contracts import NotificationDelivered
from lindung_notifier.adapters import postgres
from lindung_notifier.domain import Delivered, GaveUp

pytestmark = pytest.mark.integration


async def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt(
    start_notifier, receiver, referral_requested
):
    notifier = await start_notifier(request_timeout_seconds=0.3, connect_timeout_seconds=0.3)
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
    async with notifier.pool.acquire() as conn, conn.transaction():
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
        async with notifier.pool.acquire() as conn, conn.transaction():
            [claimed] = await postgres.claim_due(
                conn, now=clock.now(), lease_until=clock.now() + timedelta(seconds=30), limit=1
            )
        return claimed

    def attempt(delivery, outcome, status_code):
        return postgres.Attempt(
            delivery=delivery,
            started_at=clock.now(),
            finished_at=clock.now(),
            status_code=status_code,
            error=getattr(outcome, "error", None),
            outcome=outcome,
        )

    slow = await claim()
    clock.advance(31)
    fast = await claim()
    async with notifier.pool.acquire() as conn:
        late = await postgres.record_attempts(
            conn, [attempt(slow, GaveUp(at=clock.now(), error="late report"), 500)]
        )
        [row] = await notifier.deliveries()
        on_time = await postgres.record_attempts(
            conn, [attempt(fast, Delivered(at=clock.now(), status_code=200), 200)]
        )

    assert (slow.attempt, fast.attempt) == (1, 2)
    assert late == set()
    assert (row["status"], row["last_error"]) == ("pending", None)
    assert on_time == {fast.notification_id}
    # Both attempts were made, so both stay in the history.
    history = await notifier.attempts(fast.notification_id)
    assert [(a["attempt"], a["status_code"]) for a in history] == [(1, 500), (2, 200)]


async def test_a_pass_overtaken_mid_request_records_nothing_twice(
    start_notifier, receiver, referral_requested, clock
):
    notifier = await start_notifier(lease_seconds=30)
    receiver.delay_seconds["/shelter-kl-1"] = 1
    event = referral_requested("shelter-kl-1")
    await notifier.handle(event)

    slow = asyncio.create_task(notifier.dispatcher.dispatch_once())
    await receiver.received(1)
    clock.advance(31)  # the slow pass's lease runs out while its request is in flight
    assert await notifier.dispatcher.dispatch_once() == 1
    assert await slow == 1

    first, second = receiver.to("/shelter-kl-1")
    assert (
        first.headers["X-Lindung-Delivery-Attempt"],
        second.headers["X-Lindung-Delivery-Attempt"],
    ) == ("1", "2")
    [row] = await notifier.deliveries()
    assert (row["status"], row["attempts"]) == ("delivered", 2)
    [delivered] = await notifier.outbox()
    assert isinstance(delivered, NotificationDelivered)
    assert delivered.attempts == 2


async def test_a_pass_the_database_cannot_record_is_sent_again_after_its_lease(
    start_notifier, receiver, referral_requested, clock
):
    notifier = await start_notifier(lease_seconds=30, db_statement_timeout_seconds=0.5)
    receiver.delay_seconds["/shelter-kl-1"] = 0.5
    await notifier.handle(referral_requested("shelter-kl-1"))

    async with notifier.pool.acquire() as blocker:
        passing = asyncio.create_task(notifier.dispatcher.dispatch_once())
        await receiver.received(1)
        # Another session holds the delivery while the pass tries to record it.
        async with blocker.transaction():
            await blocker.execute("SELECT 1 FROM deliveries FOR UPDATE")
            with pytest.raises(asyncpg.QueryCanceledError):
                await passing

    [row] = await notifier.deliveries()
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert await notifier.attempts(row["notification_id"]) == []
    assert await notifier.outbox() == []

    assert await notifier.dispatcher.dispatch_once() == 0  # still leased
    clock.advance(31)
    assert await notifier.dispatcher.dispatch_once() == 1

    assert [r.headers["X-Lindung-Delivery-Attempt"] for r in receiver.to("/shelter-kl-1")] == [
        "1",
        "2",
    ]
    [row] = await notifier.deliveries()
    assert (row["status"], row["attempts"]) == ("delivered", 2)
    assert [type(e) for e in await notifier.outbox()] == [NotificationDelivered]


async def test_an_attempt_the_database_refuses_does_not_hold_back_its_pass(
    start_notifier, receiver, referral_requested
):
    notifier = await start_notifier()
    async with notifier.pool.acquire() as conn:
        # Stands in for any row the database refuses for good.
        await conn.execute(
            "ALTER TABLE delivery_attempts ADD CONSTRAINT no_teapots"
            " CHECK (status_code IS DISTINCT FROM 418)"
        )
    receiver.answer("/shelter-kl-1", 418)
    refused, recorded = referral_requested("shelter-kl-1"), referral_requested("legal-aid-kl")
    await notifier.handle(refused)
    await notifier.handle(recorded)

    assert await notifier.dispatcher.dispatch_once() == 2

    rows = {row["cause_event_id"]: row for row in await notifier.deliveries()}
    assert rows[recorded.id]["status"] == "delivered"
    # Left to its lease, as if its dispatcher had died.
    assert (rows[refused.id]["status"], rows[refused.id]["attempts"]) == ("pending", 1)
    assert rows[refused.id]["leased_until"] is not None
    assert await notifier.attempts(rows[refused.id]["notification_id"]) == []
    [delivered] = await notifier.outbox()
    assert isinstance(delivered, NotificationDelivered)
    assert delivered.cause_event_id == recorded.id


async def test_a_receiver_that_does_not_accept_the_connection_in_time_is_a_failed_attempt(
    start_notifier, referral_requested
):
    notifier = await start_notifier(request_timeout_seconds=5, connect_timeout_seconds=0.3)
    await notifier.handle(referral_requested("switchboard-kl"))

    started = time.monotonic()
    await notifier.dispatcher.dispatch_once()

    assert time.monotonic() - started < 4  # the connect limit ended it, not the total
    [row] = await notifier.deliveries()
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert row["last_error"] == "no connection within 0.3 s"


async def test_concurrent_passes_send_each_delivery_once(
    start_notifier, receiver, referral_requested
):
    notifier = await start_notifier(dispatcher_batch_size=2, max_in_flight_per_recipient=10)
    for _ in range(7):
        await notifier.handle(referral_requested("shelter-kl-1"))

    claimed = await asyncio.gather(*(notifier.dispatcher.dispatch_once() for _ in range(6)))
    # A pass skips the rows another pass holds locked while it chooses, so a row may be
    # left to the next pass, as the dispatcher's loop would run it; never taken twice.
    left = [await notifier.dispatcher.dispatch_once() for _ in range(2)]

    assert sum(claimed) + sum(left) == 7
    keys = [r.headers["Idempotency-Key"] for r in receiver.to("/shelter-kl-1")]
    assert len(keys) == len(set(keys)) == 7
    assert {row["status"] for row in await notifier.deliveries()} == {"delivered"}
