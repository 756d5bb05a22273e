"""The desk's rules: when a session is over, what a form's CSRF token is, where a referral stands.

A session's browser holds a random secret; the server keeps its hash. The CSRF token of
every form is derived from that secret, so it is bound to the session, needs no storage,
and cannot be made without the cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from lindung_contracts.lifecycle import ReferralStatus

if TYPE_CHECKING:
    from datetime import datetime, timedelta

__all__ = [
    "DUE_SOON_SHARE",
    "SessionVerdict",
    "Standing",
    "csrf_matches",
    "csrf_token",
    "judge_session",
    "secret_hash",
    "standing",
]

_CSRF_PURPOSE: Final = b"lindung desk form"
# Due soon once less than this share of the response window is left: the provider's own
# warning comes at 50 %, the coordinator's at 75 %, so the last quarter is the urgent one.
DUE_SOON_SHARE: Final = 0.25


def secret_hash(secret: str) -> bytes:
    """What the server keeps of a cookie's random secret: its SHA-256."""
    return hashlib.sha256(secret.encode()).digest()


def csrf_token(secret: str) -> str:
    """The CSRF token of a session's forms: an HMAC of a fixed purpose under its secret."""
    mac = hmac.new(secret.encode(), _CSRF_PURPOSE, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def csrf_matches(secret: str, given: str | None) -> bool:
    """Whether a posted token is the session's own (compared in constant time)."""
    if not given:
        return False
    return hmac.compare_digest(csrf_token(secret).encode(), given.encode())


class SessionVerdict(StrEnum):
    """Whether a session may still be used, and if not why."""

    LIVE = "live"
    ENDED = "ended"  # signed out
    IDLE = "idle"  # unused for longer than the idle timeout
    EXPIRED = "expired"  # older than the absolute timeout


def judge_session(
    *,
    started_at: datetime,
    last_seen_at: datetime,
    ended_at: datetime | None,
    now: datetime,
    idle: timedelta,
    longest: timedelta,
) -> SessionVerdict:
    """A session is live until signed out, idle for `idle`, or `longest` after it began."""
    if ended_at is not None:
        return SessionVerdict.ENDED
    if now >= started_at + longest:
        return SessionVerdict.EXPIRED
    if now >= last_seen_at + idle:
        return SessionVerdict.IDLE
    return SessionVerdict.LIVE


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
