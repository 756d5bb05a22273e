"""Silence: a provider that has not answered by the deadline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lifecycle import ReferralState, ReferralStatus
from .policy import Silence

if TYPE_CHECKING:
    from .policy import Policy

__all__ = ["SILENCE_NOTE", "withdraw_on_silence"]

SILENCE_NOTE = "did not answer before the deadline"


def withdraw_on_silence(referral: ReferralState | None, level: int, policy: Policy) -> bool:
    """Whether a missed deadline takes the referral back and asks the next provider.

    Only the first escalation of a referral still waiting for an answer does, and only
    where the policy re-routes silence for the service; everything else only escalates.
    A paused referral is nobody's silence.
    """
    if referral is None or level != 1 or referral.status is not ReferralStatus.REQUESTED:
        return False
    if referral.paused_at is not None:
        return False
    window = policy.windows.get(referral.service)
    return window is not None and window.silence is Silence.REROUTE
