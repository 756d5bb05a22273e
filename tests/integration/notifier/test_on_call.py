"""Who is on call: a role's alert reaches the person on duty for the case's state, or after.

02:00 on Saturday 30 May 2026 in Malaysia is Pesta Kaamatan, a public holiday in Sabah
only (the `holidays` package's, checked below). Sabah's night coordinator does not work
holidays; its holiday duty coordinator does. In Selangor it is an ordinary Saturday night.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pytest
from lindung_common import ConfigError
from lindung_contracts import (
    DetentionEscalated,
    Location,
    MalaysianState,
    NotificationDelivered,
    NotificationFailed,
    RecipientRole,
)
from lindung_notifier.domain import HolidayCalendar

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration

KAAMATAN = date(2026, 5, 30)
TWO_AM_KAAMATAN = datetime(2026, 5, 29, 18, 0, tzinfo=UTC)  # 02:00 on 30 May in Malaysia
WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def rota_document(receiver: Any) -> dict[str, Any]:
    def person(name: str) -> dict[str, Any]:
        return {"name": name, "webhook_url": receiver.url(f"/people/{name}")}

    def night(who: str, stand_in: str) -> dict[str, Any]:
        return {
            "person": who,
            "days": WEEK,
            "start": "18:00",
            "end": "08:00",
            "stand_ins": [stand_in],
        }

    def office(who: str) -> dict[str, Any]:
        return {"person": who, "days": WEEK[:5], "start": "08:00", "end": "18:00"}

    holiday_duty = {
        "person": "sbh-duty",
        "days": ["public_holiday"],
        "start": "00:00",
        "end": "00:00",
        "stand_ins": ["sbh-lead", "sbh-deputy"],
    }
    people = [
        "sbh-day",
        "sbh-night",
        "sbh-duty",
        "sbh-lead",
        "sbh-deputy",
        "sgr-day",
        "sgr-night",
        "sgr-lead",
    ]
    return {
        "hand_over_after_attempts": 2,
        "people": {p: person(p) for p in people},
        "rotas": {
            "case_coordinator": {
                "sabah": {
                    "shifts": [office("sbh-day"), night("sbh-night", "sbh-lead"), holiday_duty]
                },
                "selangor": {
                    "shifts": [
                        office("sgr-day"),
                        {**night("sgr-night", "sgr-lead"), "public_holidays": True},
                    ]
                },
            }
        },
    }


@pytest.fixture
def rotas_file(tmp_path: Path, receiver: Any) -> Path:
    path = tmp_path / "rotas.json"
    path.write_text(json.dumps(rota_document(receiver)))
    return path


@pytest.fixture
async def on_call_notifier(start_notifier, rotas_file, clock):
    clock.advance((TWO_AM_KAAMATAN - clock.now()).total_seconds())
    return await start_notifier(rotas_file=rotas_file)


def detention(notifier: Any, state: MalaysianState, at: datetime) -> Any:
    return notifier.envelope(
        DetentionEscalated(
            case_id=uuid.uuid4(),
            agency_id="pdrm-kl",
            location=Location.IMMIGRATION_DETENTION,
            state=state,
            identified_at=at,
            referrals=(),
            unmet=(),
            notify=RecipientRole.CASE_COORDINATOR,
            at=at,
        )
    )


async def choices(notifier: Any) -> list[Any]:
    async with notifier.pool.acquire() as conn:
        return await conn.fetch(
            "SELECT c.*, d.recipient_kind, d.recipient, d.status FROM on_call_choices c"
            " JOIN deliveries d USING (notification_id) ORDER BY c.chosen_at, c.position"
        )


async def deliver_all(notifier: Any, clock: Any, passes: int = 6) -> None:
    """Dispatch passes, each after every retry is due."""
    for _ in range(passes):
        await notifier.dispatcher.dispatch_once()
        clock.advance(3600)


def test_pesta_kaamatan_is_a_holiday_in_sabah_and_not_in_selangor():
    calendar = HolidayCalendar()
    assert "Kaamatan" in (calendar.name(MalaysianState.SABAH, KAAMATAN) or "")
    assert not calendar.is_holiday(MalaysianState.SELANGOR, KAAMATAN)


async def test_at_two_on_kaamatan_a_sabah_alert_reaches_sabahs_holiday_duty_coordinator(
    on_call_notifier, receiver, clock
):
    notifier = on_call_notifier
    sabah = detention(notifier, MalaysianState.SABAH, clock.now())
    selangor = detention(notifier, MalaysianState.SELANGOR, clock.now())
    await notifier.handle(sabah)
    await notifier.handle(selangor)

    await deliver_all(notifier, clock, passes=1)

    [to_duty] = receiver.to("/people/sbh-duty")
    assert json.loads(to_duty.body)["id"] == str(sabah.id)
    [to_night] = receiver.to("/people/sgr-night")
    assert json.loads(to_night.body)["id"] == str(selangor.id)
    assert {r.path for r in receiver.requests} == {"/people/sbh-duty", "/people/sgr-night"}
    rows = {row["cause_event_id"]: row for row in await choices(notifier)}
    assert (rows[sabah.id]["person_id"], rows[sabah.id]["why"]) == ("sbh-duty", "on_duty")
    assert (rows[sabah.id]["state"], rows[sabah.id]["decided_for"]) == ("sabah", TWO_AM_KAAMATAN)
    assert (rows[sabah.id]["recipient_kind"], rows[sabah.id]["status"]) == ("person", "delivered")
    assert rows[selangor.id]["person_id"] == "sgr-night"
    delivered = [e for e in await notifier.outbox() if isinstance(e, NotificationDelivered)]
    assert {(e.cause_event_id, e.recipient, e.role) for e in delivered} == {
        (sabah.id, "sbh-duty", RecipientRole.CASE_COORDINATOR),
        (selangor.id, "sgr-night", RecipientRole.CASE_COORDINATOR),
    }


async def test_an_escalation_of_a_sabah_referral_goes_by_the_state_its_referral_said(
    on_call_notifier, receiver, clock, referral_requested, deadline_missed
):
    notifier = on_call_notifier
    requested = referral_requested("shelter-kl-1")
    requested = notifier.envelope(requested.data.model_copy(update={"state": MalaysianState.SABAH}))
    await notifier.handle(requested)
    missed = deadline_missed(RecipientRole.CASE_COORDINATOR, like=requested)
    assert not hasattr(missed.data, "state")  # the escalation itself does not say
    await notifier.handle(missed)

    await deliver_all(notifier, clock, passes=1)

    [to_duty] = receiver.to("/people/sbh-duty")
    assert json.loads(to_duty.body)["id"] == str(missed.id)
    [row] = await choices(notifier)
    assert (row["case_id"], row["state"], row["person_id"]) == (
        requested.data.case_id,
        "sabah",
        "sbh-duty",
    )


async def test_a_failing_duty_coordinator_hands_the_alert_to_the_stand_in(
    on_call_notifier, receiver, clock
):
    notifier = on_call_notifier
    receiver.answer("/people/sbh-duty", 503, 503, 503)
    alert = detention(notifier, MalaysianState.SABAH, clock.now())
    await notifier.handle(alert)

    await deliver_all(notifier, clock)

    assert len(receiver.to("/people/sbh-duty")) == 2  # hand_over_after_attempts
    [to_lead] = receiver.to("/people/sbh-lead")
    assert json.loads(to_lead.body)["id"] == str(alert.id)
    rows = await choices(notifier)
    assert [(r["person_id"], r["position"], r["why"], r["status"]) for r in rows] == [
        ("sbh-duty", 0, "on_duty", "failed"),
        ("sbh-lead", 1, "stand_in", "delivered"),
    ]
    events = await notifier.outbox()
    assert not [e for e in events if isinstance(e, NotificationFailed)]
    [delivered] = [e for e in events if isinstance(e, NotificationDelivered)]
    assert (delivered.recipient, delivered.role, delivered.cause_event_id) == (
        "sbh-lead",
        RecipientRole.CASE_COORDINATOR,
        alert.id,
    )


async def test_when_no_one_on_the_rota_answers_the_role_endpoint_gets_the_alert(
    on_call_notifier, receiver, clock
):
    notifier = on_call_notifier
    for person in ("sbh-duty", "sbh-lead", "sbh-deputy"):
        receiver.answer(f"/people/{person}", 410)  # refused: handed over at once
    alert = detention(notifier, MalaysianState.SABAH, clock.now())
    await notifier.handle(alert)

    await deliver_all(notifier, clock)

    assert [r.path for r in receiver.requests] == [
        "/people/sbh-duty",
        "/people/sbh-lead",
        "/people/sbh-deputy",
        "/roles/case_coordinator",
    ]
    rows = await choices(notifier)
    assert [(r["person_id"], r["why"]) for r in rows] == [
        ("sbh-duty", "on_duty"),
        ("sbh-lead", "stand_in"),
        ("sbh-deputy", "stand_in"),
        (None, "last_resort"),
    ]
    [delivered] = [e for e in await notifier.outbox() if isinstance(e, NotificationDelivered)]
    assert (delivered.recipient, delivered.role) == ("case_coordinator", None)


async def test_on_a_working_morning_in_sabah_the_day_coordinator_holds_the_alert(
    on_call_notifier, receiver, clock
):
    notifier = on_call_notifier
    # Wednesday 3 June 2026, 10:00 in Malaysia: Kaamatan's observed day was the day before.
    clock.advance((datetime(2026, 6, 3, 2, 0, tzinfo=UTC) - clock.now()).total_seconds())
    alert = detention(notifier, MalaysianState.SABAH, clock.now())
    await notifier.handle(alert)

    await deliver_all(notifier, clock, passes=1)

    assert [r.path for r in receiver.requests] == ["/people/sbh-day"]
    [row] = await choices(notifier)
    assert (row["person_id"], row["why"], row["status"]) == ("sbh-day", "on_duty", "delivered")


async def test_a_person_to_email_without_a_mail_relay_stops_start_up(
    start_notifier, rotas_file, receiver
):
    document = rota_document(receiver)
    document["people"]["sbh-lead"]["email"] = {"address": "lead@jkm.example"}
    rotas_file.write_text(json.dumps(document))

    with pytest.raises(ConfigError, match=r"people\.sbh-lead must get email, but NOTIFIER_SMTP"):
        await start_notifier(rotas_file=rotas_file)


async def test_without_a_rota_file_a_role_alert_goes_to_the_role_endpoint(
    start_notifier, receiver, clock
):
    clock.advance((TWO_AM_KAAMATAN - clock.now()).total_seconds())
    notifier = await start_notifier()
    await notifier.handle(detention(notifier, MalaysianState.SABAH, clock.now()))

    await deliver_all(notifier, clock, passes=1)

    assert [r.path for r in receiver.requests] == ["/roles/case_coordinator"]
    assert await choices(notifier) == []


@pytest.mark.parametrize(
    ("sms_answers", "reached"),
    [
        ((200,), ["sbh-duty"]),  # the SMS got through: no one else is troubled
        ((410,), ["sbh-duty", "sbh-lead"]),  # both refused: the stand-in, once
    ],
)
async def test_a_person_is_handed_over_only_once_every_channel_to_them_has_failed(
    start_notifier, rotas_file, receiver, clock, sms_answers, reached
):
    document = rota_document(receiver)
    document["people"]["sbh-duty"]["sms"] = {"to": "+60198765433"}
    rotas_file.write_text(json.dumps(document))
    clock.advance((TWO_AM_KAAMATAN - clock.now()).total_seconds())
    notifier = await start_notifier(rotas_file=rotas_file, sms_gateway_url=receiver.url("/sms"))
    receiver.answer("/people/sbh-duty", 410)
    receiver.answer("/sms", *sms_answers)
    await notifier.handle(detention(notifier, MalaysianState.SABAH, clock.now()))

    await deliver_all(notifier, clock)

    rows = await choices(notifier)
    assert sorted({r["person_id"] for r in rows}) == reached
    assert len(receiver.to("/people/sbh-lead")) == len(reached) - 1
    assert not [e for e in await notifier.outbox() if isinstance(e, NotificationFailed)]
