"""Where sign-ins under way and sessions are kept: two tables of the same shape in each service.

A service names its own pair (intake's `desk_sign_ins` and `desk_sessions`, the
sla-monitor's `dashboard_sign_ins` and `dashboard_sessions`) in its own schema; the
columns are those of intake's migrations 0011 and 0013 (the sla-monitor's 0009 and 0010),
so one set of statements serves both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    import asyncpg

__all__ = ["SessionTables"]

_SESSION = (
    "person, subject, role, principal_kind, principal_id, states, language, id_token,"
    " started_at, last_seen_at, ended_at"
)


@dataclass(frozen=True)
class SessionTables:
    """A service's two tables: sign-ins under way, and sessions."""

    sign_ins: str
    sessions: str

    async def insert_sign_in(
        self,
        conn: asyncpg.Connection,
        *,
        pending_hash: bytes,
        state: str,
        nonce: str,
        verifier: str,
        return_to: str,
        started_at: datetime,
    ) -> None:
        """Remember a sign-in under way until its callback."""
        await conn.execute(
            f"INSERT INTO {self.sign_ins} (pending_hash, state, nonce, verifier, return_to,"  # noqa: S608 - our own table name
            " started_at) VALUES ($1, $2, $3, $4, $5, $6)",
            pending_hash,
            state,
            nonce,
            verifier,
            return_to,
            started_at,
        )

    async def take_sign_in(
        self, conn: asyncpg.Connection, pending_hash: bytes
    ) -> asyncpg.Record | None:
        """The sign-in under way for this browser, removed: a callback is taken once."""
        row: asyncpg.Record | None = await conn.fetchrow(
            f"DELETE FROM {self.sign_ins} WHERE pending_hash = $1"  # noqa: S608
            " RETURNING state, nonce, verifier, return_to, started_at",
            pending_hash,
        )
        return row

    async def forget_sign_ins_before(self, conn: asyncpg.Connection, before: datetime) -> None:
        """Drop sign-ins abandoned at the identity provider."""
        await conn.execute(f"DELETE FROM {self.sign_ins} WHERE started_at < $1", before)  # noqa: S608

    async def insert_session(
        self,
        conn: asyncpg.Connection,
        *,
        session_hash: bytes,
        person: str,
        subject: str,
        role: str,
        kind: str,
        principal_id: str,
        states: list[str],
        language: str,
        id_token: str,
        at: datetime,
    ) -> None:
        """A new session, begun now."""
        await conn.execute(
            f"INSERT INTO {self.sessions} (session_hash, person, subject, role, principal_kind,"  # noqa: S608
            " principal_id, states, language, id_token, started_at, last_seen_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
            session_hash,
            person,
            subject,
            role,
            kind,
            principal_id,
            states,
            language,
            id_token,
            at,
        )

    async def find_session(
        self, conn: asyncpg.Connection, session_hash: bytes
    ) -> asyncpg.Record | None:
        """A session by the hash of its cookie's secret."""
        row: asyncpg.Record | None = await conn.fetchrow(
            f"SELECT {_SESSION} FROM {self.sessions} WHERE session_hash = $1",  # noqa: S608
            session_hash,
        )
        return row

    async def see_session(
        self, conn: asyncpg.Connection, session_hash: bytes, at: datetime
    ) -> None:
        """The session was used now: its idle time starts again."""
        await conn.execute(
            f"UPDATE {self.sessions} SET last_seen_at = greatest(last_seen_at, $2)"  # noqa: S608
            " WHERE session_hash = $1",
            session_hash,
            at,
        )

    async def end_session(
        self, conn: asyncpg.Connection, session_hash: bytes, at: datetime
    ) -> bool:
        """End a session (signed out, or found over); False if it had ended already."""
        done: str = await conn.execute(
            f"UPDATE {self.sessions} SET ended_at = $2"  # noqa: S608
            " WHERE session_hash = $1 AND ended_at IS NULL",
            session_hash,
            at,
        )
        return done.endswith(" 1")

    async def set_language(
        self, conn: asyncpg.Connection, session_hash: bytes, language: str
    ) -> None:
        """The language the person chose, kept with their session."""
        await conn.execute(
            f"UPDATE {self.sessions} SET language = $2 WHERE session_hash = $1",  # noqa: S608
            session_hash,
            language,
        )
