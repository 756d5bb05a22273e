"""Notes in PostgreSQL: their words sealed, and the words older versions left in plaintext.

A note's words are sealed under the current data key, bound to the note (its id, marked
as a note's, so a value copied from another row or from a case does not open here). Every
function takes a connection inside the caller's transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

    from lindung_intake.domain import Note

    from .sealing import DataKeys, Sealed

__all__ = [
    "insert_note",
    "notes_by_key",
    "notes_of",
    "notes_to_reseal",
    "old_answer_words",
    "old_clock_words",
    "old_words_left",
    "open_words",
    "reseal_note",
    "seal_words",
    "set_answer_reason",
    "set_clock_reason",
]


def _binding(note_id: UUID) -> bytes:
    return b"lindung/note\0" + note_id.bytes


def seal_words(keys: DataKeys, note_id: UUID, words: str) -> Sealed:
    """A note's words, sealed under the current key and bound to the note."""
    return keys.seal(words.encode(), bound_to=_binding(note_id))


def open_words(keys: DataKeys, note_id: UUID, sealed: Sealed) -> str:
    """A note's words, opened; `SealError` when they do not open."""
    return keys.open(sealed, bound_to=_binding(note_id)).decode()


async def insert_note(conn: asyncpg.Connection, note: Note, sealed: Sealed) -> None:
    """Store a note, its words sealed; a second note for the same answer changes nothing."""
    await conn.execute(
        "INSERT INTO notes (note_id, referral_id, case_id, about, source_id, reason,"
        " writer_kind, writer_id, written_at, words, words_key_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        " ON CONFLICT (source_id) DO NOTHING",
        note.note_id,
        note.referral_id,
        note.case_id,
        note.about.value,
        note.source_id,
        note.reason.value,
        note.writer_kind.value,
        note.writer_id,
        note.written_at,
        sealed.blob,
        sealed.key_id,
    )


async def notes_of(conn: asyncpg.Connection, referral_id: UUID) -> list[asyncpg.Record]:
    """A referral's notes, oldest first, words still sealed."""
    return list(
        await conn.fetch(
            "SELECT note_id, about, reason, writer_kind, writer_id, written_at, words,"
            " words_key_id FROM notes WHERE referral_id = $1 ORDER BY written_at, note_id",
            referral_id,
        )
    )


async def notes_to_reseal(
    conn: asyncpg.Connection, old_key_ids: tuple[str, ...], limit: int
) -> list[asyncpg.Record]:
    """Notes one of these keys sealed, locked, at most `limit`."""
    return list(
        await conn.fetch(
            "SELECT note_id, words, words_key_id FROM notes"
            " WHERE words_key_id = ANY($1::text[]) ORDER BY note_id LIMIT $2"
            " FOR UPDATE SKIP LOCKED",
            list(old_key_ids),
            limit,
        )
    )


async def reseal_note(conn: asyncpg.Connection, note_id: UUID, sealed: Sealed) -> None:
    """Replace a note's sealed words."""
    await conn.execute(
        "UPDATE notes SET words = $2, words_key_id = $3 WHERE note_id = $1",
        note_id,
        sealed.blob,
        sealed.key_id,
    )


async def notes_by_key(conn: asyncpg.Connection) -> dict[str, int]:
    """How many notes each data key sealed."""
    rows = await conn.fetch("SELECT words_key_id, count(*) AS n FROM notes GROUP BY 1 ORDER BY 1")
    return {r["words_key_id"]: r["n"] for r in rows}


async def old_answer_words(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """Answers whose reason still holds words (written before reasons were codes), locked."""
    return list(
        await conn.fetch(
            "SELECT r.response_id, r.referral_id, a.case_id, r.provider_id, r.response,"
            " r.reason, r.responded_at FROM provider_responses r"
            " JOIN referral_access a USING (referral_id)"
            " WHERE r.reason IS NOT NULL AND NOT is_reason_code(r.reason)"
            " ORDER BY r.response_id LIMIT $1 FOR UPDATE OF r SKIP LOCKED",
            limit,
        )
    )


async def old_clock_words(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """Clock changes whose reason still holds words, locked."""
    return list(
        await conn.fetch(
            "SELECT c.request_id, c.referral_id, a.case_id, c.coordinator_id, c.action,"
            " c.reason, c.at FROM clock_changes c JOIN referral_access a USING (referral_id)"
            " WHERE NOT is_reason_code(c.reason)"
            " ORDER BY c.request_id LIMIT $1 FOR UPDATE OF c SKIP LOCKED",
            limit,
        )
    )


async def set_answer_reason(conn: asyncpg.Connection, response_id: UUID, code: str) -> None:
    """An answer's reason, as a code."""
    await conn.execute(
        "UPDATE provider_responses SET reason = $2 WHERE response_id = $1", response_id, code
    )


async def set_clock_reason(conn: asyncpg.Connection, request_id: UUID, code: str) -> None:
    """A clock change's reason, as a code."""
    await conn.execute(
        "UPDATE clock_changes SET reason = $2 WHERE request_id = $1", request_id, code
    )


async def old_words_left(conn: asyncpg.Connection) -> int:
    """How many answers and clock changes still hold words in their reason."""
    count: int = await conn.fetchval(
        "SELECT (SELECT count(*) FROM provider_responses"
        "        WHERE reason IS NOT NULL AND NOT is_reason_code(reason))"
        " + (SELECT count(*) FROM clock_changes WHERE NOT is_reason_code(reason))"
    )
    return count
