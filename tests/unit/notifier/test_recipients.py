from __future__ import annotations

import uuid

import pytest
from lindung_contracts import (
    DeadlineMissed,
    DeadlineWarning,
    DetentionEscalated,
    Location,
    MalaysianState,
    PackageDeadlineMissed,
    RecipientRole,
    ReferralCancelled,
    ReferralRerouted,
    UnacceptedReferral,
)
from lindung_notifier.domain import Recipient, RecipientKind, recipients_for, referral_of


def test_a_referral_goes_to_its_provider(referral_requested):
    payload = referral_requested(provider_id="legal-aid-kl")

    assert recipients_for(payload) == (Recipient(RecipientKind.PROVIDER, "legal-aid-kl"),)
    assert referral_of(payload) == payload.referral_id


def test_no_provider_available_goes_to_the_case_coordinator(no_provider):
    assert recipients_for(no_provider) == (Recipient(RecipientKind.ROLE, "case_coordinator"),)
    assert referral_of(no_provider) is None


@pytest.mark.parametrize("kind", [DeadlineWarning, DeadlineMissed])
@pytest.mark.parametrize(
    ("notify", "expected"),
    [
        (RecipientRole.PROVIDER, Recipient(RecipientKind.PROVIDER, "shelter-kl-1")),
        (RecipientRole.CASE_COORDINATOR, Recipient(RecipientKind.ROLE, "case_coordinator")),
        (RecipientRole.SUPERVISOR, Recipient(RecipientKind.ROLE, "supervisor")),
        (RecipientRole.SECRETARIAT, Recipient(RecipientKind.ROLE, "secretariat")),
    ],
)
def test_deadline_alerts_go_to_whom_they_name(deadline, kind, notify, expected):
    payload = deadline(kind, notify)

    assert recipients_for(payload) == (expected,)
    assert referral_of(payload) == payload.referral_id


def test_events_the_notifier_does_not_deliver_have_no_recipient(referral_accepted):
    assert recipients_for(referral_accepted) == ()


def test_a_provider_and_a_role_of_the_same_name_stay_apart():
    # Provider ids are slugs and could spell a role: the kind keeps them distinct.
    assert Recipient.provider("supervisor") != Recipient.role(RecipientRole.SUPERVISOR)
    assert Recipient.provider("supervisor").describe() == "provider supervisor"
    assert Recipient.role(RecipientRole.SUPERVISOR).describe() == "role supervisor"


def test_the_provider_role_alone_names_no_one():
    with pytest.raises(ValueError, match="provider role"):
        Recipient.role(RecipientRole.PROVIDER)


def test_a_referral_taken_back_is_told_to_the_provider_it_was_taken_from(referral_accepted):
    facts = referral_accepted.model_dump(exclude={"at"}) | {"at": referral_accepted.at}
    rerouted = ReferralRerouted(
        **facts,
        reason="did not answer before the deadline",
        new_referral_id=uuid.uuid4(),
        new_provider_id="shelter-kl-2",
    )
    cancelled = ReferralCancelled(**facts, reason="failed, no provider left")

    for payload in (rerouted, cancelled):
        provider = Recipient(RecipientKind.PROVIDER, referral_accepted.provider_id)
        assert recipients_for(payload) == (provider,)
        assert referral_of(payload) == referral_accepted.referral_id


def test_a_detained_child_s_alert_goes_to_the_case_coordinator(referral_accepted):
    alert = DetentionEscalated(
        case_id=referral_accepted.case_id,
        agency_id="imi-johor",
        location=Location.IMMIGRATION_DETENTION,
        state=MalaysianState.JOHOR,
        identified_at=referral_accepted.at,
        referrals=(),
        unmet=(),
        notify=RecipientRole.CASE_COORDINATOR,
        at=referral_accepted.at,
    )
    assert recipients_for(alert) == (Recipient(RecipientKind.ROLE, "case_coordinator"),)
    assert referral_of(alert) is None


def test_a_missed_package_deadline_goes_to_the_case_coordinator(referral_accepted):
    alert = PackageDeadlineMissed(
        case_id=referral_accepted.case_id,
        due_at=referral_accepted.at,
        unaccepted=(
            UnacceptedReferral(
                referral_id=referral_accepted.referral_id,
                service=referral_accepted.service,
                provider_id=referral_accepted.provider_id,
                due_at=referral_accepted.at,
            ),
        ),
        notify=RecipientRole.CASE_COORDINATOR,
        fired_at=referral_accepted.at,
    )
    assert recipients_for(alert) == (Recipient(RecipientKind.ROLE, "case_coordinator"),)
    assert referral_of(alert) is None
