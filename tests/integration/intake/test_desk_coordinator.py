"""The coordinator's desk over HTTP, signed in at the real Keycloak: queue, case, acts.

Intake runs in-process on the real PostgreSQL; the browser is an HTTP client that signs
in on Keycloak's own login form. The alerts and referrals come as the router's and the
sla-monitor's events would; each act is checked from what intake queued and kept.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from lindung_common import Record, client_options
from lindung_contracts import (
    NOTIFICATIONS,
    Channel,
    DeadlineMissed,
    DetentionEscalated,
    Envelope,
    LegalClockChanged,
    LegalClockMissed,
    LegalClockState,
    Location,
    MalaysianState,
    MilestoneKind,
    NotificationDelivered,
    NotificationFailed,
    RecipientRole,
    ReferralMade,
    ServiceType,
    encode,
)
from lindung_intake.entrypoints.desk import coordinating

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # the clock fixture's time
DESK = "http://127.0.0.1:8080/desk"
SEL, JHR = "coordinator-sel", "coordinator-jhr"  # Kuala Lumpur is Selangor's coordinator's


@pytest.fixture
def settings_overrides(keycloak) -> dict[str, Any]:
    return keycloak.intake_settings(DESK)


@pytest.fixture
def browser(client, person_at):
    """A person's browser at the desk (in-process) and at the real Keycloak."""
    return person_at(client)


@pytest.fixture
async def late(client, callers, wired, identification, referral_requested):
    """A case in Kuala Lumpur, its shelter referral, and that referral's level-1 alert."""
    opened = await client.post("/v1/identifications", json=identification(), headers=callers.agency)
    assert opened.status_code == 202, opened.text
    case_id = uuid.UUID(opened.json()["case_id"])
    requested = referral_requested(provider_id="shelter-kl-1", case_id=case_id)
    await wired.runtime.deliver(requested, consumer="intake")
    referral = requested.data
    missed = DeadlineMissed(
        referral_id=referral.referral_id,
        case_id=case_id,
        provider_id="shelter-kl-1",
        service=ServiceType.SAFE_SHELTER,
        requested_at=referral.requested_at,
        due_at=NOW - timedelta(minutes=1),
        notify=RecipientRole.CASE_COORDINATOR,
        fired_at=NOW,
        escalation_level=1,
    )
    alert = Envelope.wrap(missed, event_id=uuid.uuid4(), time=NOW, source="/lindung/sla-monitor")
    await wired.runtime.deliver(alert, consumer="intake")
    return case_id, referral.referral_id, alert.id


def _main(page: httpx.Response) -> str:
    return re.search(r"<main.*</main>", page.text, re.DOTALL)[0]


def _csrf(page: httpx.Response) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page.text)[1]


async def _queued(outbox, kind: str) -> list[Any]:
    return [row["event"].data for row in await outbox() if row["event"].type == kind]


async def test_a_coordinator_follows_the_alert_link_and_takes_the_alert(
    browser, late, outbox, wired
):
    case_id, referral_id, alert_id = late

    page = await browser.sign_in(SEL, f"/desk/referrals/{referral_id}")

    assert page.status_code == 200, page.text
    main = _main(page)
    assert "shelter-kl-1" in main
    assert "Late referral: level 1" in main
    assert "Level 1 → the case coordinator" in main  # the ladder, its step fired
    assert "<strong>sent</strong>" in main
    taken = await browser.http.post(
        f"/desk/alerts/{alert_id}/acknowledge",
        data={"csrf": _csrf(page), "next": f"/desk/referrals/{referral_id}"},
    )
    assert taken.status_code == 303
    assert taken.headers["location"] == f"/desk/referrals/{referral_id}?done=acknowledged"
    [acknowledged] = await _queued(outbox, "org.lindung.alert.acknowledged.v1")
    assert acknowledged.alert_id == alert_id
    assert acknowledged.coordinator_id == SEL
    queue = _main(await browser.http.get("/desk/"))
    assert f"Taken by <strong>{SEL}</strong>" in queue
    async with wired.runtime.service.db.pool.acquire() as conn:
        reads = await conn.fetch(
            "SELECT resource, reader_person, shown FROM read_audit WHERE resource_id = $1",
            case_id,
        )
    assert {(r["resource"], r["reader_person"], r["shown"]) for r in reads} == {("case", SEL, True)}


async def test_a_case_outside_the_coordinators_states_is_not_found_like_an_unknown_one(
    browser, late, wired
):
    case_id, referral_id, _ = late

    theirs = await browser.sign_in(JHR, f"/desk/cases/{case_id}")
    unknown = await browser.http.get(f"/desk/cases/{uuid.uuid4()}")
    referral = await browser.http.get(f"/desk/referrals/{referral_id}")

    assert theirs.status_code == unknown.status_code == referral.status_code == 404
    assert _main(theirs) == _main(unknown) == _main(referral)
    async with wired.runtime.service.db.pool.acquire() as conn:
        reads = await conn.fetch(
            "SELECT reader_person, shown FROM read_audit WHERE resource_id = ANY($1::uuid[])",
            [case_id, referral_id],
        )
    assert [(r["reader_person"], r["shown"]) for r in reads] == [(JHR, False)] * 2


async def test_a_coordinator_sends_the_referral_to_a_chosen_provider_pauses_and_closes(
    browser, late, outbox
):
    case_id, referral_id, _ = late
    page = await browser.sign_in(SEL, f"/desk/referrals/{referral_id}")
    csrf = _csrf(page)

    sent = await browser.http.post(
        f"/desk/referrals/{referral_id}/send",
        data={"csrf": csrf, "provider": "", "other_provider": "shelter-kl-2",
              "reason": "coordinator_arranged", "note": "Spoke to the warden"},
    )  # fmt: skip
    assert sent.status_code == 303, sent.text
    [moving] = await _queued(outbox, "org.lindung.referral.reassignment-requested.v1")
    assert (moving.referral_id, moving.provider_id) == (referral_id, "shelter-kl-2")
    again = await browser.http.post(
        f"/desk/referrals/{referral_id}/send", data={"csrf": csrf, "reason": "no_answer"}
    )
    assert again.status_code == 409
    assert "Nothing was changed" in _main(again)
    bad = await browser.http.post(
        f"/desk/referrals/{referral_id}/send",
        data={"csrf": csrf, "other_provider": "Not An Id", "reason": "no_answer"},
    )
    assert bad.status_code == 422
    unsigned = await browser.http.post(
        f"/desk/cases/{case_id}/close", data={"outcome": "services_in_place"}
    )
    assert unsigned.status_code == 403

    closed = await browser.http.post(
        f"/desk/cases/{case_id}/close", data={"csrf": csrf, "outcome": "services_in_place"}
    )
    assert closed.status_code == 303, closed.text
    [closing] = await _queued(outbox, "org.lindung.case.close-requested.v1")
    assert closing.case_id == case_id
    assert closing.coordinator_id == SEL


async def test_the_queue_and_the_case_in_malay(browser, late):
    case_id, _, _ = late
    await browser.sign_in(SEL, "/desk/")
    page = await browser.http.get("/desk/")
    chosen = await browser.http.post(
        "/desk/language", data={"csrf": _csrf(page), "language": "ms", "next": "/desk/"}
    )
    assert chosen.status_code == 303

    queue = await browser.http.get("/desk/")
    case = await browser.http.get(f"/desk/cases/{case_id}")

    assert '<html lang="ms">' in queue.text
    assert "Rujukan lewat: tahap 1" in _main(queue)
    assert "Saya uruskan" in _main(queue)
    assert "Apa yang berlaku" in _main(case)
    assert "Tutup kes" in _main(case)


async def test_a_coordinator_pauses_the_clock_and_keeps_a_sealed_note_on_the_case(
    browser, late, outbox, wired
):
    case_id, referral_id, _ = late
    page = await browser.sign_in(SEL, f"/desk/referrals/{referral_id}")
    csrf = _csrf(page)

    paused = await browser.http.post(
        f"/desk/referrals/{referral_id}/clock",
        data={"csrf": csrf, "action": "pause", "reason": "child_in_hospital"},
    )
    assert paused.status_code == 303, paused.text
    [pause] = await _queued(outbox, "org.lindung.referral.clock-change-requested.v1")
    assert (pause.referral_id, pause.action.value, pause.reason.value) == (
        referral_id, "pause", "child_in_hospital",
    )  # fmt: skip
    noted = await browser.http.post(
        f"/desk/cases/{case_id}/note", data={"csrf": csrf, "note": "Ibu saudara di Klang"}
    )
    assert noted.status_code == 303, noted.text
    blank = await browser.http.post(f"/desk/cases/{case_id}/note", data={"csrf": csrf, "note": " "})
    assert blank.status_code == 422

    case = _main(await browser.http.get(f"/desk/cases/{case_id}"))
    assert "Ibu saudara di Klang" in case
    assert "Clock paused" in case
    async with wired.runtime.service.db.pool.acquire() as conn:
        stored = await conn.fetchrow(
            "SELECT about, reason, referral_id, words FROM notes WHERE case_id = $1", case_id
        )
        audited = await conn.fetchval(
            "SELECT count(*) FROM read_audit WHERE resource = 'notes' AND resource_id = $1"
            " AND reader_person = $2 AND shown",
            case_id,
            SEL,
        )
    assert (stored["about"], stored["reason"], stored["referral_id"]) == ("case", "other", None)
    assert b"Ibu saudara" not in bytes(stored["words"])  # sealed
    assert audited == 1
    assert all("Ibu saudara" not in e["event"].model_dump_json() for e in await outbox())


async def test_a_supervisor_covers_every_state(browser, late):
    case_id, referral_id, _ = late

    case = await browser.sign_in("supervisor", f"/desk/cases/{case_id}")
    queue = await browser.http.get("/desk/")

    assert case.status_code == 200, case.text
    assert "Alerts of the states you cover: every state" in _main(queue)
    assert f"/desk/referrals/{referral_id}" in _main(queue)


async def test_a_coordinator_s_queue_holds_their_alerts_a_supervisor_s_theirs_and_the_level_below(
    browser, late, wired, person_at
):
    case_id, referral_id, first = late
    second = DeadlineMissed(
        referral_id=referral_id, case_id=case_id, provider_id="shelter-kl-1",
        service=ServiceType.SAFE_SHELTER, requested_at=NOW - timedelta(hours=4),
        due_at=NOW - timedelta(minutes=1), notify=RecipientRole.SUPERVISOR, fired_at=NOW,
        escalation_level=2,
    )  # fmt: skip
    to_supervisor = Envelope.wrap(second, event_id=uuid.uuid4(), time=NOW, source="/lindung/sla")
    await wired.runtime.deliver(to_supervisor, consumer="intake")
    transport = httpx.ASGITransport(app=wired.api)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as other:
        supervisor = person_at(other)
        coordinators = _main(await browser.sign_in(SEL, "/desk/"))
        supervisors = _main(await supervisor.sign_in("supervisor", "/desk/"))
        # Both read the case page of a state they cover.
        case_pages = [await b.http.get(f"/desk/cases/{case_id}") for b in (browser, supervisor)]
        # A coordinator taking the supervisor's alert is told it is not there.
        csrf = re.search(r'name="csrf" value="([^"]+)"', coordinators)[1]
        taken = await browser.http.post(
            f"/desk/alerts/{to_supervisor.id}/acknowledge",
            data={"csrf": csrf, "next": "/desk/"},
        )

    assert f"/desk/alerts/{first}/acknowledge" in coordinators
    assert f"/desk/alerts/{to_supervisor.id}/acknowledge" not in coordinators
    assert f"/desk/alerts/{first}/acknowledge" in supervisors  # may step in
    assert f"/desk/alerts/{to_supervisor.id}/acknowledge" in supervisors
    assert [p.status_code for p in case_pages] == [200, 200]
    assert taken.status_code == 404
    async with wired.runtime.service.db.pool.acquire() as conn:
        stored = await conn.fetch("SELECT notify, acknowledged_by FROM alerts WHERE case_id = $1",
                                  case_id)  # fmt: skip
        roles = await conn.fetch("SELECT person, role FROM desk_sessions ORDER BY started_at")
    assert sorted((r["notify"], r["acknowledged_by"]) for r in stored) == [
        ("case_coordinator", None), ("supervisor", None)
    ]  # fmt: skip
    assert {(r["person"], r["role"]) for r in roles} >= {(SEL, "coordinator"),
                                                         ("supervisor", "supervisor")}  # fmt: skip


async def test_a_notice_the_notifier_gave_up_on_is_an_alert_in_the_coordinator_s_queue(
    stack, browser, late, wired, outbox
):
    case_id, referral_id, _ = late
    gave_up = NotificationFailed(
        notification_id=uuid.uuid4(), case_id=case_id, referral_id=referral_id,
        cause_event_id=uuid.uuid4(), cause_type="org.lindung.referral.requested.v1",
        recipient="shelter-kl-1", channel=Channel.EMAIL, attempts=5, failed_at=NOW,
        error="smtp 550 mailbox unavailable",
    )  # fmt: skip
    failed = Envelope.wrap(gave_up, event_id=uuid.uuid4(), time=NOW, source="/lindung/notifier")
    record = encode(failed)
    producer = AIOKafkaProducer(**stack.kafka("notifier"))  # as the notifier publishes it
    await producer.start()
    try:
        meta = await producer.send_and_wait(
            record.topic, value=record.value, key=record.key, headers=list(record.headers)
        )
    finally:
        await producer.stop()
    # Read back with intake's own credentials (its read rights on the topic), then handed
    # to its mirror's consume path as its worker would; twice, as a redelivery would.
    read = await _read_as_intake(wired, meta.partition, meta.offset)
    await wired.runtime.deliver_records(read, read, consumer="intake")

    queue = _main(await browser.sign_in(SEL, "/desk/"))
    card = re.search(rf'<li[^>]*id="a-{failed.id}".*?</li>', queue, re.DOTALL)
    csrf = re.search(r'name="csrf" value="([^"]+)"', queue)[1]
    taken = await browser.http.post(
        f"/desk/alerts/{failed.id}/acknowledge", data={"csrf": csrf, "next": "/desk/"}
    )

    assert record.topic == NOTIFICATIONS.name
    assert card, queue
    assert "Notice not delivered" in card[0]
    assert "Notice the referral to" in card[0]  # the kind of notice in words, never its type
    assert "org.lindung" not in card[0]
    assert "shelter-kl-1" in card[0]
    assert "by email" in card[0]
    assert "5 attempts" in card[0]
    assert "smtp" not in card[0]  # the notifier's error stays with the notifier
    async with wired.runtime.service.db.pool.acquire() as conn:
        kept = await conn.fetch("SELECT * FROM alerts WHERE alert_id = $1", failed.id)
    assert len(kept) == 1
    assert (kept[0]["kind"], kept[0]["notify"], kept[0]["referral_id"], kept[0]["state"]) == (
        "delivery_failed", "case_coordinator", referral_id, "kuala_lumpur"
    )  # fmt: skip
    assert "smtp" not in kept[0]["detail"]
    assert taken.status_code == 303
    [acknowledged] = await _queued(outbox, "org.lindung.alert.acknowledged.v1")
    assert (acknowledged.alert_id, acknowledged.kind.value) == (failed.id, "delivery_failed")
    assert acknowledged.referral_id is None  # a case's alert: no ladder above it


async def _read_as_intake(wired, partition: int, offset: int) -> Record:
    consumer = AIOKafkaConsumer(**client_options(wired.settings), enable_auto_commit=False)
    await consumer.start()
    try:
        where = TopicPartition(NOTIFICATIONS.name, partition)
        consumer.assign([where])
        consumer.seek(where, offset)
        message = await asyncio.wait_for(consumer.getone(), timeout=30)
    finally:
        await consumer.stop()
    return Record(
        topic=message.topic, partition=message.partition, offset=message.offset,
        key=message.key, value=message.value, headers=tuple(message.headers),
    )  # fmt: skip


async def test_a_queue_longer_than_the_page_says_how_many_and_that_the_newest_are_shown(
    browser, late, wired, monkeypatch
):
    case_id, referral_id, _ = late
    monkeypatch.setattr(coordinating, "QUEUE_SHOWN", 1)  # two open alerts, one shown
    later = DeadlineMissed(
        referral_id=referral_id, case_id=case_id, provider_id="shelter-kl-1",
        service=ServiceType.SAFE_SHELTER, requested_at=NOW - timedelta(hours=4),
        due_at=NOW - timedelta(minutes=1), notify=RecipientRole.CASE_COORDINATOR,
        fired_at=NOW + timedelta(minutes=5), escalation_level=1,
    )  # fmt: skip
    newer = Envelope.wrap(later, event_id=uuid.uuid4(), time=NOW, source="/lindung/sla-monitor")
    await wired.runtime.deliver(newer, consumer="intake")

    queue = _main(await browser.sign_in(SEL, "/desk/"))

    assert 'Waiting for someone to take them <span class="count">(2)</span>' in queue
    assert "The newest 1 are shown; older ones appear as these are handled." in queue
    assert queue.count("/acknowledge") == 1


async def test_the_queue_shows_who_on_call_received_the_alert(browser, late, wired):
    case_id, referral_id, alert_id = late
    delivered = NotificationDelivered(
        notification_id=uuid.uuid4(),
        case_id=case_id,
        referral_id=referral_id,
        cause_event_id=alert_id,
        cause_type="org.lindung.deadline.missed.v1",
        recipient="kl-cc-night",
        channel=Channel.SMS,
        attempts=1,
        role=RecipientRole.CASE_COORDINATOR,
        delivered_at=NOW,
        status_code=200,
    )
    report = Envelope.wrap(delivered, event_id=uuid.uuid4(), time=NOW, source="/lindung/notifier")
    await wired.runtime.deliver(report, consumer="intake")

    page = await browser.sign_in(SEL, "/desk/")

    assert "Sent to, on call: <strong>kl-cc-night</strong>" in _main(page)


async def test_a_coordinator_records_a_legal_milestone_on_the_case_page(browser, late, outbox):
    case_id, _, _ = late
    page = await browser.sign_in(SEL, f"/desk/cases/{case_id}")
    assert "Legal milestones" in _main(page)
    assert 'type="datetime-local"' in _main(page)
    csrf = _csrf(page)

    # 06:00 in Malaysia, as the form's datetime-local field gives it: 22:00 UTC the day before.
    recorded = await browser.http.post(
        f"/desk/cases/{case_id}/milestones",
        data={"csrf": csrf, "kind": "taken_into_care", "at": "2026-03-03T06:00"},
    )
    assert recorded.status_code == 303, recorded.text
    [milestone] = await _queued(outbox, "org.lindung.case.milestone-recorded.v1")
    assert (milestone.case_id, milestone.kind.value, milestone.coordinator_id) == (
        case_id, "taken_into_care", SEL,
    )  # fmt: skip
    assert milestone.at == datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
    shown = await browser.http.get(recorded.headers["location"])
    assert "Taken into temporary custody" in _main(shown)
    assert "The milestone is recorded" in _main(shown)

    again = await browser.http.post(
        f"/desk/cases/{case_id}/milestones",
        data={"csrf": csrf, "kind": "taken_into_care", "at": "2026-03-03T05:00"},
    )
    assert again.status_code == 409
    for wrong in (
        {"kind": "rescued", "at": "2026-03-03T05:00"},
        {"kind": "court_date_set", "at": "2026-03-03T05:00"},
        {"kind": "court_date_set", "at": "2026-03-03T05:00", "court_date": "20 March"},
        {"kind": "brought_before_protector", "at": "yesterday"},
    ):
        bad = await browser.http.post(
            f"/desk/cases/{case_id}/milestones", data={"csrf": csrf, **wrong}
        )
        assert bad.status_code == 422, (wrong, bad.status_code)
    assert len(await _queued(outbox, "org.lindung.case.milestone-recorded.v1")) == 1


async def test_a_missed_legal_clock_is_an_alert_in_the_queue_and_on_the_case(browser, late, wired):
    case_id, _, _ = late
    missed = LegalClockMissed(
        case_id=case_id,
        clock="medical_examination",
        started_by=MilestoneKind.TAKEN_INTO_CARE,
        started_at=NOW - timedelta(hours=48),
        stopped_by=MilestoneKind.MEDICAL_EXAMINATION_DONE,
        due_at=NOW,
        source="Child Act 2001 s.20",
        notify=RecipientRole.CASE_COORDINATOR,
        fired_at=NOW,
    )
    alert = Envelope.wrap(missed, event_id=uuid.uuid4(), time=NOW, source="/lindung/sla-monitor")
    common = {"case_id": case_id, "started_by": MilestoneKind.TAKEN_INTO_CARE,
              "started_at": NOW - timedelta(hours=48), "at": NOW}  # fmt: skip
    changes = [
        LegalClockChanged(**common, clock="before_protector", state=LegalClockState.RUNNING,
                          stopped_by=MilestoneKind.BROUGHT_BEFORE_PROTECTOR,
                          due_at=NOW - timedelta(hours=36), source="Child Act 2001 s.18"),
        LegalClockChanged(**common, clock="before_protector", state=LegalClockState.MET,
                          stopped_by=MilestoneKind.BROUGHT_BEFORE_PROTECTOR,
                          due_at=NOW - timedelta(hours=36), source="Child Act 2001 s.18",
                          stopped_at=NOW - timedelta(hours=40)),
        LegalClockChanged(**common, clock="medical_examination", state=LegalClockState.MISSED,
                          stopped_by=MilestoneKind.MEDICAL_EXAMINATION_DONE, due_at=NOW,
                          source="Child Act 2001 s.20"),
        # A repeat of an earlier change, arriving late: a met clock does not run again.
        LegalClockChanged(**common, clock="before_protector", state=LegalClockState.RUNNING,
                          stopped_by=MilestoneKind.BROUGHT_BEFORE_PROTECTOR,
                          due_at=NOW - timedelta(hours=36), source="Child Act 2001 s.18"),
    ]  # fmt: skip
    await wired.runtime.deliver(
        alert,
        *(Envelope.wrap(c, event_id=uuid.uuid4(), time=NOW, source="/lindung/sla-monitor")
          for c in changes),
        consumer="intake",
    )  # fmt: skip

    queue = await browser.sign_in(SEL, "/desk/")
    case = await browser.http.get(f"/desk/cases/{case_id}")

    assert "Legal time limit missed" in _main(queue)
    assert "Medical examination done: not recorded" in _main(case)
    assert "Child Act 2001 s.20" in _main(case)
    assert "Legal time limits" in _main(case)
    shown = re.sub(r"\s+", " ", _main(case))
    assert re.search(r"Brought before a Protector, due by [^<]*: <strong>met</strong>", shown)
    assert re.search(r"Medical examination done, due by [^<]*: <strong>missed</strong>", shown)


async def test_a_detention_alert_says_how_many_referrals_were_made_and_what_is_not_in_place(
    browser, late, wired
):
    case_id, referral_id, _ = late

    def detention(*unmet: ServiceType) -> Envelope:
        made = ReferralMade(
            referral_id=referral_id,
            service=ServiceType.SAFE_SHELTER,
            provider_id="shelter-kl-1",
            due_at=NOW + timedelta(hours=4),
        )
        alert = DetentionEscalated(
            case_id=case_id,
            agency_id="pdrm-kl",
            location=Location.IMMIGRATION_DETENTION,
            state=MalaysianState.KUALA_LUMPUR,
            identified_at=NOW - timedelta(minutes=5),
            referrals=(made,),
            unmet=unmet,
            notify=RecipientRole.CASE_COORDINATOR,
            at=NOW,
        )
        return Envelope.wrap(alert, event_id=uuid.uuid4(), time=NOW, source="/lindung/router")

    await wired.runtime.deliver(detention(), detention(ServiceType.LEGAL_AID), consumer="intake")
    queue = re.sub(r"\s+", " ", _main(await browser.sign_in(SEL, "/desk/")))
    page = await browser.http.get("/desk/")
    await browser.http.post(
        "/desk/language", data={"csrf": _csrf(page), "language": "ms", "next": "/desk/"}
    )
    baris = re.sub(r"\s+", " ", _main(await browser.http.get("/desk/")))

    # Everything referred: what was done, and no empty "not yet in place:" after it.
    assert re.search(r"immigration detention; referrals made: 1 ?</span>", queue), queue
    assert "immigration detention; referrals made: 1; not yet in place: Legal aid" in queue
    assert re.search(r"; rujukan dibuat: 1 ?</span>", baris), baris
    assert re.search(r"; rujukan dibuat: 1; belum tersedia: [A-Z]", baris), baris
