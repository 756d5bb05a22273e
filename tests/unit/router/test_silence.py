"""A missed deadline: who is withdrawn and re-routed, and who is only escalated.

Silence re-routes only where the policy says so; a referral that could not be delivered
re-routes whatever the policy says, since its provider never had it.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from lindung_contracts import DeadlineMissed, RecipientRole, ServiceType
from lindung_router.adapters.config_files import ConfigFileError, load_policy
from lindung_router.domain import (
    SILENCE_NOTE,
    UNDELIVERED_NOTE,
    MissOutcome,
    ReferralState,
    ReferralStatus,
    Silence,
    on_missed,
)
from lindung_router.settings import DEFAULT_POLICY_FILE

POLICY = load_policy(DEFAULT_POLICY_FILE)
REQUESTED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DUE = REQUESTED + timedelta(hours=1)
FAILED = REQUESTED + timedelta(minutes=3)


def referral(status: ReferralStatus, service: ServiceType = ServiceType.SAFE_SHELTER):
    return ReferralState(
        referral_id=uuid.UUID(int=10),
        case_id=uuid.UUID(int=1),
        provider_id="shelter-a",
        service=service,
        status=status,
        attempt=1,
        urgent=False,
        reasons=("every child",),
    )


def missed(level: int = 1, *, undelivered: bool = False, **extra) -> DeadlineMissed:
    """The sla-monitor's escalation: at the deadline, or at once for an undelivered referral."""
    return DeadlineMissed(
        referral_id=uuid.UUID(int=10),
        case_id=uuid.UUID(int=1),
        provider_id="shelter-a",
        service=ServiceType.SAFE_SHELTER,
        requested_at=REQUESTED,
        due_at=DUE,
        notify=RecipientRole.CASE_COORDINATOR,
        fired_at=FAILED if undelivered else DUE + timedelta(hours=level - 1),
        escalation_level=level,
        referral_undelivered=undelivered,
        **extra,
    )


WAITING = referral(ReferralStatus.REQUESTED)
PROTECTOR = referral(ReferralStatus.REQUESTED, ServiceType.CHILD_PROTECTOR)


@pytest.mark.parametrize("level", [1, 2, 3])
def test_the_first_escalation_to_find_a_referral_waiting_withdraws_it(level):
    # After downtime the first escalation may be level 2 or 3: the lower ones were skipped.
    miss = on_missed(WAITING, missed(level), POLICY)

    assert miss.outcome is MissOutcome.WITHDRAWN
    assert (miss.why, miss.at) == (SILENCE_NOTE, DUE)  # the new window counts from the deadline


@pytest.mark.parametrize(
    "status", [s for s in ReferralStatus if s is not ReferralStatus.REQUESTED], ids=str
)
def test_a_referral_answered_or_ended_is_not_withdrawn(status):
    assert on_missed(referral(status), missed(), POLICY).outcome is MissOutcome.IGNORED
    assert on_missed(referral(status), missed(undelivered=True), POLICY).outcome is (
        MissOutcome.IGNORED
    )


def test_an_unknown_referral_is_not_withdrawn():
    assert on_missed(None, missed(), POLICY).outcome is MissOutcome.IGNORED


def test_the_default_policy_escalates_a_silent_protector_and_reroutes_every_other_service():
    silences = {service: window.silence for service, window in POLICY.windows.items()}
    assert silences.pop(ServiceType.CHILD_PROTECTOR) is Silence.ESCALATE
    assert set(silences.values()) == {Silence.REROUTE}
    assert on_missed(PROTECTOR, missed(), POLICY).outcome is MissOutcome.ESCALATED


def test_an_undelivered_referral_is_withdrawn_though_the_policy_escalates_silence():
    miss = on_missed(PROTECTOR, missed(undelivered=True), POLICY)

    assert miss.outcome is MissOutcome.WITHDRAWN
    assert miss.why == UNDELIVERED_NOTE
    # The next provider's window counts from when the failure was known, not the deadline.
    assert miss.at == FAILED
    assert miss.detail == f"delivery failed for good at {FAILED.isoformat()}"


def test_an_overdue_escalation_withdraws_nothing():
    late = missed(overdue_at_request=True)
    assert on_missed(WAITING, late, POLICY).outcome is MissOutcome.IGNORED


def test_a_policy_with_an_unknown_silence_is_refused(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(
        DEFAULT_POLICY_FILE.read_text().replace('silence = "escalate"', 'silence = "wait"')
    )
    with pytest.raises(ConfigFileError, match="silence"):
        load_policy(path)


def test_a_paused_referral_is_not_withdrawn_but_an_undelivered_one_is_remembered():
    paused = dataclasses.replace(PROTECTOR, paused_at=REQUESTED + timedelta(minutes=1))

    assert on_missed(paused, missed(), POLICY).outcome is MissOutcome.IGNORED
    noted = on_missed(paused, missed(undelivered=True), POLICY)
    assert (noted.outcome, noted.at) == (MissOutcome.NOTED, FAILED)

    # Resumed, the next escalation withdraws it, though the policy escalates silence.
    resumed = dataclasses.replace(PROTECTOR, undelivered_at=FAILED)
    miss = on_missed(resumed, missed(2), POLICY)
    assert (miss.outcome, miss.why) == (MissOutcome.WITHDRAWN, UNDELIVERED_NOTE)
    assert miss.at == DUE + timedelta(hours=1)  # when the escalation came
    assert miss.detail == f"delivery failed for good at {FAILED.isoformat()}"
