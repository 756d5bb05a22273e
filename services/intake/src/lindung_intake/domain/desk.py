"""The desk's rules: where a referral stands for its provider.

A session's rules (its secret's hash, CSRF tokens, timeouts) are every service's:
`lindung_common.signin.rules`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from lindung_contracts.lifecycle import ReferralStatus

if TYPE_CHECKING:
    from datetime import datetime, timedelta

__all__ = [
    "DUE_SOON_SHARE",
    "Place",
    "Standing",
    "standing",
]

# Due soon once less than this share of the response window is left: the provider's own
# warning comes at 50 %, the coordinator's at 75 %, so the last quarter is the urgent one.
DUE_SOON_SHARE: Final = 0.25


class Standing(StrEnum):
    """Where a referral stands for its provider, as the inbox groups them (in this order)."""

    LATE = "late"
    DUE_SOON = "due_soon"
    NEW = "new"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


@dataclass(frozen=True)
class Place:
    """A referral's standing and the time left to accept it (negative: late by)."""

    standing: Standing
    left: timedelta | None = None


def standing(
    *,
    status: str,
    withdrawn: bool,
    requested_at: datetime,
    due_at: datetime | None,
    paused: bool,
    now: datetime,
) -> Place:
    """Where a referral stands for its provider now, and how long is left to accept it.

    Taken back, declined, completed or failed: closed. Still to accept: late past its
    deadline, due soon in the last quarter of its window, else new; a paused clock or an
    unknown deadline leaves it new, with no time shown.
    """
    stage = ReferralStatus(status)
    if withdrawn or stage is not ReferralStatus.REQUESTED:
        return Place(_ANSWERED.get(stage, Standing.CLOSED) if not withdrawn else Standing.CLOSED)
    if due_at is None or paused:
        return Place(Standing.NEW)
    left = due_at - now
    if left.total_seconds() <= 0:
        return Place(Standing.LATE, left)
    window = (due_at - requested_at).total_seconds()
    if window <= 0 or left.total_seconds() <= window * DUE_SOON_SHARE:
        return Place(Standing.DUE_SOON, left)
    return Place(Standing.NEW, left)


_ANSWERED: Final = {
    ReferralStatus.ACCEPTED: Standing.ACCEPTED,
    ReferralStatus.IN_PROGRESS: Standing.IN_PROGRESS,
}
