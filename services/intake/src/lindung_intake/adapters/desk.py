"""The desk's rows in PostgreSQL: sign-ins under way, sessions, a provider's referrals."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    import asyncpg

__all__ = [
    "end_session",
    "find_session",
    "forget_sign_ins_before",
    "insert_session",
    "insert_sign_in",
    "provider_referral",
    "provider_referrals",
    "see_session",
    "set_language",
    "take_sign_in",
]


async def insert_sign_in(
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
        "INSERT INTO desk_sign_ins (pending_hash, state, nonce, verifier, return_to, started_at)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        pending_hash,
        state,
        nonce,
        verifier,
        return_to,
        started_at,
    )


async def take_sign_in(conn: asyncpg.Connection, pending_hash: bytes) -> asyncpg.Record | None:
    """The sign-in under way for this browser, removed: a callback is taken once."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "DELETE FROM desk_sign_ins WHERE pending_hash = $1"
        " RETURNING state, nonce, verifier, return_to, started_at",
        pending_hash,
    )
    return row


async def forget_sign_ins_before(conn: asyncpg.Connection, before: datetime) -> None:
    """Drop sign-ins abandoned at the identity provider."""
    await conn.execute("DELETE FROM desk_sign_ins WHERE started_at < $1", before)


async def insert_session(
    conn: asyncpg.Connection,
    *,
    session_hash: bytes,
    person: str,
    subject: str,
    kind: str,
    principal_id: str,
    states: list[str],
    language: str,
    id_token: str,
    at: datetime,
) -> None:
    """A new session, begun now."""
    await conn.execute(
        "INSERT INTO desk_sessions (session_hash, person, subject, principal_kind, principal_id,"
        " states, language, id_token, started_at, last_seen_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        session_hash,
        person,
        subject,
        kind,
        principal_id,
        states,
        language,
        id_token,
        at,
    )


async def find_session(conn: asyncpg.Connection, session_hash: bytes) -> asyncpg.Record | None:
    """A session by the hash of its cookie's secret."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT person, subject, principal_kind, principal_id, states, language, id_token,"
        " started_at, last_seen_at, ended_at FROM desk_sessions WHERE session_hash = $1",
        session_hash,
    )
    return row


async def see_session(conn: asyncpg.Connection, session_hash: bytes, at: datetime) -> None:
    """The session was used now: its idle time starts again."""
    await conn.execute(
        "UPDATE desk_sessions SET last_seen_at = greatest(last_seen_at, $2)"
        " WHERE session_hash = $1",
        session_hash,
        at,
    )


async def end_session(conn: asyncpg.Connection, session_hash: bytes, at: datetime) -> bool:
    """End a session (signed out, or found over); False if it had ended already."""
    done: str = await conn.execute(
        "UPDATE desk_sessions SET ended_at = $2 WHERE session_hash = $1 AND ended_at IS NULL",
        session_hash,
        at,
    )
    return done.endswith(" 1")


async def set_language(conn: asyncpg.Connection, session_hash: bytes, language: str) -> None:
    """The language the person chose, kept with their session."""
    await conn.execute(
        "UPDATE desk_sessions SET language = $2 WHERE session_hash = $1", session_hash, language
    )


async def provider_referrals(
    conn: asyncpg.Connection, provider_id: str, limit: int
) -> list[asyncpg.Record]:
    """The referrals addressed to a provider, newest first: where each stands, no case data."""
    return list(
        await conn.fetch(
            "SELECT referral_id, service, status, requested_at, due_at, withdrawn_at, paused_at"
            " FROM referral_access WHERE provider_id = $1"
            " ORDER BY requested_at DESC, referral_id LIMIT $2",
            provider_id,
            limit,
        )
    )


async def provider_referral(
    conn: asyncpg.Connection, provider_id: str, referral_id: UUID
) -> asyncpg.Record | None:
    """One referral addressed (now or before) to this provider; None for any other."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT referral_id, service, status, requested_at, due_at, withdrawn_at, paused_at"
        " FROM referral_access WHERE referral_id = $1 AND provider_id = $2",
        referral_id,
        provider_id,
    )
    return row
