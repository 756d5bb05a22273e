"""Email notices: every kind renders in Malay and English, says what a reader acts on, and
nothing about the child."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from lindung_contracts import (
    ChildSummary,
    DeadlineMissed,
    DeadlineWarning,
    DetentionEscalated,
    EscalationStep,
    Gender,
    LegalClockMissed,
    Location,
    MalaysianState,
    MilestoneKind,
    NoProviderAvailable,
    PackageDeadlineMissed,
    RecipientRole,
    ReferralCancelled,
    ReferralMade,
    ReferralRequested,
    ReferralRerouted,
    ServiceType,
    StepKind,
    UnacceptedReferral,
)
from lindung_notifier.domain import (
    DESK_URL_MAX_LENGTH,
    SMS_LIMIT,
    Language,
    Tried,
    notice_link,
    render_email,
    sms_text,
)
from lindung_notifier.domain.email import KIND_OF

AT = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)  # 14:00 in Malaysia
DUE = AT + timedelta(hours=4)
CASE, REFERRAL = uuid.uuid4(), uuid.uuid4()
LINK = f"https://lindung.example.gov.my/desk/referrals/{REFERRAL}"
DESK = "https://lindung.example.gov.my/desk"
S = ServiceType


def _every_kind() -> list[object]:
    common = {"referral_id": REFERRAL, "case_id": CASE, "provider_id": "legal-aid-sel-1"}
    deadline = common | {"service": S.LEGAL_AID, "requested_at": AT, "due_at": DUE}
    return [
        ReferralRequested(
            **common,
            agency_id="pdrm-selangor",
            service=S.LEGAL_AID,
            attempt=2,
            urgent=True,
            reasons=("a court date or protection order is pending",),
            requested_at=AT,
            due_at=DUE,
            escalation=(
                EscalationStep(
                    kind=StepKind.ESCALATION,
                    level=1,
                    percent_of_window=100,
                    at=DUE,
                    notify=RecipientRole.CASE_COORDINATOR,
                ),
            ),
            policy_version="test",
            child=ChildSummary(age_years=15, age_disputed=False, gender=Gender.MALE, languages=()),
        ),
        ReferralRerouted(
            **common,
            service=S.LEGAL_AID,
            at=DUE,
            reason="no answer by the deadline",
            new_referral_id=uuid.uuid4(),
            new_provider_id="legal-aid-sel-2",
        ),
        ReferralCancelled(**common, service=S.LEGAL_AID, at=DUE, reason="the case was closed"),
        NoProviderAvailable(
            case_id=CASE,
            service=S.INTERPRETATION,
            reasons=("the referring agency speaks none of the child's languages (rhg)",),
            tried=("interp-sel-1", "interp-national"),
            at=DUE,
        ),
        DetentionEscalated(
            case_id=CASE,
            agency_id="imi-johor",
            location=Location.IMMIGRATION_DETENTION,
            state=MalaysianState.JOHOR,
            identified_at=AT,
            referrals=(
                ReferralMade(
                    referral_id=REFERRAL,
                    service=S.SAFE_SHELTER,
                    provider_id="shelter-jhr-1",
                    due_at=DUE,
                ),
            ),
            unmet=(S.INTERPRETATION,),
            notify=RecipientRole.CASE_COORDINATOR,
            at=AT,
        ),
        DeadlineWarning(
            **deadline, notify=RecipientRole.PROVIDER, fired_at=AT, percent_of_window=75
        ),
        DeadlineMissed(
            **deadline,
            notify=RecipientRole.CASE_COORDINATOR,
            fired_at=DUE,
            escalation_level=1,
        ),
        PackageDeadlineMissed(
            case_id=CASE,
            due_at=DUE,
            unaccepted=(
                UnacceptedReferral(
                    referral_id=REFERRAL,
                    service=S.LEGAL_AID,
                    provider_id="legal-aid-sel-1",
                    due_at=DUE,
                ),
            ),
            notify=RecipientRole.CASE_COORDINATOR,
            fired_at=DUE,
        ),
        LegalClockMissed(
            case_id=CASE,
            clock="medical_examination",
            started_by=MilestoneKind.TAKEN_INTO_CARE,
            started_at=AT,
            stopped_by=MilestoneKind.MEDICAL_EXAMINATION_DONE,
            due_at=DUE,
            source="Child Act 2001 s.20",
            notify=RecipientRole.CASE_COORDINATOR,
            fired_at=DUE,
        ),
    ]


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("payload", _every_kind(), ids=lambda p: type(p).__name__)
def test_every_kind_renders_in_both_languages_with_its_reference_and_link(payload, language):
    notice = render_email(payload, language=language, reference="7F3C2A10", link=LINK, now=DUE)

    assert notice.subject.startswith("[Lindung] ")
    assert "\n" not in notice.subject
    assert LINK in notice.text or "7F3C2A10" in notice.text
    assert "7F3C2A10" in notice.text
    assert str(CASE) in notice.subject + notice.text
    assert "{{" not in notice.text
    assert "pdrm-selangor" not in notice.text or isinstance(payload, DetentionEscalated)


def test_a_template_exists_for_every_kind_the_notifier_delivers():
    assert {cls.__name__ for cls in KIND_OF} == {type(p).__name__ for p in _every_kind()}


def test_the_escalation_says_what_is_late_since_when_what_was_tried_and_where_to_act():
    missed = _every_kind()[6]
    tried = [
        Tried(AT, "legal-aid-sel-1", "asked"),
        Tried(AT + timedelta(minutes=1), "legal-aid-sel-1", "not delivered"),
        Tried(AT + timedelta(hours=1), "legal-aid-sel-2", "declined"),
    ]

    english = render_email(
        missed,
        language=Language.ENGLISH,
        reference="7F3C2A10",
        link=LINK,
        tried=tried,
        now=DUE + timedelta(minutes=45),
    )
    malay = render_email(
        missed,
        language=Language.MALAY,
        reference="7F3C2A10",
        link=LINK,
        tried=tried,
        now=DUE + timedelta(hours=3),
    )

    assert english.subject == f"[Lindung] LATE, level 1: legal aid for case {CASE}"
    assert "Due:           2026-12-02 18:00 MYT, late for 45 minutes" in english.text
    assert "2026-12-02 14:01 MYT  legal-aid-sel-1: the referral could not be delivered" in (
        english.text
    )
    assert "legal-aid-sel-2: declined" in english.text
    assert f"Where to act: {LINK}" in english.text
    assert malay.subject == f"[Lindung] LEWAT, tahap 1: bantuan guaman bagi kes {CASE}"
    assert "lewat 3 jam" in malay.text
    assert "legal-aid-sel-2: menolak" in malay.text
    assert f"Tindakan di: {LINK}" in malay.text


# Where each kind of notice's recipient acts: the referral's page, or the case's.
CASE_LEVEL = (DetentionEscalated, NoProviderAvailable, PackageDeadlineMissed, LegalClockMissed)


@pytest.mark.parametrize("desk", [DESK, DESK + "/"])
@pytest.mark.parametrize("payload", _every_kind(), ids=lambda p: type(p).__name__)
def test_every_notice_links_to_its_referral_or_its_case_on_the_desk(payload, desk):
    link = notice_link(payload, desk)

    if isinstance(payload, CASE_LEVEL):
        assert link == f"{DESK}/cases/{CASE}"
    else:
        assert link == f"{DESK}/referrals/{REFERRAL}"
    for language in Language:
        notice = render_email(payload, language=language, reference="7F3C2A10", link=link)
        assert link in notice.text


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("payload", _every_kind(), ids=lambda p: type(p).__name__)
def test_without_a_desk_a_notice_gives_its_reference_and_no_link(payload, language):
    assert notice_link(payload, None) is None
    notice = render_email(payload, language=language, reference="7F3C2A10", link=None, now=DUE)
    sms = sms_text(payload, uuid.UUID("7f3c2a10-0000-4000-8000-000000000001"), None, language)

    assert "7F3C2A10" in notice.text
    assert "None" not in notice.text
    assert "http" not in notice.text + sms
    assert sms.endswith("ref 7F3C2A10.")


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("payload", _every_kind(), ids=lambda p: type(p).__name__)
def test_the_longest_desk_address_still_fits_every_sms(payload, language):
    desk = "https://" + "d" * (DESK_URL_MAX_LENGTH - len("https://"))
    link = notice_link(payload, desk)
    text = sms_text(payload, uuid.uuid4(), link, language)

    assert len(text) <= SMS_LIMIT
    assert text.endswith(f" {link}")


@pytest.mark.parametrize(
    ("language", "held"),
    [
        (Language.ENGLISH, "held in police lock-up, Penang"),
        (Language.MALAY, "ditahan di lokap polis, Pulau Pinang"),
    ],
)
def test_the_detention_alert_names_the_place_and_the_state_in_words(language, held):
    detained = DetentionEscalated(
        case_id=CASE,
        agency_id="pdrm-pg",
        location=Location.POLICE_LOCKUP,
        state=MalaysianState.PENANG,
        identified_at=AT,
        referrals=(),
        unmet=(),
        notify=RecipientRole.CASE_COORDINATOR,
        at=AT,
    )
    notice = render_email(detained, language=language, reference="LND-1", link=LINK)
    assert held in notice.subject
    for code in ("police_lockup", "penang", "police lockup"):
        assert code not in notice.subject
        assert code not in notice.text


@pytest.mark.parametrize(
    ("language", "says"),
    [(Language.ENGLISH, "to 3 providers at once"), (Language.MALAY, "kepada 3 penyedia serentak")],
)
def test_a_referral_offered_to_several_says_the_first_to_accept_takes_it(language, says):
    requested = _every_kind()[0]
    assert isinstance(requested, ReferralRequested)
    offered = requested.model_copy(update={"offer_id": uuid.uuid4(), "offered_to": 3})

    alone = render_email(requested, language=language, reference="7F3C2A10", link=LINK, now=AT)
    notice = render_email(offered, language=language, reference="7F3C2A10", link=LINK, now=AT)

    assert says in notice.text
    assert says not in alone.text


def test_a_missed_legal_clock_says_what_is_not_recorded_by_when_and_the_law_in_both_languages():
    clock = next(p for p in _every_kind() if isinstance(p, LegalClockMissed))
    link = notice_link(clock, DESK)

    english = render_email(
        clock,
        language=Language.ENGLISH,
        reference="7F3C2A10",
        link=link,
        now=DUE + timedelta(hours=3),
    )
    malay = render_email(clock, language=Language.MALAY, reference="7F3C2A10", link=link)

    assert english.subject == (
        f"[Lindung] Legal time limit MISSED for case {CASE}: medical examination done"
    )
    assert "Started:      taken into temporary custody, 2026-12-02 14:00 MYT" in english.text
    assert "Due:          2026-12-02 18:00 MYT, late for 3 hours" in english.text
    assert "Time limit:   Child Act 2001 s.20" in english.text
    assert f"Where to act: {DESK}/cases/{CASE}" in english.text
    assert malay.subject.endswith("pemeriksaan perubatan selesai")
    assert "Belum direkodkan: pemeriksaan perubatan selesai" in malay.text
