"""Legal clocks against the whole system, recorded at the desk in Chromium on a phone.

A coordinator, in Malay on a 360 px phone, records on the case page that the child was
taken into care, then brought before a Protector in time: the sla-monitor (its legal
clocks in minutes, `legal-clocks.toml`) alerts once, for the medical examination nobody
recorded, and the coordinator is told by email with a link to the case, whose page shows
the clocks met and missed. Read from the deadlines topic; axe-core on every page.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from lindung_contracts import DEADLINES, MALAYSIA_TIME, LegalClockMissed
from lindung_devstack.mail import Mailbox
from lindung_devstack.world import Behaviour

if TYPE_CHECKING:
    from lindung_devstack.mail import Mail

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

HERE = Path(__file__).parent
COORDINATOR = "coordinator-sel"
COORDINATOR_MAIL = Mailbox("penyelaras.jam@jkm.example.gov.my", "en")


def behaviour(_: dict[str, Any]) -> Behaviour:
    """Every provider accepts at once: only the legal clocks can alert."""
    return Behaviour("accept", 0.0)


def _body() -> dict[str, Any]:
    return {
        "agency_reference": f"E2E-CLOCKS-{time.time_ns()}",
        "identified_at": datetime.now(UTC).isoformat(),
        "child": {"age_years": 12, "gender": "male", "nationality_status": "citizen"},
        "situation": {"location": "police_lockup", "state": "selangor"},
        "personal": {"name": "Amin Jam", "whereabouts": "Balai Polis Ujian"},
    }


async def _record(person, kind: str, at: datetime) -> str:
    """Fill and send the case page's milestone form; the text of the page it leads to."""
    await person.page.select_option("#milestone-kind", kind)
    await person.page.fill("#milestone-at", at.astimezone(MALAYSIA_TIME).strftime("%Y-%m-%dT%H:%M"))
    return str(await person.press("form.milestone"))


async def test_a_protector_in_time_stops_one_clock_and_the_missed_examination_alerts_once(
    identify, start_system, keycloak, mail_server, people, from_now, eventually
):
    services, _, keys = await start_system(
        behaviour,
        intake=keycloak.intake_settings(),
        sla_monitor={"legal_clocks_file": str(HERE / "legal-clocks.toml")},
        mail=mail_server,
        mailboxes={"case_coordinator": COORDINATOR_MAIL},
    )
    desk = f"{services['intake'].url}/desk"
    deadlines = await from_now(DEADLINES)
    case_id = await identify(services, keys, _body())
    coordinator = await people(COORDINATOR, "ms", "legal-clocks")
    await coordinator.open(f"{desk}/cases/{case_id}")
    await coordinator.choose_language()
    await coordinator.check("case-milestones")

    # Recorded a minute and more after the custody, as happens: the examination's 60 s
    # clock has run out by then, the Protector's 10 min one has not.
    taken = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    text = await _record(coordinator, "taken_into_care", taken)
    assert "Peristiwa telah direkodkan" in text
    assert "Diambil ke dalam jagaan sementara" in text
    await coordinator.check("taken-into-care")
    text = await _record(coordinator, "brought_before_protector", taken)
    assert "Dibawa ke hadapan Pelindung" in text

    missed = await deadlines.first(
        lambda e: isinstance(e, LegalClockMissed) and str(e.case_id) == case_id, timeout=60
    )
    assert missed.clock == "medical_examination"
    assert missed.due_at == taken + timedelta(seconds=60)
    assert missed.notify.value == "case_coordinator"

    def told() -> Mail | None:
        for mail in mail_server.to(COORDINATOR_MAIL.address):
            if "Legal time limit MISSED" in str(mail.message["Subject"]) and any(
                link.endswith(f"/desk/cases/{case_id}") for link in mail.links
            ):
                return mail
        return None

    mail: Mail = await eventually(told, timeout=60, what="the legal clock email")
    assert "medical examination done" in mail.body
    assert "Child Act 2001 s.20" in mail.body
    assert "Amin Jam" not in mail.body

    # The Protector's clock was stopped in time: nothing more comes for the case.
    await asyncio.sleep(5)
    await deadlines.read()
    alerts = [e for e in deadlines.seen if isinstance(e, LegalClockMissed)]
    assert [(str(e.case_id), e.clock) for e in alerts] == [(case_id, "medical_examination")]

    # The case page shows both clocks: the Protector's met, the examination's missed.
    async def both_shown() -> str | None:
        await coordinator.page.goto(mail.links[0])
        text = str(await coordinator.page.inner_text("main"))
        return text if "terlepas" in text and "dipenuhi" in text else None

    text = await eventually(both_shown, timeout=30, what="the clocks on the case page")
    assert "Had masa undang-undang terlepas" in text  # the alert, on the case
    assert "Child Act 2001 s.20" in text
    await coordinator.check("case-after-alert")
