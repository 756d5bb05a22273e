"""People at the dashboard: signed in through OpenID Connect, and only operations people.

The sign-in is every service's (`lindung_common.signin`), kept in the sla-monitor's own
`dashboard_sign_ins` and `dashboard_sessions`. The browser holds a random id in an
HttpOnly, SameSite=Lax cookie under `/dashboard` (Lax: the identity provider's redirect
back is a top-level navigation from its site), Secure unless the dashboard is plain http
on a loopback address.

Only `lindung_role=operations` gets in. Supervisors do not: they answer escalations on
the desk, for cases, while the dashboard is the operators' view of every referral of every
state and provider, and the JSON API behind it is for operations keys only; one rule for
people and keys. A supervisor who also runs operations is given that role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from lindung_common.signin import Holder, SessionTables, loopback_http

if TYPE_CHECKING:
    from collections.abc import Mapping

    from fastapi import Response
    from lindung_common.signin import PeopleSessions

__all__ = [
    "COOKIE",
    "LANGUAGE_COOKIE",
    "PATH",
    "PENDING_COOKIE",
    "TABLES",
    "Door",
    "operations_person",
]

PATH: Final = "/dashboard"
COOKIE: Final = "lindung_operations"
PENDING_COOKIE: Final = "lindung_operations_sign_in"
LANGUAGE_COOKIE: Final = "lindung_operations_language"  # the language chosen, for a year
YEAR: Final = 365 * 24 * 3600
ROLE: Final = "operations"
TABLES: Final = SessionTables(sign_ins="dashboard_sign_ins", sessions="dashboard_sessions")
_ID: Final = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def operations_person(claims: Mapping[str, Any]) -> Holder | None:
    """An operations person from an ID token's claims; None for any other role or anything off."""
    name, subject = claims.get("preferred_username"), claims.get("sub")
    if claims.get("lindung_role") != ROLE:
        return None
    if not (isinstance(name, str) and _ID.fullmatch(name) and isinstance(subject, str) and subject):
        return None
    return Holder(person=name, subject=subject, role=ROLE, kind=ROLE, principal_id=name)


@dataclass(frozen=True)
class Door:
    """The sign-in's sessions, and the dashboard's public address and cookies."""

    sessions: PeopleSessions
    url: str  # e.g. `https://ops.lindung.example/dashboard`

    @property
    def secure(self) -> bool:
        """Cookies Secure unless on a developer's machine (plain http on loopback)."""
        return not loopback_http(self.url)

    def keep(self, response: Response, name: str, value: str, *, max_age: int | None) -> None:
        """Set a cookie no script could read, for the dashboard's paths only."""
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path=PATH,
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )

    def forget(self, response: Response, name: str) -> None:
        """Remove a cookie."""
        response.delete_cookie(name, path=PATH, secure=self.secure, httponly=True, samesite="lax")
