"""The rules of a person's session: its secret's hash, its forms' CSRF token, when it is over.

A session's browser holds a random secret; the server keeps its hash. The CSRF token of
every form is derived from that secret, so it is bound to the session, needs no storage,
and cannot be made without the cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from datetime import datetime

__all__ = [
    "SIGN_IN_WINDOW",
    "SessionVerdict",
    "csrf_matches",
    "csrf_token",
    "judge_session",
    "loopback_http",
    "secret_hash",
]

_CSRF_PURPOSE: Final = b"lindung desk form"
# A sign-in not finished within this is forgotten: the person starts again.
SIGN_IN_WINDOW: Final = timedelta(minutes=15)


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


def loopback_http(url: str) -> bool:
    """Plain http on a loopback address (a developer's machine): the one place for no Secure."""
    parts = urlsplit(url)
    if parts.scheme != "http":
        return False
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
