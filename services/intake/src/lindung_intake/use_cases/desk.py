"""The desk's sessions: a person signs in at the identity provider, acts, signs out.

The flow is every service's (`lindung_common.signin.PeopleSessions`, over intake's
`desk_sign_ins` and `desk_sessions`); here a person's ID token becomes the principal they
act as, and a provider's inbox is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lindung_common.signin import (
    SIGN_IN_WINDOW,
    Holder,
    PeopleSessions,
    SignInRefused,
    SignInStart,
)

from lindung_intake.adapters import desk as rows
from lindung_intake.domain import Principal, PrincipalKind
from lindung_intake.domain.desk import Place, standing
from lindung_intake.domain.people import person_of

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import datetime, timedelta
    from uuid import UUID

    from lindung_common import Units
    from lindung_common.signin import IdentityProvider

__all__ = [
    "SIGN_IN_WINDOW",
    "DeskSession",
    "DeskSessions",
    "InboxItem",
    "SignInRefused",
    "SignInStart",
]


@dataclass(frozen=True)
class DeskSession:
    """A live session: who acts, as what, in which language, and its forms' CSRF token."""

    person: str
    principal: Principal
    language: str
    csrf: str


@dataclass(frozen=True)
class InboxItem:
    """One referral in a provider's inbox: where it stands, no case data."""

    referral_id: UUID
    service: str
    status: str
    requested_at: datetime
    due_at: datetime | None
    withdrawn: bool
    place: Place


class DeskSessions:
    """Sign-in, sessions, sign-out, the language kept; and the provider's inbox."""

    def __init__(
        self,
        units: Units,
        idp: IdentityProvider,
        *,
        redirect_uri: str,
        idle: timedelta,
        longest: timedelta,
        new_secret: Callable[[], str] | None = None,
    ) -> None:
        self._units = units
        self.idp = idp
        extra = {"new_secret": new_secret} if new_secret is not None else {}
        self._people = PeopleSessions(
            units,
            idp,
            tables=rows.TABLES,
            who=_holder,
            redirect_uri=redirect_uri,
            idle=idle,
            longest=longest,
            **extra,
        )

    async def begin(self, *, return_to: str, language: str) -> SignInStart:
        """Start a sign-in: state, nonce and PKCE verifier kept here, the browser sent on."""
        return await self._people.begin(return_to=return_to, language=language)

    async def finish(
        self, *, pending: str, state: str, code: str, language: str
    ) -> tuple[str, str]:
        """The new session's secret and where the person was going; `SignInRefused` if not."""
        return await self._people.finish(pending=pending, state=state, code=code, language=language)

    async def find(self, secret: str | None) -> DeskSession | None:
        """The live session of a cookie's secret, now seen; None when none is (any more)."""
        live = await self._people.find(secret)
        if live is None:
            return None
        kind = PrincipalKind(live.kind)
        principal = Principal(
            kind,
            live.principal_id,
            person=live.person,
            role=live.role,
            states=live.states if kind is PrincipalKind.COORDINATOR else None,
        )
        return DeskSession(
            person=live.person, principal=principal, language=live.language, csrf=live.csrf
        )

    async def end(self, secret: str | None) -> str | None:
        """Sign out: the session ends here; its ID token, to end it at the provider too."""
        return await self._people.end(secret)

    async def choose_language(self, secret: str, language: str) -> None:
        """Keep the person's language with their session."""
        await self._people.choose_language(secret, language)

    async def inbox(self, principal: Principal, *, limit: int = 200) -> list[InboxItem]:
        """The referrals addressed to the person's provider, each with where it stands."""
        async with self._units.open() as work:
            found = await rows.provider_referrals(work.conn, principal.id, limit)
            now = work.now
        return [_item(r, now) for r in found]

    async def standing_of(self, principal: Principal, referral_id: UUID) -> InboxItem | None:
        """Where one referral stands, if the principal may know it exists; else None."""
        async with self._units.open() as work:
            row = await rows.provider_referral(work.conn, principal.id, referral_id)
            now = work.now
        return _item(row, now) if row is not None else None


def _holder(claims: Mapping[str, Any]) -> Holder | None:
    """Who an ID token's claims describe, as the desk keeps them; None without a usable role."""
    person = person_of(claims)
    if person is None:
        return None
    principal = person.principal
    return Holder(
        person=person.name,
        subject=person.subject,
        role=person.role.value,
        kind=principal.kind.value,
        principal_id=principal.id,
        states=frozenset(principal.states or ()),
    )


def _item(row: Any, now: datetime) -> InboxItem:
    """An inbox line from a `referral_access` row."""
    return InboxItem(
        referral_id=row["referral_id"],
        service=row["service"],
        status=row["status"],
        requested_at=row["requested_at"],
        due_at=row["due_at"],
        withdrawn=row["withdrawn_at"] is not None,
        place=standing(
            status=row["status"],
            withdrawn=row["withdrawn_at"] is not None,
            requested_at=row["requested_at"],
            due_at=row["due_at"],
            paused=row["paused_at"] is not None,
            now=now,
        ),
    )
