"""Coordinators see the alerts of their states, with what was tried, and acknowledge them."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from lindung_common.keys import hash_key
from lindung_contracts import (
    ALERT_ACKNOWLEDGEMENTS,
    AlertAcknowledged,
    AlertKind,
    Channel,
    DeadlineMissed,
    DeadlineWarning,
    DetentionEscalated,
    Envelope,
    Location,
    MalaysianState,
    NoProviderAvailable,
    NotificationDelivered,
    PackageDeadlineMissed,
    RecipientRole,
    ReferralMade,
    ServiceType,
    UnacceptedReferral,
    decode,
)

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # the clock fixture's time
# Coordinators' keys bound to the states they cover, beside the test's other keys.
BOUND = {
    "key-of-coordinator-sel-8d1f": ("coordinator-sel", ["selangor", "kuala_lumpur"]),
    "key-of-coordinator-jhr-2c7b": ("coordinator-jhr", ["johor"]),
    "key-of-supervisor-9e3a": ("supervisor", ["*"]),
}
SEL, JHR, SUPERVISOR = ({"Authorization": f"Bearer {key}"} for key in BOUND)


@pytest.fixture
def keys_file(keys_file, key_secret):
    """The test keys, and coordinators' keys bound to states."""
    document = json.loads(keys_file.read_text())
    document["keys"] += [
        {
            "key_id": f"k_{who}",
            "hmac_sha256": hash_key(key, key_secret.encode()),
            "kind": "coordinator",
            "id": who,
            "states": states,
        }
        for key, (who, states) in BOUND.items()
    ]
    keys_file.write_text(json.dumps(document))
    return keys_file


def _raised(payload, source="/lindung/sla-monitor"):
    return Envelope.wrap(payload, event_id=uuid.uuid4(), time=NOW, source=source)


@pytest.fixture
async def case_id(client, callers, identification):
    """A case of a child in Kuala Lumpur."""
    response = await client.post(
        "/v1/identifications", json=identification(), headers=callers.agency
    )
    assert response.status_code == 202, response.text
    return uuid.UUID(response.json()["case_id"])


def _alerts_of(case_id):
    referral_id = uuid.uuid4()
    due = NOW - timedelta(minutes=1)
    missed = DeadlineMissed(
        referral_id=referral_id,
        case_id=case_id,
        provider_id="legal-aid-kl-1",
        service=ServiceType.LEGAL_AID,
        requested_at=NOW - timedelta(hours=24),
        due_at=due,
        notify=RecipientRole.CASE_COORDINATOR,
        fired_at=NOW,
        escalation_level=1,
    )
    nobody = NoProviderAvailable(
        case_id=case_id,
        service=ServiceType.UNHCR,
        reasons=("refugee",),
        tried=("unhcr-kl-1", "unhcr-kl-2"),
        at=NOW,
    )
    package = PackageDeadlineMissed(
        case_id=case_id,
        due_at=due,
        unaccepted=(
            UnacceptedReferral(
                referral_id=referral_id,
                service=ServiceType.LEGAL_AID,
                provider_id="legal-aid-kl-1",
                due_at=due,
            ),
        ),
        notify=RecipientRole.CASE_COORDINATOR,
        fired_at=NOW,
    )
    detained = DetentionEscalated(
        case_id=case_id,
        agency_id="pdrm-kl",
        location=Location.POLICE_LOCKUP,
        state=MalaysianState.KUALA_LUMPUR,
        identified_at=NOW - timedelta(hours=1),
        referrals=(
            ReferralMade(
                referral_id=uuid.uuid4(),
                service=ServiceType.SAFE_SHELTER,
                provider_id="shelter-kl-1",
                due_at=NOW + timedelta(hours=4),
            ),
        ),
        unmet=(ServiceType.UNHCR,),
        notify=RecipientRole.CASE_COORDINATOR,
        at=NOW,
    )
    return [
        _raised(missed),
        _raised(nobody, "/lindung/router"),
        _raised(package),
        _raised(detained, "/lindung/router"),
    ]


async def _acknowledgements(wired) -> list[AlertAcknowledged]:
    async with wired.runtime.service.db.pool.acquire() as conn:
        rows = await conn.fetch("SELECT value FROM outbox WHERE topic = $1 ORDER BY id",
                                ALERT_ACKNOWLEDGEMENTS.name)  # fmt: skip
    return [decode(bytes(row["value"])).data for row in rows]


async def test_a_coordinator_sees_the_alerts_of_their_states_with_what_was_tried(
    client, wired, case_id
):
    alerts = _alerts_of(case_id)
    warning = DeadlineWarning(
        **alerts[0].data.model_dump(exclude={"escalation_level", "cause", "overdue_at_request",
                                             "referral_undelivered"}),
        percent_of_window=75,
    )  # fmt: skip
    # Each delivered twice (a redelivery): kept once; a warning is for the provider, not kept.
    await wired.runtime.deliver(*alerts, *alerts, _raised(warning), consumer="intake")

    response = await client.get("/v1/alerts", headers=SEL)

    assert response.status_code == 200, response.text
    shown = {a["kind"]: a for a in response.json()["alerts"]}
    assert set(shown) == {"deadline_missed", "no_provider", "package_missed", "detention"}
    assert {a["alert_id"] for a in shown.values()} == {str(e.id) for e in alerts}
    assert {a["state"] for a in shown.values()} == {"kuala_lumpur"}
    late = shown["deadline_missed"]
    assert (late["referral_id"], late["escalation_level"]) == (
        str(alerts[0].data.referral_id),
        1,
    )
    assert late["detail"]["provider_id"] == "legal-aid-kl-1"
    assert shown["no_provider"]["detail"]["tried"] == ["unhcr-kl-1", "unhcr-kl-2"]
    assert shown["detention"]["detail"]["unmet"] == ["unhcr"]
    assert all(a["acknowledged_by"] is None for a in shown.values())
    # Another state's coordinator sees none of them; a supervisor of every state sees all.
    assert (await client.get("/v1/alerts", headers=JHR)).json() == {"alerts": []}
    assert len((await client.get("/v1/alerts", headers=SUPERVISOR)).json()["alerts"]) == 4


async def test_acknowledging_takes_ownership_once_and_tells_the_sla_monitor_over_kafka(
    client, wired, case_id, tail
):
    acknowledgements = await tail(ALERT_ACKNOWLEDGEMENTS)
    alerts = _alerts_of(case_id)
    await wired.runtime.deliver(*alerts, consumer="intake")
    missed = alerts[0]

    response = await client.post(f"/v1/alerts/{missed.id}/acknowledge", headers=SEL)

    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["acknowledged_by"], body["acknowledged_at"]) == (
        "coordinator-sel",
        NOW.isoformat().replace("+00:00", "Z"),
    )
    (event,) = await _acknowledgements(wired)
    assert event.model_dump(exclude={"acknowledgement_id"}) == {
        "alert_id": missed.id,
        "kind": AlertKind.DEADLINE_MISSED,
        "case_id": case_id,
        "referral_id": missed.data.referral_id,
        "escalation_level": 1,
        "coordinator_id": "coordinator-sel",
        "acknowledged_at": NOW,
    }
    records = await acknowledgements.until(lambda found: len(found) >= 1)
    assert records[0].key == str(case_id).encode()
    assert decode(records[0].value, records[0].headers).data == event

    # Again, by anyone: nothing new; the first owner stands.
    again = await client.post(f"/v1/alerts/{missed.id}/acknowledge", headers=SUPERVISOR)
    assert again.status_code == 200, again.text
    assert again.json()["acknowledged_by"] == "coordinator-sel"
    assert len(await _acknowledgements(wired)) == 1
    # The queue shows the open alerts first.
    queue = (await client.get("/v1/alerts", headers=SEL)).json()["alerts"]
    assert [a["alert_id"] for a in queue][-1] == str(missed.id)
    assert [a["acknowledged_by"] for a in queue] == [None, None, None, "coordinator-sel"]
    # A limit is per part: more open alerts than it never hide the one somebody holds.
    short = (await client.get("/v1/alerts?limit=1", headers=SEL)).json()["alerts"]
    assert [a["acknowledged_by"] for a in short] == [None, "coordinator-sel"]


async def test_another_state_s_alert_is_not_found_exactly_like_an_unknown_one(
    client, wired, case_id, callers
):
    alerts = _alerts_of(case_id)
    await wired.runtime.deliver(*alerts, consumer="intake")
    unknown = uuid.uuid4()

    theirs = await client.post(f"/v1/alerts/{alerts[1].id}/acknowledge", headers=JHR)
    nothing = await client.post(f"/v1/alerts/{unknown}/acknowledge", headers=JHR)

    assert theirs.status_code == nothing.status_code == 404
    assert theirs.json() == {
        "errors": [{"field": "path", "reason": f"alert {alerts[1].id} not found"}]
    }
    assert nothing.json() == {"errors": [{"field": "path", "reason": f"alert {unknown} not found"}]}
    assert await _acknowledgements(wired) == []
    # Only coordinators' keys see or acknowledge alerts.
    provider = await client.post(f"/v1/alerts/{alerts[1].id}/acknowledge",
                                 headers=callers.provider)  # fmt: skip
    assert provider.status_code == 403
    assert provider.json()["errors"][0]["field"] == "authorization"


def _delivered(alert, recipient, role, at):
    """The notifier's report of an alert delivered to `recipient` (for `role`, if on call)."""
    return _raised(
        NotificationDelivered(
            notification_id=uuid.uuid4(),
            case_id=alert.data.case_id,
            referral_id=getattr(alert.data, "referral_id", None),
            cause_event_id=alert.id,
            cause_type=alert.type,
            recipient=recipient,
            channel=Channel.WEBHOOK,
            attempts=1,
            role=role,
            delivered_at=at,
            status_code=200,
        ),
        "/lindung/notifier",
    )


async def test_the_queue_shows_who_on_call_received_each_alert(client, wired, case_id):
    missed, nobody, _, detained = alerts = _alerts_of(case_id)
    coordinator = RecipientRole.CASE_COORDINATOR
    # Heard before the alert itself (another topic): kept until the alert comes.
    early = _delivered(detained, "kl-cc-night", coordinator, NOW)
    await wired.runtime.deliver(early, consumer="intake")
    await wired.runtime.deliver(*alerts, consumer="intake")
    await wired.runtime.deliver(
        # The duty coordinator could not be reached; the stand-in got it five minutes on.
        _delivered(missed, "kl-cc-lead", coordinator, NOW + timedelta(minutes=5)),
        _delivered(missed, "kl-cc-duty", coordinator, NOW),
        # The role's own endpoint: nobody on call to name.
        _delivered(nobody, "case_coordinator", None, NOW),
        consumer="intake",
    )

    shown = {a["kind"]: a for a in (await client.get("/v1/alerts", headers=SEL)).json()["alerts"]}

    assert shown["detention"]["on_call"] == "kl-cc-night"
    assert shown["deadline_missed"]["on_call"] == "kl-cc-lead"
    assert shown["no_provider"]["on_call"] is None
    assert shown["package_missed"]["on_call"] is None
