"""The SMS notice: kind, reference and link in the recipient's language; nothing else."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from lindung_contracts import (
    ChildSummary,
    DeadlineMissed,
    EscalationStep,
    Gender,
    RecipientRole,
    ReferralRequested,
    ServiceType,
    StepKind,
)
from lindung_notifier.domain import SMS_LIMIT, Language, reference, sms_text

AT = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
NOTICE = uuid.UUID("7f3c2a10-0000-4000-8000-000000000001")
LINK = "https://lindung.example.gov.my/desk/referrals/1b3e5a7c-0000-4000-8000-000000000002"


def _requested() -> ReferralRequested:
    return ReferralRequested(
        referral_id=uuid.uuid4(),
        case_id=uuid.uuid4(),
        agency_id="pdrm-selangor",
        service=ServiceType.SAFE_SHELTER,
        provider_id="shelter-sel-1",
        attempt=1,
        urgent=True,
        reasons=("the child is in police lockup (non-detention guardrail)",),
        requested_at=AT,
        due_at=AT + timedelta(hours=4),
        escalation=(
            EscalationStep(
                kind=StepKind.ESCALATION,
                level=1,
                percent_of_window=100,
                at=AT + timedelta(hours=4),
                notify=RecipientRole.CASE_COORDINATOR,
            ),
        ),
        policy_version="test",
        child=ChildSummary(
            age_years=15, age_disputed=False, gender=Gender.MALE, languages=("rhg",)
        ),
    )


def test_a_referral_notice_is_its_kind_its_reference_and_the_link_in_each_language():
    requested = _requested()

    malay = sms_text(requested, NOTICE, LINK, Language.MALAY)
    english = sms_text(requested, NOTICE, LINK, Language.ENGLISH)

    assert malay == f"Lindung: Rujukan baharu, ref 7F3C2A10. Lihat {LINK}"
    assert english == f"Lindung: New referral, ref 7F3C2A10. Open {LINK}"
    assert reference(NOTICE) == "7F3C2A10"
    for text in (malay, english):
        # Nothing of the case travels but the link's referral id: not the case id, the
        # provider, the age, the reasons.
        for detail in (str(requested.case_id), "shelter-sel-1", "15", "lockup", "rhg", "pdrm"):
            assert detail not in text


def test_an_escalation_says_its_level():
    missed = DeadlineMissed(
        referral_id=uuid.uuid4(),
        case_id=uuid.uuid4(),
        provider_id="legal-aid-sel-1",
        service=ServiceType.LEGAL_AID,
        requested_at=AT,
        due_at=AT + timedelta(hours=4),
        fired_at=AT + timedelta(hours=4),
        escalation_level=2,
        notify=RecipientRole.SUPERVISOR,
    )

    assert "LATE, escalation 2" in sms_text(missed, NOTICE, LINK, Language.ENGLISH)
    assert "LEWAT, eskalasi 2" in sms_text(missed, NOTICE, LINK, Language.MALAY)


@pytest.mark.parametrize("language", list(Language))
def test_every_notice_fits_one_plain_sms(language):
    text = sms_text(_requested(), NOTICE, "https://" + "x" * 82, language)

    assert len(text) <= SMS_LIMIT
    assert text.isascii()
    with pytest.raises(ValueError, match="too long"):
        sms_text(_requested(), NOTICE, "https://" + "x" * 140, language)
