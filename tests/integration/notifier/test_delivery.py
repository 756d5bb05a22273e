"""Deliveries inside the notifier: handler, PostgreSQL, dispatcher, a real webhook receiver."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta

import pytest
from lindung_common import ConfigError, Outcome
from lindung_contracts import (
    NoProviderAvailable,
    NotificationDelivered,
    NotificationFailed,
    RecipientRole,
    ReferralStarted,
    ServiceType,
)
from standardwebhooks import Webhook

pytestmark = pytest.mark.integration


async def test_a_referral_handled_twice_is_delivered_once_with_the_event_as_body(
    start_notifier, receiver, referral_requested, clock
):
    notifier = await start_notifier()
    event = referral_requested("shelter-kl-1")

    assert await notifier.handle(event) == [Outcome.PROCESSED]
    assert await notifier.handle(event) == [Outcome.DUPLICATE]  # redelivered by Kafka
    assert await notifier.dispatcher.dispatch_once() == 1
    assert await notifier.dispatcher.dispatch_once() == 0

    [sent] = receiver.to("/shelter-kl-1")
    [row] = await notifier.deliveries()
    assert len(receiver.requests) == 1
    assert sent.headers["Content-Type"] == "application/cloudevents+json; charset=utf-8"
    assert sent.headers["Idempotency-Key"] == str(row["notification_id"])
    assert sent.headers["X-Lindung-Delivery-Attempt"] == "1"
    # Signed as Standard Webhooks: what the published verifier recomputes (its own clock
    # check aside: this notifier runs on the test's fixed clock).
    assert sent.headers["webhook-id"] == str(row["notification_id"])
    assert sent.headers["webhook-timestamp"] == str(int(clock.now().timestamp()))
    secret = "whsec_c2hlbHRlci1rbC0xLXNpZ25pbmctc2VjcmV0LTAx"  # the conftest's
    expected = Webhook(secret).sign(str(row["notification_id"]), clock.now(), sent.body.decode())
    assert sent.headers["webhook-signature"] == expected
    body = json.loads(sent.body)
    assert body == json.loads(event.model_dump_json())
    assert body["specversion"] == "1.0"
    assert body["type"] == "org.lindung.referral.requested.v1"
    assert (row["status"], row["attempts"]) == ("delivered", 1)
    [delivered] = await notifier.outbox()
    assert isinstance(delivered, NotificationDelivered)
    assert delivered.notification_id == row["notification_id"]
    assert delivered.cause_event_id == event.id
    assert delivered.cause_type == "org.lindung.referral.requested.v1"
    assert delivered.case_id == event.data.case_id
    assert delivered.referral_id == event.data.referral_id
    assert delivered.recipient == "shelter-kl-1"
    assert (delivered.attempts, delivered.status_code) == (1, 200)


async def test_a_failing_receiver_is_retried_after_backoff_until_it_answers(
    start_notifier, receiver, referral_requested, clock
):
    notifier = await start_notifier(backoff_base_seconds=2, backoff_cap_seconds=4)
    receiver.answer("/shelter-kl-1", 500, 200)
    await notifier.handle(referral_requested("shelter-kl-1"))

    assert await notifier.dispatcher.dispatch_once() == 1
    [row] = await notifier.deliveries()
    assert (row["status"], row["attempts"], row["last_error"]) == (
        "pending",
        1,
        "endpoint answered HTTP 500",
    )
    assert clock.now() < row["next_attempt_at"] <= clock.now() + timedelta(seconds=2)
    assert await notifier.outbox() == []
    assert await notifier.dispatcher.dispatch_once() == 0  # not due yet: backing off

    clock.advance(2)
    assert await notifier.dispatcher.dispatch_once() == 1

    first, second = receiver.to("/shelter-kl-1")
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert first.headers["X-Lindung-Delivery-Attempt"] == "1"
    assert second.headers["X-Lindung-Delivery-Attempt"] == "2"
    [row] = await notifier.deliveries()
    assert (row["status"], row["attempts"]) == ("delivered", 2)
    history = await notifier.attempts(row["notification_id"])
    assert [(a["attempt"], a["status_code"]) for a in history] == [(1, 500), (2, 200)]
    [delivered] = await notifier.outbox()
    assert isinstance(delivered, NotificationDelivered)
    assert (delivered.attempts, delivered.status_code) == (2, 200)


async def test_a_receiver_that_never_succeeds_ends_in_notification_failed(
    start_notifier, receiver, referral_requested, clock
):
    notifier = await start_notifier(max_attempts=3, backoff_base_seconds=1, backoff_cap_seconds=2)
    receiver.answer("/legal-aid-kl", *[503] * 10)
    event = referral_requested("legal-aid-kl")
    await notifier.handle(event)

    for _ in range(10):
        await notifier.dispatcher.dispatch_once()
        clock.advance(2)

    assert len(receiver.to("/legal-aid-kl")) == 3
    [row] = await notifier.deliveries()
    assert (row["status"], row["attempts"]) == ("failed", 3)
    [failed] = await notifier.outbox()
    assert isinstance(failed, NotificationFailed)
    assert failed.attempts == 3
    assert failed.error == "endpoint answered HTTP 503"
    assert failed.recipient == "legal-aid-kl"
    assert failed.cause_event_id == event.id
    assert failed.failed_at == row["finished_at"]


async def test_a_recipient_without_an_endpoint_fails_at_once_saying_why(
    start_notifier, receiver, referral_requested
):
    notifier = await start_notifier()
    await notifier.handle(referral_requested("clinic-nowhere"))

    assert await notifier.dispatcher.dispatch_once() == 1

    assert receiver.requests == []
    [row] = await notifier.deliveries()
    assert (row["status"], row["attempts"]) == ("failed", 1)
    [failed] = await notifier.outbox()
    assert isinstance(failed, NotificationFailed)
    assert failed.error == "no webhook configured for provider clinic-nowhere"
    assert failed.recipient == "clinic-nowhere"


async def test_a_role_without_an_endpoint_stops_start_up_naming_it(start_notifier, endpoints_file):
    document = json.loads(endpoints_file.read_text())
    del document["roles"]["secretariat"]
    endpoints_file.write_text(json.dumps(document))

    with pytest.raises(ConfigError, match="no webhook for role secretariat"):
        await start_notifier()


async def test_a_missed_deadline_reaches_the_case_coordinator(
    start_notifier, receiver, deadline_missed
):
    notifier = await start_notifier()
    event = deadline_missed(RecipientRole.CASE_COORDINATOR)
    await notifier.handle(event)

    await notifier.dispatcher.dispatch_once()

    [sent] = receiver.to("/roles/case_coordinator")
    assert json.loads(sent.body)["type"] == "org.lindung.deadline.missed.v1"
    assert json.loads(sent.body)["data"]["referral_id"] == str(event.data.referral_id)
    # The role's endpoint has no secret: nothing to sign with.
    assert "webhook-signature" not in sent.headers
    [delivered] = await notifier.outbox()
    assert isinstance(delivered, NotificationDelivered)
    assert delivered.recipient == "case_coordinator"
    assert delivered.referral_id == event.data.referral_id


async def test_no_provider_available_reaches_the_case_coordinator(start_notifier, receiver, clock):
    notifier = await start_notifier()
    payload = NoProviderAvailable(
        case_id=uuid.uuid4(),
        service=ServiceType.INTERPRETATION,
        reasons=("child speaks Rohingya",),
        tried=("interpreters-kl",),
        at=clock.now(),
    )
    await notifier.handle(notifier.envelope(payload))

    await notifier.dispatcher.dispatch_once()

    [sent] = receiver.to("/roles/case_coordinator")
    assert json.loads(sent.body)["type"] == "org.lindung.referral.no-provider.v1"
    [delivered] = await notifier.outbox()
    assert isinstance(delivered, NotificationDelivered)
    assert delivered.referral_id is None


async def test_events_the_notifier_does_not_deliver_store_nothing(start_notifier, receiver, clock):
    notifier = await start_notifier()
    payload = ReferralStarted(
        referral_id=uuid.uuid4(),
        case_id=uuid.uuid4(),
        provider_id="shelter-kl-1",
        service=ServiceType.SAFE_SHELTER,
        at=clock.now(),
    )
    assert await notifier.handle(notifier.envelope(payload)) == [Outcome.IGNORED]

    assert await notifier.dispatcher.dispatch_once() == 0
    assert await notifier.deliveries() == []
    assert receiver.requests == []


async def test_one_pass_records_every_outcome_of_its_deliveries(
    start_notifier, receiver, referral_requested, deadline_missed, clock
):
    notifier = await start_notifier(max_attempts=2)
    receiver.answer("/legal-aid-kl", 503)
    delivered, retried, failed = (
        referral_requested("shelter-kl-1"),
        referral_requested("legal-aid-kl"),
        referral_requested("clinic-nowhere"),
    )
    for event in (delivered, retried, failed):
        await notifier.handle(event)

    assert await notifier.dispatcher.dispatch_once() == 3

    rows = {row["cause_event_id"]: row for row in await notifier.deliveries()}
    assert (rows[delivered.id]["status"], rows[delivered.id]["last_status"]) == ("delivered", 200)
    assert (rows[retried.id]["status"], rows[retried.id]["last_error"]) == (
        "pending",
        "endpoint answered HTTP 503",
    )
    assert rows[retried.id]["next_attempt_at"] > clock.now()
    assert (rows[failed.id]["status"], rows[failed.id]["last_error"]) == (
        "failed",
        "no webhook configured for provider clinic-nowhere",
    )
    assert all(row["leased_until"] is None for row in rows.values())
    for row in rows.values():
        [attempt] = await notifier.attempts(row["notification_id"])
        assert attempt["attempt"] == 1
    events = {e.cause_event_id: e for e in await notifier.outbox()}
    assert set(events) == {delivered.id, failed.id}
    assert isinstance(events[delivered.id], NotificationDelivered)
    assert isinstance(events[failed.id], NotificationFailed)


async def test_the_running_dispatcher_sends_a_delivery_as_soon_as_it_is_stored(
    start_notifier, receiver, referral_requested
):
    # Idle for a minute between scans: only the wake-up after each commit can be this quick.
    notifier = await start_notifier(dispatching=True, dispatcher_idle_seconds=60)

    for count in (1, 2):
        await notifier.handle(referral_requested("shelter-kl-1"))
        await receiver.received(count, seconds=10)

    assert len(receiver.to("/shelter-kl-1")) == 2


async def test_a_slow_endpoint_does_not_hold_back_deliveries_to_the_others(
    start_notifier, receiver, referral_requested
):
    # legal-aid-kl answers only after 5 s; the shelter must not wait for it.
    receiver.delay_seconds["/legal-aid-kl"] = 5.0
    notifier = await start_notifier(dispatching=True, dispatcher_idle_seconds=60)
    await notifier.handle(referral_requested("legal-aid-kl"))
    await receiver.received(1, seconds=10)  # the slow request is in flight

    began = asyncio.get_running_loop().time()
    for count in (2, 3, 4):
        await notifier.handle(referral_requested("shelter-kl-1"))
        await receiver.received(count, seconds=10)
    waited = asyncio.get_running_loop().time() - began

    assert waited < 1.0, f"the shelter's deliveries waited {waited:.1f} s behind a slow endpoint"
    async with asyncio.timeout(15):
        while len([d for d in await notifier.deliveries() if d["status"] == "delivered"]) < 4:
            await asyncio.sleep(0.1)


async def test_a_queue_for_a_hanging_endpoint_never_takes_every_slot(
    start_notifier, receiver, referral_requested
):
    # Ten deliveries to an endpoint whose requests hang for 2 s, with eight slots in all:
    # it may hold two of them; the shelter's delivery goes out at once beside them.
    receiver.delay_seconds["/legal-aid-kl"] = 2.0
    notifier = await start_notifier(
        dispatching=True,
        dispatcher_idle_seconds=60,
        dispatcher_batch_size=8,
        max_in_flight_per_recipient=2,
    )
    for _ in range(10):
        await notifier.handle(referral_requested("legal-aid-kl"))
    await receiver.received(2, seconds=10)  # two hanging requests in flight

    began = asyncio.get_running_loop().time()
    await notifier.handle(referral_requested("shelter-kl-1"))
    await receiver.received(3, seconds=10)
    waited = asyncio.get_running_loop().time() - began

    assert waited < 1.0, f"the shelter's delivery waited {waited:.1f} s behind a dead queue"
    assert len(receiver.to("/legal-aid-kl")) == 2  # never more than two at once
    async with asyncio.timeout(60):  # and the queue still drains, two at a time
        while len([d for d in await notifier.deliveries() if d["status"] == "delivered"]) < 11:
            await asyncio.sleep(0.2)


async def test_an_endpoint_that_refuses_the_request_fails_at_once_and_is_reported(
    start_notifier, receiver, referral_requested
):
    notifier = await start_notifier()
    receiver.answer("/legal-aid-kl", 404)
    event = referral_requested("legal-aid-kl")
    await notifier.handle(event)

    assert await notifier.dispatcher.dispatch_once() == 1
    assert await notifier.dispatcher.dispatch_once() == 0  # nothing left to retry

    (row,) = await notifier.deliveries()
    assert (row["status"], row["last_status"]) == ("failed", 404)
    assert len(await notifier.attempts(row["notification_id"])) == 1
    (failed,) = await notifier.outbox()
    assert isinstance(failed, NotificationFailed)
    assert failed.error == "endpoint answered HTTP 404: refused, not retried"
