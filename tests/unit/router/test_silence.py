"""Silence past the deadline: who is withdrawn and re-routed, and who is only escalated."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime

import pytest
from lindung_contracts import ServiceType
from lindung_router.adapters.config_files import ConfigFileError, load_policy
from lindung_router.domain import ReferralState, ReferralStatus, Silence, withdraw_on_silence
from lindung_router.settings import DEFAULT_POLICY_FILE

POLICY = load_policy(DEFAULT_POLICY_FILE)


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


def test_the_first_escalation_of_a_referral_still_waiting_withdraws_it():
    assert withdraw_on_silence(referral(ReferralStatus.REQUESTED), 1, POLICY)


@pytest.mark.parametrize("level", [2, 3])
def test_later_levels_only_escalate(level):
    assert not withdraw_on_silence(referral(ReferralStatus.REQUESTED), level, POLICY)


@pytest.mark.parametrize(
    "status", [s for s in ReferralStatus if s is not ReferralStatus.REQUESTED], ids=str
)
def test_a_referral_answered_or_ended_is_not_withdrawn(status):
    assert not withdraw_on_silence(referral(status), 1, POLICY)


def test_an_unknown_referral_is_not_withdrawn():
    assert not withdraw_on_silence(None, 1, POLICY)


def test_the_default_policy_escalates_a_silent_protector_and_reroutes_every_other_service():
    silences = {service: window.silence for service, window in POLICY.windows.items()}
    assert silences.pop(ServiceType.CHILD_PROTECTOR) is Silence.ESCALATE
    assert set(silences.values()) == {Silence.REROUTE}
    protector = referral(ReferralStatus.REQUESTED, ServiceType.CHILD_PROTECTOR)
    assert not withdraw_on_silence(protector, 1, POLICY)


def test_a_policy_with_an_unknown_silence_is_refused(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(
        DEFAULT_POLICY_FILE.read_text().replace('silence = "escalate"', 'silence = "wait"')
    )
    with pytest.raises(ConfigFileError, match="silence"):
        load_policy(path)


def test_a_paused_referral_is_not_withdrawn():
    paused = dataclasses.replace(
        referral(ReferralStatus.REQUESTED), paused_at=datetime(2026, 3, 2, tzinfo=UTC)
    )
    assert not withdraw_on_silence(paused, 1, POLICY)
