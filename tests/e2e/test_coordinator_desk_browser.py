"""The coordinator's desk in Debian's Chromium, against the whole system.

The four services run as processes on the run's broker and PostgreSQL, intake with its
desk signed in at the run's Keycloak. A coordinator, signed in at the desk, follows a
level-1 alert's link and takes the alert: level 2 waits the acknowledgement window, then
fires with legal aid still silent (read from the deadlines topic). A coordinator sends a shelter
referral to a shelter they phoned: the first shelter's page shows it taken back and
its late accept is refused. In English on a laptop and in Malay on a 360 px phone;
axe-core on every page; screenshots in `test-artifacts/` (or `$LINDUNG_TEST_ARTIFACTS`).

The coordinator is told by email, through the run's stand-in mail relay; the level-1
link is the one in that email.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest
from lindung_contracts import DEADLINES, DeadlineMissed
from lindung_devstack.mail import Mailbox
from lindung_devstack.world import Behaviour

if TYPE_CHECKING:
    from lindung_devstack.mail import Mail

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

HERE = Path(__file__).parent
AGENCY = "pdrm-selangor"
COORDINATOR, FIRST, CHOSEN = "coordinator-sel", "shelter-sel-1", "shelter-sel-2"
REQUESTED = "org.lindung.referral.requested.v1"
MISSED = "org.lindung.deadline.missed.v1"
LEGAL_AID_WINDOW = timedelta(seconds=15)  # coordinator-desk-policy.toml; level 2 as long after
ACKNOWLEDGEMENT_WINDOW = timedelta(seconds=20)  # coordinator-desk-policy.toml
COORDINATOR_MAIL = Mailbox("penyelaras.desk@jkm.example.gov.my", "en")


def behaviour(referral: dict[str, Any]) -> Behaviour:
    """Shelters are people at the desk, legal aid never answers, the rest accept at once."""
    if referral["service"] in {"safe_shelter", "legal_aid"}:
        return Behaviour("ignore")
    return Behaviour("accept", 0.0)


@pytest.fixture(scope="module")
async def system(four_services, keycloak, mail_server, tmp_path_factory):
    """The four services, intake's desk signed in at Keycloak, the coordinator told by email."""
    workdir = tmp_path_factory.mktemp("coordinator-desk")
    async with four_services(
        workdir,
        behaviour,
        policy=HERE / "coordinator-desk-policy.toml",
        intake=keycloak.intake_settings(),
        mail=mail_server,
        mailboxes={"case_coordinator": COORDINATOR_MAIL},
    ) as running:
        yield running


def _body(consent: list[str]) -> dict[str, Any]:
    """An identification the agency reports, with its consent."""
    body: dict[str, Any] = {
        "agency_reference": f"E2E-COORD-{time.time_ns()}",
        "identified_at": datetime.now(UTC).isoformat(),
        "child": {"age_years": 13, "gender": "female", "nationality_status": "citizen"},
        "situation": {"location": "community", "state": "selangor"},
        "personal": {"name": "Siti Penyelaras", "whereabouts": "Rumah Ujian, Shah Alam"},
    }
    if consent:
        body["consent"] = {"categories": consent, "given_by": "child"}
    return body


async def _referral(standin, eventually, case_id: str, service: str, provider: str = "") -> Any:
    def found() -> dict[str, Any] | None:
        for received in standin.at(f"/providers/{provider}"):
            data: Any = received.event["data"]
            if (
                received.event["type"] == REQUESTED
                and data["case_id"] == case_id
                and data["service"] == service
            ):
                return dict(data)
        return None

    return await eventually(found, timeout=60, what=f"the {service} referral {provider}")


async def test_a_coordinator_takes_level_1_and_level_2_waits_the_window_then_fires(
    identify, system, people, from_now, mail_server, stack, eventually
):
    services, standin, keys = system
    desk = f"{services['intake'].url}/desk"
    deadlines = await from_now(DEADLINES)
    case_id = await identify(services, keys, _body([]))
    referral = await _referral(standin, eventually, case_id, "legal_aid")
    referral_id = referral["referral_id"]
    # The coordinator is at the desk already (signed in) when the level-1 email comes.
    coordinator = await people(COORDINATOR, "en", "coordinator-ack")
    await coordinator.open(f"{desk}/")

    def level1() -> Mail | None:
        for mail in mail_server.to(COORDINATOR_MAIL.address):
            if "LATE, level 1" in str(mail.message["Subject"]) and any(
                link.endswith(f"/desk/referrals/{referral_id}") for link in mail.links
            ):
                return mail
        return None

    mail: Mail = await eventually(level1, timeout=60, what="the level-1 email")
    assert "Siti Penyelaras" not in mail.body  # an email carries nothing personal
    await coordinator.open(mail.links[0])
    text = await coordinator.page.inner_text("main")
    assert "Late referral: level 1" in text
    assert referral["provider_id"] in text
    assert "Siti Penyelaras" not in text  # no personal details on a coordinator's page
    await coordinator.check("referral-level-1")

    text = await coordinator.press("form[action$='/acknowledge']")
    assert "You have taken the alert" in text
    assert f"Taken by {COORDINATOR}" in text
    await coordinator.check("acknowledged")

    conn = await asyncpg.connect(stack.database_url)
    try:
        taken_at = await conn.fetchval(
            "SELECT acknowledged_at FROM intake.alerts WHERE referral_id = $1"
            " AND escalation_level = 1 AND acknowledged_by = $2",
            uuid.UUID(referral_id),
            COORDINATOR,
        )
    finally:
        await conn.close()
    assert taken_at is not None
    planned = datetime.fromisoformat(referral["due_at"]) + LEGAL_AID_WINDOW
    assert taken_at + ACKNOWLEDGEMENT_WINDOW > planned + timedelta(seconds=5)  # held

    # Level 2 comes only when the window from the acknowledgement has ended with legal
    # aid still silent: the first level 2 on the topic, and it is after the window.
    level2 = await deadlines.first(
        lambda e: (
            isinstance(e, DeadlineMissed)
            and str(e.referral_id) == referral_id
            and e.escalation_level == 2
        ),
        timeout=90,
    )
    assert level2.fired_at >= taken_at + ACKNOWLEDGEMENT_WINDOW, (level2.fired_at, taken_at)

    # Level 2 is the supervisor's: it reaches their queue, beside the level 1 the
    # coordinator holds; the coordinator's queue keeps to the coordinator's alerts.
    await _level_2_at_the_supervisor(people, desk, eventually)
    await coordinator.page.goto(f"{desk}/")
    text = await coordinator.page.inner_text("main")
    assert "Late referral: level 1" in text
    assert "Late referral: level 2" not in text
    await coordinator.page.goto(f"{desk}/cases/{case_id}")
    text = await coordinator.page.inner_text("main")
    assert "Alert taken" in text
    await coordinator.check("case")


async def _level_2_at_the_supervisor(people, desk: str, eventually) -> None:
    """The supervisor's queue shows level 2, and level 1 held by the coordinator."""
    supervisor = await people("supervisor", "en", "supervisor-level-2")
    await supervisor.open(f"{desk}/")

    async def shown() -> str | None:
        await supervisor.page.goto(f"{desk}/")
        text = await supervisor.page.inner_text("main")
        return text if "Late referral: level 2" in text else None

    text = await eventually(shown, timeout=30, what="level 2 in the supervisor's queue")
    assert f"Taken by {COORDINATOR}" in text  # level 1, held by the coordinator
    await supervisor.check("queue-level-2")


async def test_a_coordinator_sends_a_referral_to_a_chosen_shelter_and_the_first_is_refused(
    identify, system, people, eventually
):
    services, standin, keys = system
    desk = f"{services['intake'].url}/desk"
    case_id = await identify(services, keys, _body(["shelter"]))
    referral = await _referral(standin, eventually, case_id, "safe_shelter", FIRST)
    link = f"{desk}/referrals/{referral['referral_id']}"
    worker = await people(FIRST, "ms", "shelter-taken-back")
    coordinator = await people(COORDINATOR, "ms", "coordinator-send")
    await worker.open(link)  # the shelter has the page open, not yet accepted
    await worker.choose_language()
    assert await worker.page.locator("form[action$='/accept'] button").count() == 1

    await coordinator.open(link)
    await coordinator.choose_language()
    await coordinator.page.fill("#other-provider", CHOSEN)
    await coordinator.page.select_option("#send-reason", "coordinator_arranged")
    await coordinator.page.fill("#send-note", "Warden Rumah 2 setuju melalui telefon")
    await coordinator.check("send-form")
    text = await coordinator.press("form.send")
    assert "Rujukan sedang dihantar semula" in text
    await coordinator.check("sent")

    moved = await _referral(standin, eventually, case_id, "safe_shelter", CHOSEN)
    assert moved["attempt"] == 2

    async def taken_back() -> bool:
        await coordinator.page.goto(link)
        return "ditarik balik" in await coordinator.page.inner_text("main")

    await eventually(taken_back, timeout=30, what="the first referral taken back")
    await coordinator.check("taken-back")
    await coordinator.page.goto(f"{desk}/cases/{case_id}")
    text = await coordinator.page.inner_text("main")
    assert "Dihantar kepada pembekal lain" in text  # the timeline
    assert CHOSEN in text
    await coordinator.check("case")
    await coordinator.page.goto(f"{desk}/")
    await coordinator.check("queue")

    # The first shelter accepts from the page it had open: refused, nothing done.
    text = await worker.press("form[action$='/accept']")
    assert "Tiada apa yang diubah" in text
    await worker.check("late-accept-refused")
    await worker.page.goto(link)
    text = await worker.page.inner_text("main")
    assert "telah ditarik balik daripada anda" in text
    assert await worker.page.locator("form[action$='/accept']").count() == 0
    await worker.check("withdrawn")
