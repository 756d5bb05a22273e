"""People's sessions: a person signs in at the identity provider, acts, signs out.

Each step is a unit of work. The browser holds only random secrets (a pending sign-in's,
then the session's); PostgreSQL keeps their hashes. No connection is held while the
identity provider is asked. What a person may act as is the service's own rule (`who`),
given the ID token's verified claims.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog

from .oidc import SignInFailed
from .rules import SIGN_IN_WINDOW, SessionVerdict, csrf_token, judge_session, secret_hash

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import timedelta

    from lindung_common.work import Units

    from .oidc import IdentityProvider
    from .store import SessionTables

__all__ = ["Holder", "LiveSession", "PeopleSessions", "SignInRefused", "SignInStart"]

log = structlog.get_logger(__name__)


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
class Holder:
    """Who a session is for: the person, and what they act as (a kind, an id, states)."""

    person: str
    subject: str
    role: str
    kind: str
    principal_id: str
    states: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class LiveSession:
    """A live session: its holder (with the role they signed in with), language, CSRF token."""

    person: str
    role: str
    kind: str
    principal_id: str
    states: frozenset[str]
    language: str
    csrf: str


class PeopleSessions:
    """Sign-in, sessions, sign-out and the language kept, over a service's own tables."""

    def __init__(
        self,
        units: Units,
        idp: IdentityProvider,
        *,
        tables: SessionTables,
        who: Callable[[Mapping[str, Any]], Holder | None],
        redirect_uri: str,
        idle: timedelta,
        longest: timedelta,
        new_secret: Callable[[], str] = lambda: secrets.token_urlsafe(32),
    ) -> None:
        self._units = units
        self.idp = idp
        self._rows = tables
        self._who = who
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
            await self._rows.forget_sign_ins_before(work.conn, work.now - SIGN_IN_WINDOW)
            await self._rows.insert_sign_in(
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
            row = await self._rows.take_sign_in(work.conn, secret_hash(pending))
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
            log.warning("sign-in refused", reason=str(failed))
            raise SignInRefused("failed") from None
        holder = self._who(tokens.claims)
        if holder is None:
            log.warning("sign-in without a usable role")
            raise SignInRefused("no_role")
        secret = self._new_secret()
        async with self._units.open() as work:
            await self._rows.insert_session(
                work.conn,
                session_hash=secret_hash(secret),
                person=holder.person,
                subject=holder.subject,
                role=holder.role,
                kind=holder.kind,
                principal_id=holder.principal_id,
                states=sorted(holder.states),
                language=language,
                id_token=tokens.id_token,
                at=work.now,
            )
            work.after_commit(
                lambda: log.info("session begun", person=holder.person, role=holder.role)
            )
        return secret, row["return_to"]

    async def find(self, secret: str | None) -> LiveSession | None:
        """The live session of a cookie's secret, now seen; None when none is (any more)."""
        if not secret:
            return None
        key = secret_hash(secret)
        async with self._units.open() as work:
            row = await self._rows.find_session(work.conn, key)
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
                    await self._rows.end_session(work.conn, key, work.now)
                return None
            await self._rows.see_session(work.conn, key, work.now)
        return LiveSession(
            person=row["person"],
            role=row["role"],
            kind=row["principal_kind"],
            principal_id=row["principal_id"],
            states=frozenset(row["states"]),
            language=row["language"],
            csrf=csrf_token(secret),
        )

    async def end(self, secret: str | None) -> str | None:
        """Sign out: the session ends here; its ID token, to end it at the provider too."""
        if not secret:
            return None
        key = secret_hash(secret)
        async with self._units.open() as work:
            row = await self._rows.find_session(work.conn, key)
            if row is None:
                return None
            await self._rows.end_session(work.conn, key, work.now)
        token: str = row["id_token"]
        return token

    async def choose_language(self, secret: str, language: str) -> None:
        """Keep the person's language with their session."""
        async with self._units.open() as work:
            await self._rows.set_language(work.conn, secret_hash(secret), language)
