"""An installation upgraded from when reasons were free text keeps every word, sealed.

Rows an older intake wrote hold words in `provider_responses.reason` and
`clock_changes.reason`, and in the events it queued. After the upgrade no plaintext
column and no outbox row holds them: each became a sealed note (reason `other`), read
back through the API; at intake's start, or with `data-keys rotate`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import lindung_intake
import pytest
from lindung_common import Runtime
from lindung_common.db import apply_migrations, create_pool
from lindung_contracts import PROVIDER_RESPONSES, Envelope, ProviderResponded, ResponseKind, decode
from lindung_contracts import encode as encode_event
from lindung_intake.adapters import notes as stored
from lindung_intake.adapters.sealing import DataKeys, Sealed
from lindung_intake.bootstrap import build
from lindung_intake.settings import IntakeSettings
from lindung_intake.use_cases import OldWords

pytestmark = pytest.mark.integration

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
MIGRATIONS = Path(lindung_intake.__file__).parent / "migrations"
DECLINE = "No bed for Aye Aye Mon, 15, tonight."
ACCEPT = "We take her tomorrow at 09:00."
PAUSE = "Aye Aye Mon is in ward 4."
WORDS = (DECLINE, ACCEPT, PAUSE)


async def _old_installation(stack, tmp_path, schema) -> tuple[uuid.UUID, uuid.UUID]:
    """A schema as an intake from before notes left it: words in reasons and in the outbox.

    Returns the referral and the declined answer's id.
    """
    old = tmp_path / "lindung_intake" / "migrations"  # the directory name is the origin
    old.mkdir(parents=True)
    (notes,) = MIGRATIONS.glob("*_notes.sql")  # the migration that brought notes
    for path in sorted(MIGRATIONS.glob("*.sql")):
        if path.name < notes.name:
            shutil.copy(path, old / path.name)
    referral_id, case_id, declined = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    pool = await create_pool(stack.database_url, schema)
    try:
        await apply_migrations(pool, schema, old)
        async with pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO referral_access (referral_id, case_id, provider_id, service,"
                " requested_at) VALUES ($1, $2, 'shelter-kl-1', 'safe_shelter', $3)",
                referral_id,
                case_id,
                AT,
            )
            for response_id, response, words in (
                (uuid.uuid4(), "accepted", ACCEPT),
                (declined, "declined", DECLINE),
            ):
                await conn.execute(
                    "INSERT INTO provider_responses (response_id, referral_id, provider_id,"
                    " response, reason, responded_at) VALUES ($1, $2, 'shelter-kl-1', $3, $4, $5)",
                    response_id,
                    referral_id,
                    response,
                    words,
                    AT + timedelta(minutes=len(words)),
                )
            await conn.execute(
                "INSERT INTO clock_changes (request_id, referral_id, action, coordinator_id,"
                " reason, at) VALUES ($1, $2, 'pause', 'coordinator-kl', $3, $4)",
                uuid.uuid4(),
                referral_id,
                PAUSE,
                AT,
            )
            # The event queued with the decline, as the older intake wrote it: one sent,
            # one not yet.
            for published in (AT, None):
                answer = ProviderResponded(
                    response_id=declined,
                    referral_id=referral_id,
                    case_id=case_id,
                    provider_id="shelter-kl-1",
                    response=ResponseKind.DECLINED,
                    reason="other",
                    responded_at=AT,
                )
                envelope = Envelope.wrap(answer, event_id=uuid.uuid4(), time=AT, source="/x")
                record = encode_event(envelope)
                document = json.loads(record.value)
                document["data"]["reason"] = DECLINE
                value = json.dumps(document).encode()
                await conn.execute(
                    "INSERT INTO outbox (event_id, event_type, topic, key, value, published_at)"
                    " VALUES ($1, $2, $3, $4, $5, $6)",
                    envelope.id,
                    envelope.type,
                    PROVIDER_RESPONSES.name,
                    record.key,
                    value,
                    published,
                )
            assert DECLINE.encode() in bytes(
                await conn.fetchval("SELECT value FROM outbox LIMIT 1")
            )
    finally:
        await pool.close()
    return referral_id, declined


async def _plaintext(stack, schema) -> str:
    """Every non-bytea column of every table of the schema, and every outbox value, as text."""
    pool = await create_pool(stack.database_url, schema)
    try:
        async with pool.acquire() as conn:
            tables = await conn.fetch(
                "SELECT table_name, array_agg(column_name::text) AS names"
                " FROM information_schema.columns WHERE table_schema = $1"
                " AND data_type <> 'bytea' GROUP BY 1",
                schema,
            )
            texts = []
            for table in tables:
                listed = ", ".join(f'"{n}"::text' for n in table["names"])
                rows = await conn.fetch(
                    f"SELECT concat_ws(' ', {listed}) FROM \"{table['table_name']}\""
                )
                texts += [r[0] or "" for r in rows]
            texts += [
                bytes(v).decode()
                for v in await conn.fetchval("SELECT coalesce(array_agg(value), '{}') FROM outbox")
            ]
    finally:
        await pool.close()
    return "\n".join(texts)


async def test_intake_seals_the_old_words_into_notes_at_start_and_loses_none(
    stack, tmp_path, schema, keys_file, callers
):
    referral_id, declined = await _old_installation(stack, tmp_path, schema)
    settings = IntakeSettings(
        **stack.kafka_settings("intake"),
        database_url=stack.database_url,
        api_keys_file=keys_file,
        key_secret="test-key-secret-0123456789abcdef-0123456789",
        data_keys="test-1:" + base64.b64encode(bytes(range(32))).decode(),
        http_port=0,
        answer_wait_seconds=0,
    )
    runtime = Runtime(build(settings, schema=schema))
    await runtime.start(relay=False)  # the outbox stays as the upgrade left it
    try:
        (task,) = [t for t in runtime.service.tasks if isinstance(t, OldWords)]
        await asyncio.wait_for(task.finished.wait(), timeout=30)
        transport = httpx.ASGITransport(app=runtime.web())
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            coordinator = await client.get(
                f"/v1/referrals/{referral_id}/notes", headers=callers.coordinator
            )
            provider = await client.get(
                f"/v1/referrals/{referral_id}/notes", headers=callers.provider
            )
        async with runtime.service.db.pool.acquire() as conn:
            reasons = await conn.fetch(
                "SELECT reason FROM provider_responses UNION ALL SELECT reason FROM clock_changes"
            )
            queued = [bytes(v) for v in await conn.fetchval("SELECT array_agg(value) FROM outbox")]
    finally:
        await runtime.stop()

    assert [r["reason"] for r in reasons] == ["other"] * 3
    assert coordinator.status_code == 200, coordinator.text
    notes = coordinator.json()["notes"]
    assert sorted((n["about"], n["reason"], n["writer_id"], n["words"]) for n in notes) == [
        ("accept", "other", "shelter-kl-1", ACCEPT),
        ("decline", "other", "shelter-kl-1", DECLINE),
        ("pause", "other", "coordinator-kl", PAUSE),
    ]
    decline_note = next(n for n in notes if n["about"] == "decline")
    assert datetime.fromisoformat(decline_note["written_at"]) == AT + timedelta(
        minutes=len(DECLINE)
    )
    assert sorted(n["words"] for n in provider.json()["notes"]) == sorted([ACCEPT, DECLINE])
    # The queued events carry the code now, sent or not, and still decode.
    for value in queued:
        event = decode(value).data
        assert (event.response_id, event.reason) == (declined, "other")
    everything = await _plaintext(stack, schema)
    for words in WORDS:
        assert words not in everything
    assert "Aye Aye" not in everything


async def test_data_keys_rotate_seals_old_words_and_re_seals_notes(
    stack, tmp_path, schema, keys_file, key_secret, data_keys
):
    referral_id, _ = await _old_installation(stack, tmp_path, schema)
    pool = await create_pool(stack.database_url, schema)
    old_keys = DataKeys.parse(data_keys)
    try:
        await apply_migrations(pool, schema, MIGRATIONS)
        async with pool.acquire() as conn:
            note_id = uuid.uuid4()
            sealed = stored.seal_words(old_keys, note_id, "Written under the old key.")
            await conn.execute(
                "INSERT INTO notes (note_id, referral_id, case_id, about, source_id, reason,"
                " writer_kind, writer_id, written_at, words, words_key_id) VALUES ($1, $2, $3,"
                " 'resume', $4, 'child_available', 'coordinator', 'coordinator-kl', $5, $6, $7)",
                note_id,
                referral_id,
                uuid.uuid4(),
                uuid.uuid4(),
                AT,
                sealed.blob,
                sealed.key_id,
            )
    finally:
        await pool.close()
    new_key = "test-2:" + base64.b64encode(os.urandom(32)).decode()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")} | {
        **stack.service_env("intake"),
        "INTAKE_DATABASE_URL": stack.database_url,
        "INTAKE_DB_SCHEMA": schema,
        "INTAKE_API_KEYS_FILE": str(keys_file),
        "INTAKE_KEY_SECRET": key_secret,
        "INTAKE_DATA_KEYS": f"{new_key},{data_keys}",
    }

    def command(*args: str) -> tuple[int, list[dict]]:
        done = subprocess.run(
            [sys.executable, "-m", "lindung_intake", "data-keys", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        for words in WORDS:
            assert words not in done.stdout + done.stderr
        return done.returncode, [json.loads(line) for line in done.stdout.splitlines()]

    before = await asyncio.to_thread(command, "status")
    rotated = await asyncio.to_thread(command, "rotate")
    after = await asyncio.to_thread(command, "status")

    assert before == (
        1,
        [
            {
                "current": "test-2",
                "sealed_by_key": {},
                "notes_by_key": {"test-1": 1},
                "old_reasons_unsealed": 3,
                "unknown_keys": [],
            }
        ],
    )
    assert rotated[1][0] == {
        "resealed": 0,
        "notes_resealed": 1,
        "old_reasons_sealed": 3,
        "key_id": "test-2",
    }
    status = {
        "current": "test-2",
        "sealed_by_key": {},
        "notes_by_key": {"test-2": 4},
        "old_reasons_unsealed": 0,
        "unknown_keys": [],
    }
    assert rotated == (0, [rotated[1][0], status])
    assert after == (0, [status])
    # Every note opens under the new key alone, with its words.
    pool = await create_pool(stack.database_url, schema)
    try:
        async with pool.acquire() as conn:
            rows = await stored.notes_of(conn, referral_id)
    finally:
        await pool.close()
    new_keys = DataKeys.parse(new_key)
    opened = sorted(
        stored.open_words(new_keys, r["note_id"], Sealed(r["words_key_id"], bytes(r["words"])))
        for r in rows
    )
    assert opened == sorted([*WORDS, "Written under the old key."])
