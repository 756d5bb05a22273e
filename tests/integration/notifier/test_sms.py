"""SMS-class notices: a second delivery beside the webhook, through the HTTP gateway, with a
reference and a link only; recorded and reported on their own."""

from __future__ import annotations

import json

import pytest
from lindung_contracts import Channel, NotificationDelivered, RecipientRole
from lindung_notifier.adapters.endpoints_file import EndpointsFileError

pytestmark = pytest.mark.integration

TOKEN = "gateway-token-for-tests"
DESK = "https://lindung.example.gov.my/desk"


@pytest.fixture
def endpoints_file(tmp_path, receiver):
    """The shelter has a webhook and a phone; the coordinator a phone only, in English."""
    document = {
        "providers": {
            "shelter-kl-1": {
                "webhook_url": receiver.url("/shelter-kl-1"),
                "sms": {"to": "+60123456789"},
            },
        },
        "roles": {
            "case_coordinator": {"sms": {"to": "+60198765432", "language": "en"}},
            "supervisor": {"webhook_url": receiver.url("/roles/supervisor")},
            "secretariat": {"webhook_url": receiver.url("/roles/secretariat")},
        },
    }
    path = tmp_path / "endpoints.json"
    path.write_text(json.dumps(document))
    return path


async def test_a_referral_goes_by_webhook_and_by_sms_and_the_sms_says_nothing_of_the_case(
    start_notifier, receiver, referral_requested
):
    notifier = await start_notifier(
        sms_gateway_url=receiver.url("/sms-gateway"),
        sms_gateway_token=TOKEN,
        desk_url=DESK,
    )
    event = referral_requested("shelter-kl-1")

    await notifier.handle(event)
    await notifier.handle(event)  # redelivered by Kafka: still one delivery per channel
    assert await notifier.dispatcher.dispatch_once() == 2

    [webhook] = receiver.to("/shelter-kl-1")
    [sms] = receiver.to("/sms-gateway")
    assert json.loads(webhook.body)["id"] == str(event.id)
    assert sms.headers["Authorization"] == f"Bearer {TOKEN}"
    sent = json.loads(sms.body)
    assert set(sent) == {"to", "text", "reference"}
    assert sent["to"] == "+60123456789"
    assert sent["text"] == (
        f"Lindung: Rujukan baharu, ref {sent['reference']}. "
        f"Lihat {DESK}/referrals/{event.data.referral_id}"
    )
    # The link's referral id is all of the case an SMS carries.
    for detail in (str(event.data.case_id), "shelter-kl-1"):
        assert detail not in sms.body.decode()
    rows = await notifier.deliveries()
    assert sorted((r["channel"], r["status"]) for r in rows) == [
        ("sms", "delivered"),
        ("webhook", "delivered"),
    ]
    reported = await notifier.outbox()
    assert sorted(r.channel for r in reported) == [Channel.SMS, Channel.WEBHOOK]
    assert all(isinstance(r, NotificationDelivered) for r in reported)


async def test_a_role_reached_only_by_sms_gets_its_escalation_in_english(
    start_notifier, receiver, deadline_missed
):
    notifier = await start_notifier(sms_gateway_url=receiver.url("/sms-gateway"))
    await notifier.handle(deadline_missed(RecipientRole.CASE_COORDINATOR))

    await notifier.dispatcher.dispatch_once()

    [sms] = receiver.to("/sms-gateway")
    assert json.loads(sms.body)["text"].startswith("Lindung: LATE, escalation 1, ref ")
    assert "Authorization" not in sms.headers  # no token configured
    assert receiver.to("/roles/case_coordinator") == []


async def test_sms_recipients_without_a_gateway_stop_the_start_naming_them(start_notifier):
    with pytest.raises(EndpointsFileError, match="provider shelter-kl-1, role case_coordinator"):
        await start_notifier()
