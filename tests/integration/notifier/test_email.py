"""Email notices through a real SMTP server in this process (the devstack's stand-in relay,
aiosmtpd), over STARTTLS with a CA of its own: read back as delivered, in Malay and in
English."""

from __future__ import annotations

import json
import re
import uuid
from typing import TYPE_CHECKING

import pytest
from lindung_common import Outcome
from lindung_contracts import (
    Channel,
    Envelope,
    NoProviderAvailable,
    NotificationDelivered,
    NotificationFailed,
    ReasonCode,
    RecipientRole,
    ReferralCancelled,
    ReferralDeclined,
    ReferralRerouted,
    ServiceType,
)
from lindung_devstack.mail import MailServer
from lindung_notifier.metrics import ATTEMPTS

if TYPE_CHECKING:
    from email.message import EmailMessage

pytestmark = pytest.mark.integration

COORDINATOR = "penyelaras.kl@jkm.example.gov.my"
SUPERVISOR = "supervisor.kl@jkm.example.gov.my"
REFUSED = "nobody@jkm.example.gov.my"
DESK = "https://lindung.example.gov.my/desk"
SHELTER = "rujukan@shelter-kl-1.example.org.my"


@pytest.fixture
def mail_server(tmp_path):
    """The stand-in relay (STARTTLS, its own CA); the gone provider's mailbox refused."""
    with MailServer(tmp_path / "mail", refuse={REFUSED}) as server:
        yield server


def _to(mail_server: MailServer, address: str) -> list[EmailMessage]:
    """The messages to `address`, as delivered."""
    return [mail.message for mail in mail_server.to(address)]


@pytest.fixture
def endpoints_file(tmp_path, receiver):
    """The coordinator reads Malay, the supervisor English; one provider's mailbox is gone."""
    document = {
        "providers": {
            "shelter-kl-1": {
                "webhook_url": receiver.url("/shelter-kl-1"),
                "email": {"address": SHELTER},  # in Malay, the default
            },
            "legal-aid-kl": {"email": {"address": REFUSED, "language": "en"}},
        },
        "roles": {
            "case_coordinator": {"email": {"address": COORDINATOR}},
            "supervisor": {
                "webhook_url": receiver.url("/roles/supervisor"),
                "email": {"address": SUPERVISOR, "language": "en"},
            },
            "secretariat": {"webhook_url": receiver.url("/roles/secretariat")},
        },
    }
    path = tmp_path / "endpoints.json"
    path.write_text(json.dumps(document))
    return path


async def _mailing(start_notifier, mail_server):
    return await start_notifier(**mail_server.notifier_settings(), desk_url=DESK)


async def test_escalations_arrive_by_email_in_each_reader_s_language_with_what_was_tried(
    start_notifier, mail_server, receiver, referral_requested, deadline_missed, clock
):
    notifier = await _mailing(start_notifier, mail_server)
    asked = referral_requested("shelter-kl-1")
    declined = Envelope.wrap(
        ReferralDeclined(
            referral_id=asked.data.referral_id,
            case_id=asked.data.case_id,
            provider_id="shelter-kl-1",
            service=asked.data.service,
            at=clock.now(),
            reason="at_capacity",
        ),
        event_id=uuid.uuid4(),
        time=clock.now(),
        source="/lindung/router",
    )
    await notifier.handle(asked)
    assert await notifier.handle(declined) == [Outcome.PROCESSED]
    level1 = deadline_missed(RecipientRole.CASE_COORDINATOR, like=asked)
    level2 = deadline_missed(RecipientRole.SUPERVISOR, like=asked, level=2)
    for event in (level1, level2):
        await notifier.handle(event)

    while await notifier.dispatcher.dispatch_once():
        pass

    (malay,) = _to(mail_server, COORDINATOR)
    (english,) = _to(mail_server, SUPERVISOR)
    assert malay["Subject"].startswith("[Lindung] LEWAT, tahap 1: tempat perlindungan")
    assert malay["Content-Language"] == "ms"
    assert english["Subject"].startswith("[Lindung] LATE, level 2: safe shelter")
    assert english["From"] == "Lindung <lindung@jkm.example.gov.my>"
    text = english.get_content()
    assert "shelter-kl-1: asked" in text
    assert "shelter-kl-1: declined" in text
    assert f"Where to act: {DESK}/referrals/{asked.data.referral_id}" in text.splitlines()
    assert f"Tindakan di: {DESK}/referrals/{asked.data.referral_id}" in (
        malay.get_content().splitlines()
    )
    assert "at capacity tonight" not in text  # a provider's own words are not passed on
    assert "shelter-kl-1: menolak" in malay.get_content()
    # The supervisor gets the webhook too; each channel is reported on its own.
    assert receiver.to("/roles/supervisor")
    reported = [e for e in await notifier.outbox() if isinstance(e, NotificationDelivered)]
    assert sorted((e.recipient, e.channel) for e in reported if e.recipient != "shelter-kl-1") == [
        ("case_coordinator", Channel.EMAIL),
        ("supervisor", Channel.EMAIL),
        ("supervisor", Channel.WEBHOOK),
    ]


def _no_provider(clock) -> Envelope:
    return Envelope.wrap(
        NoProviderAvailable(
            case_id=uuid.uuid4(),
            service=ServiceType.LEGAL_AID,
            reasons=("every identified child",),
            tried=("legal-aid-kl",),
            at=clock.now(),
        ),
        event_id=uuid.uuid4(),
        time=clock.now(),
        source="/lindung/router",
    )


async def test_a_case_alert_links_to_the_case_and_without_a_desk_gives_its_reference(
    start_notifier, mail_server, clock
):
    notifier = await _mailing(start_notifier, mail_server)
    linked_alert = _no_provider(clock)
    await notifier.handle(linked_alert)
    while await notifier.dispatcher.dispatch_once():
        pass
    deskless = await start_notifier(
        smtp_host="127.0.0.1", smtp_port=mail_server.port, smtp_ca_file=mail_server.ca_file
    )
    await deskless.handle(_no_provider(clock))
    while await deskless.dispatcher.dispatch_once():
        pass

    linked, unlinked = (m.get_content() for m in _to(mail_server, COORDINATOR))
    (link,) = re.findall(r"https?://\S+", linked)
    assert link == f"{DESK}/cases/{linked_alert.data.case_id}"
    assert f"Cari penyedia secara manual: {link}" in linked.splitlines()
    assert re.findall(r"https?://\S+", unlinked) == []
    assert "Cari penyedia secara manual" not in unlinked
    assert re.fullmatch(r"Rujukan [0-9A-F]{8}\.", unlinked.splitlines()[-1])


async def test_a_withdrawal_says_why_in_the_provider_s_language_never_as_a_code(
    start_notifier, mail_server, referral_requested, clock
):
    notifier = await _mailing(start_notifier, mail_server)
    moved, ended, old = (referral_requested("shelter-kl-1").data for _ in range(3))
    common = {"provider_id": "shelter-kl-1", "service": moved.service, "at": clock.now()}
    withdrawals = [
        ReferralRerouted(
            **common,
            referral_id=moved.referral_id,
            case_id=moved.case_id,
            reason="shelter-kl-1 was withdrawn by case coordinator coordinator-kl: "
            "coordinator_arranged",
            new_referral_id=uuid.uuid4(),
            new_provider_id="shelter-kl-2",
            reason_code=ReasonCode.COORDINATOR_ARRANGED,
            coordinator_id="coordinator-kl",
        ),
        ReferralCancelled(
            **common,
            referral_id=ended.referral_id,
            case_id=ended.case_id,
            reason="did not answer before the deadline, no provider left: no answer by then",
            reason_code=ReasonCode.NO_ANSWER,
        ),
        # From a router that predates reason codes: its own text is all there is.
        ReferralRerouted(
            **common,
            referral_id=old.referral_id,
            case_id=old.case_id,
            reason="shelter-kl-1 declined: at_capacity",
            new_referral_id=uuid.uuid4(),
            new_provider_id="shelter-kl-2",
        ),
    ]
    for event in withdrawals:
        envelope = Envelope.wrap(
            event, event_id=uuid.uuid4(), time=clock.now(), source="/lindung/router"
        )
        assert await notifier.handle(envelope) == [Outcome.PROCESSED]

    while await notifier.dispatcher.dispatch_once():
        pass

    mails = {m["Subject"]: m for m in _to(mail_server, SHELTER)}
    rerouted = mails[f"[Lindung] Rujukan {moved.referral_id} ditarik balik: jangan bertindak"]
    cancelled = mails[f"[Lindung] Rujukan {ended.referral_id} dibatalkan"]
    before = mails[f"[Lindung] Rujukan {old.referral_id} ditarik balik: jangan bertindak"]
    assert rerouted["Content-Language"] == "ms"
    text = rerouted.get_content()
    assert "Sebab:         penyelaras kes telah mengatur perkhidmatan dengan penyedia lain" in text
    assert "coordinator_arranged" not in text
    assert "withdrawn by" not in text
    assert "Sebab:         tiada jawapan sebelum tarikh akhir" in cancelled.get_content()
    assert "did not answer" not in cancelled.get_content()
    assert "Sebab:         shelter-kl-1 declined: at_capacity" in before.get_content()
    # What was tried, for a later escalation: moved by a person, not taken back for silence.
    async with notifier.pool.acquire() as conn:
        history = await conn.fetch("SELECT referral_id, what FROM case_history")
    assert {(r["referral_id"], r["what"]) for r in history} == {
        (moved.referral_id, "reassigned"),
        (old.referral_id, "withdrawn"),
    }


async def test_a_mailbox_the_server_refuses_fails_at_once_and_is_reported(
    start_notifier, mail_server, referral_requested
):
    notifier = await _mailing(start_notifier, mail_server)
    gave_up = ATTEMPTS.labels("email", "gave_up")
    before = gave_up._value.get()
    await notifier.handle(referral_requested("legal-aid-kl"))

    await notifier.dispatcher.dispatch_once()

    (failed,) = [e for e in await notifier.outbox() if isinstance(e, NotificationFailed)]
    assert (failed.channel, failed.attempts) == (Channel.EMAIL, 1)
    assert "550" in failed.error
    assert REFUSED not in failed.error
    # Counted for the alert on notices given up (deploy/prometheus).
    assert gave_up._value.get() == before + 1


async def test_email_recipients_without_a_mail_server_stop_the_start_naming_them(
    start_notifier,
):
    with pytest.raises(Exception, match="role case_coordinator, role supervisor"):
        await start_notifier()
