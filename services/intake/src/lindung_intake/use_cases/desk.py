"""The desk's sessions: a person signs in at the identity provider, acts, signs out.

Each step is a unit of work. The browser holds only random secrets (a pending sign-in's,
then the session's); PostgreSQL keeps their hashes. No connection is held while the
identity provider is asked.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

import structlog

from lindung_intake.adapters import desk as rows
from lindung_intake.adapters.oidc import SignInFailed
from lindung_intake.domain import Principal, PrincipalKind
from lindung_intake.domain.desk import (
    Place,
    SessionVerdict,
    csrf_token,
    judge_session,
    secret_hash,
    standing,
)
from lindung_intake.domain.people import person_of

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from uuid import UUID

    from lindung_common import Units

    from lindung_intake.adapters.oidc import IdentityProvider

__all__ = ["DeskSession", "DeskSessions", "InboxItem", "SignInRefused", "SignInStart"]

log = structlog.get_logger(__name__)

# A sign-in not finished within this is forgotten: the person starts again.
SIGN_IN_WINDOW: Final = timedelta(minutes=15)


class SignInRefused(Exception):
    """A sign-in that cannot finish; `why` is `expired`, `failed` or `no_role`."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


@dataclass(frozen=True)
class SignInStart:
    """A sign-in begun: the browser's secret for it, and where to send the browser."""

    pending: str
    url: str


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
        new_secret: Callable[[], str] = lambda: secrets.token_urlsafe(32),
    ) -> None:
        self._units = units
        self.idp = idp
        self._redirect_uri = redirect_uri
        self._idle = idle
        self._longest = longest
        self._new_secret = new_secret

    async def begin(self, *, return_to: str, language: str) -> SignInStart:
        """Start a sign-in: state, nonce and PKCE verifier kept here, the browser sent on."""
        pending, state, nonce, verifier = (self._new_secret() for _ in range(4))
        url = await self.idp.authorization_url(
            redirect_uri=self._redirect_uri,
            state=state,
            nonce=nonce,
            verifier=verifier,
            language=language,
        )
        async with self._units.open() as work:
            await rows.forget_sign_ins_before(work.conn, work.now - SIGN_IN_WINDOW)
            await rows.insert_sign_in(
                work.conn,
                pending_hash=secret_hash(pending),
                state=state,
                nonce=nonce,
                verifier=verifier,
                return_to=return_to,
                started_at=work.now,
            )
        return SignInStart(pending=pending, url=url)

    async def finish(
        self, *, pending: str, state: str, code: str, language: str
    ) -> tuple[str, str]:
        """The new session's secret and where the person was going; `SignInRefused` if not."""
        async with self._units.open() as work:
            row = await rows.take_sign_in(work.conn, secret_hash(pending))
            now = work.now
        if row is None or not hmac.compare_digest(row["state"].encode(), state.encode()):
            raise SignInRefused("expired")
        if now - row["started_at"] > SIGN_IN_WINDOW:
            raise SignInRefused("expired")
        try:
            tokens = await self.idp.finish(
                code=code,
                redirect_uri=self._redirect_uri,
                verifier=row["verifier"],
                nonce=row["nonce"],  # its times are judged by this host's wall clock
            )
        except SignInFailed as failed:
            log.warning("desk sign-in refused", reason=str(failed))
            raise SignInRefused("failed") from None
        person = person_of(tokens.claims)
        if person is None:
            log.warning("desk sign-in without a usable role")
            raise SignInRefused("no_role")
        secret = self._new_secret()
        principal = person.principal
        async with self._units.open() as work:
            await rows.insert_session(
                work.conn,
                session_hash=secret_hash(secret),
                person=person.name,
                subject=person.subject,
                kind=principal.kind.value,
                principal_id=principal.id,
                states=sorted(principal.states or ()),
                language=language,
                id_token=tokens.id_token,
                at=work.now,
            )
            work.after_commit(
                lambda: log.info("desk session begun", person=person.name, role=person.role.value)
            )
        return secret, row["return_to"]

    async def find(self, secret: str | None) -> DeskSession | None:
        """The live session of a cookie's secret, now seen; None when none is (any more)."""
        if not secret:
            return None
        key = secret_hash(secret)
        async with self._units.open() as work:
            row = await rows.find_session(work.conn, key)
            if row is None:
                return None
            verdict = judge_session(
                started_at=row["started_at"],
                last_seen_at=row["last_seen_at"],
                ended_at=row["ended_at"],
                now=work.now,
                idle=self._idle,
                longest=self._longest,
            )
            if verdict is not SessionVerdict.LIVE:
                if verdict is not SessionVerdict.ENDED:
                    await rows.end_session(work.conn, key, work.now)
                return None
            await rows.see_session(work.conn, key, work.now)
        kind = PrincipalKind(row["principal_kind"])
        principal = Principal(
            kind,
            row["principal_id"],
            person=row["person"],
            states=frozenset(row["states"]) if kind is PrincipalKind.COORDINATOR else None,
        )
        return DeskSession(
            person=row["person"],
            principal=principal,
            language=row["language"],
            csrf=csrf_token(secret),
        )

    async def end(self, secret: str | None) -> str | None:
        """Sign out: the session ends here; its ID token, to end it at the provider too."""
        if not secret:
            return None
        key = secret_hash(secret)
        async with self._units.open() as work:
            row = await rows.find_session(work.conn, key)
            if row is None:
                return None
            await rows.end_session(work.conn, key, work.now)
        token: str = row["id_token"]
        return token

    async def choose_language(self, secret: str, language: str) -> None:
        """Keep the person's language with their session."""
        async with self._units.open() as work:
            await rows.set_language(work.conn, secret_hash(secret), language)

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
