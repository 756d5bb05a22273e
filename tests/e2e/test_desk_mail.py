"""From an email to the desk, in Debian's Chromium, against the whole system.

The four services run as processes on the run's broker and PostgreSQL, intake's desk signed
in at the run's Keycloak, the notifier mailing two providers and the case coordinator
through the run's stand-in mail relay (the other providers keep their webhooks, and their
stand-in systems accept at once). A shelter worker opens the link in the referral email
read from the relay, signs in, sees what consent allows and accepts: `ReferralAccepted`
is on Kafka and, past the shelter's deadline, no escalation fires for it while a referral
nobody answered escalates to the coordinator's mailbox. A legal-aid worker, in Malay on a
360 px phone, accepts, starts and completes with an outcome from the email's link, and the
operations dashboard counts the service as delivered. Axe-core on every page; screenshots
in `test-artifacts/` (or `$LINDUNG_TEST_ARTIFACTS`).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from lindung_contracts import (
    DEADLINES,
    REFERRALS,
    DeadlineMissed,
    ReferralAccepted,
    ReferralCompleted,
    ReferralRequested,
)
from lindung_devstack.mail import Mailbox
from lindung_devstack.world import Behaviour

if TYPE_CHECKING:
    from lindung_devstack.mail import Mail

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

HERE = Path(__file__).parent
AGENCY = "pdrm-selangor"
SHELTER, LEGAL_AID = "shelter-sel-1", "legal-aid-sel-1"
MAILBOXES = {
    SHELTER: Mailbox("rujukan@shelter-sel-1.example.org.my", "en"),
    LEGAL_AID: Mailbox("kes@legal-aid-sel-1.example.org.my", "ms"),
    "case_coordinator": Mailbox("penyelaras.sel@jkm.example.gov.my", "en"),
}
COORDINATOR_MAIL = MAILBOXES["case_coordinator"].address
NAME, WHEREABOUTS = "Nur Emeltest", "Rumah Emeltest, Klang"


def accept_at_once(_referral: dict[str, Any]) -> Behaviour:
    """Every provider told by webhook has a system that accepts at once."""
    return Behaviour("accept", 0.0)


@pytest.fixture(scope="module")
async def system(four_services, keycloak, mail_server, tmp_path_factory):
    """The four services, the desk signed in at Keycloak, some people told by email."""
    async with four_services(
        tmp_path_factory.mktemp("desk-mail"),
        accept_at_once,
        policy=HERE / "desk-mail-policy.toml",
        intake=keycloak.intake_settings(),
        mail=mail_server,
        mailboxes=MAILBOXES,
    ) as running:
        yield running


def _body(consent: list[str]) -> dict[str, Any]:
    """An identification the agency reports, with its consent."""
    return {
        "agency_reference": f"E2E-MAIL-{time.time_ns()}",
        "identified_at": datetime.now(UTC).isoformat(),
        "child": {"age_years": 14, "gender": "female", "nationality_status": "stateless",
                  "languages": ["ms"]},
        "situation": {"location": "community", "state": "selangor",
                      "indicators": ["forced_labour"]},
        "personal": {"name": NAME, "whereabouts": WHEREABOUTS},
        "consent": {"categories": consent, "given_by": "child"},
    }  # fmt: skip


async def _requested(topics: Any, case_id: str, service: str) -> ReferralRequested:
    requested: ReferralRequested = await topics.first(
        lambda e: (
            isinstance(e, ReferralRequested) and str(e.case_id) == case_id and e.service == service
        )
    )
    return requested


async def _mail(mail_server, eventually, recipient: str, referral_id: str) -> Mail:
    """The first email to `recipient` whose link leads to the referral's desk page."""

    def found() -> Mail | None:
        for mail in mail_server.to(MAILBOXES[recipient].address):
            if any(link.endswith(f"/desk/referrals/{referral_id}") for link in mail.links):
                return mail
        return None

    mail: Mail = await eventually(found, timeout=60, what=f"the email to {recipient}")
    assert NAME not in mail.body
    assert WHEREABOUTS not in mail.body  # an email carries nothing personal, only the link
    return mail


async def test_a_shelter_worker_accepts_from_the_email_and_nothing_escalates_for_it(
    identify, system, people, from_now, mail_server, eventually
):
    services, _, keys = system
    topics = await from_now(REFERRALS, DEADLINES)
    case_id = await identify(services, keys, _body(["shelter"]))
    unanswered_case = await identify(services, keys, _body(["shelter"]))
    referral = await _requested(topics, case_id, "safe_shelter")
    unanswered = await _requested(topics, unanswered_case, "safe_shelter")
    assert referral.provider_id == unanswered.provider_id == SHELTER
    mail = await _mail(mail_server, eventually, SHELTER, str(referral.referral_id))
    assert ": accept by " in str(mail.message["Subject"])  # in the reader's English

    worker = await people(SHELTER, "en", f"mail-{SHELTER}-en")
    assert await worker.open(mail.links[0])  # the link leads to Keycloak's sign-in first
    await worker.choose_language()
    text = await worker.page.inner_text("main")
    # What consent allows a shelter: where the child is, not who the child is.
    assert WHEREABOUTS in text
    assert NAME not in text
    await worker.check("referral")
    assert "You accepted the referral." in await worker.act("accept")
    await worker.check("accepted")
    accepted = await topics.first(
        lambda e: isinstance(e, ReferralAccepted) and e.referral_id == referral.referral_id
    )
    assert accepted.provider_id == SHELTER

    # Past both deadlines (and a few of the sla-monitor's ticks): the unanswered
    # referral escalates to the coordinator, by email; the accepted one does not.
    missed = await topics.first(
        lambda e: isinstance(e, DeadlineMissed) and e.referral_id == unanswered.referral_id,
        timeout=max(unanswered.due_at, referral.due_at).timestamp() - time.time() + 30,
    )
    assert missed.escalation_level == 1
    while datetime.now(UTC) < referral.due_at + timedelta(seconds=3):
        await topics.read()
    await topics.read()
    assert [
        e
        for e in topics.seen
        if isinstance(e, DeadlineMissed) and e.referral_id == referral.referral_id
    ] == []
    told = [m.body for m in mail_server.to(COORDINATOR_MAIL)]
    assert any(str(unanswered.referral_id) in body for body in told)
    assert not any(str(referral.referral_id) in body for body in told)


async def test_a_legal_aid_worker_completes_from_the_email_in_malay_and_it_counts_as_delivered(
    identify, system, people, from_now, mail_server, eventually
):
    services, _, keys = system
    operations = {"Authorization": f"Bearer {keys.operations['operations']}"}
    async with httpx.AsyncClient(base_url=services["sla-monitor"].url) as dashboard:

        async def delivered() -> dict[str, int]:
            summary = await dashboard.get("/dashboard/api/summary?last=24h", headers=operations)
            assert summary.status_code == 200, summary.text
            figure = summary.json()["services_delivered"]
            legal = [d for d in figure["by_service"] if d["service"] == "legal_aid"]
            return {"all": figure["delivered"], "legal_aid": legal[0]["delivered"] if legal else 0}

        before = await delivered()
        topics = await from_now(REFERRALS, DEADLINES)
        case_id = await identify(services, keys, _body(["shelter"]))
        referral = await _requested(topics, case_id, "legal_aid")
        assert referral.provider_id == LEGAL_AID
        mail = await _mail(mail_server, eventually, LEGAL_AID, str(referral.referral_id))
        assert ": terima sebelum " in str(mail.message["Subject"])  # in the reader's Malay

        worker = await people(LEGAL_AID, "ms", f"mail-{LEGAL_AID}-ms")
        assert await worker.open(mail.links[0])  # the link leads to Keycloak's sign-in first
        await worker.choose_language()
        text = await worker.page.inner_text("main")
        assert "Tiada apa dikongsi" in text  # no consent for legal aid: nothing shown
        assert WHEREABOUTS not in text
        await worker.check("referral")
        assert "Anda telah menerima rujukan ini." in await worker.act("accept")
        assert "Perkhidmatan telah bermula." in await worker.act("start")
        await worker.page.check("#outcome-delivered")
        await worker.check("complete-form")
        assert "Perkhidmatan telah selesai." in await worker.act("complete")
        await worker.check("completed")
        completed = await topics.first(
            lambda e: isinstance(e, ReferralCompleted) and e.referral_id == referral.referral_id
        )
        assert completed.outcome is not None
        assert completed.outcome.value == "delivered"

        async def counted() -> dict[str, int] | None:
            now = await delivered()
            return now if now["legal_aid"] > before["legal_aid"] else None

        after = await eventually(counted, timeout=30, what="the dashboard counting it")
    assert after["legal_aid"] == before["legal_aid"] + 1
    assert after["all"] == before["all"] + 1
