"""An installation upgraded from when reasons were words keeps none in the router.

A router from before kept a provider's words as the referral's `status_reason` and in the
events it queued (declined, paused, resumed, re-routed). Intake keeps those words, sealed;
after the upgrade the router holds only codes, `other` where there were words.
"""

from __future__ import annotations

import json
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

import lindung_router
import pytest
from lindung_common.db import apply_migrations, create_pool

pytestmark = pytest.mark.integration

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
MIGRATIONS = Path(lindung_router.__file__).parent / "migrations"
WORDS = "no bed for Aye Aye Mon, 15"


def _event(event_type: str, reason: str) -> bytes:
    return json.dumps({"type": event_type, "data": {"reason": reason}}).encode()


async def test_words_in_the_routers_reasons_and_queued_events_become_other(stack, tmp_path, schema):
    old = tmp_path / "lindung_router" / "migrations"  # the directory name is the origin
    old.mkdir(parents=True)
    (codes,) = MIGRATIONS.glob("*_reason_codes.sql")
    for path in sorted(MIGRATIONS.glob("*.sql")):
        if path.name < codes.name:
            shutil.copy(path, old / path.name)
    case_id, referral_id = uuid.uuid4(), uuid.uuid4()
    events = {
        "org.lindung.referral.declined.v1": WORDS,
        "org.lindung.referral.paused.v1": f"{WORDS} is in ward 4",
        "org.lindung.referral.resumed.v1": "at_capacity",  # already a code: kept
        "org.lindung.referral.rerouted.v1": f"shelter-kl-1 declined: {WORDS}",
        "org.lindung.referral.cancelled.v1": f"reported failure, no provider left: {WORDS}",
    }
    silence = "shelter-kl-2 did not answer before the deadline: did not answer"
    pool = await create_pool(stack.database_url, schema)
    try:
        await apply_migrations(pool, schema, old)
        async with pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO cases (case_id, agency_id, state, child, identified_at, opened_at,"
                " event_id, policy_version, directory_version)"
                " VALUES ($1, 'pdrm-kl', 'selangor', '{}', $2, $2, $3, 'p', 'd')",
                case_id, AT, uuid.uuid4(),
            )  # fmt: skip
            await conn.execute(
                "INSERT INTO referrals (referral_id, case_id, agency_id, service, provider_id,"
                " attempt, status, urgent, reasons, requested_at, due_at, escalation,"
                " policy_version, status_reason, status_at) VALUES ($1, $2, 'pdrm-kl',"
                " 'safe_shelter', 'shelter-kl-1', 1, 'declined', false, '{}', $3, $3, '[]',"
                " 'p', $4, $3)",
                referral_id, case_id, AT, WORDS,
            )  # fmt: skip
            queued = [*events.items(), ("org.lindung.referral.rerouted.v1", silence)]
            for event_type, reason in queued:
                await conn.execute(
                    "INSERT INTO outbox (event_id, event_type, topic, key, value, headers)"
                    " VALUES ($1, $2, 'lindung.referrals.v1', $3, $4, '[]')",
                    uuid.uuid4(), event_type, b"k", _event(event_type, reason),
                )  # fmt: skip

        await apply_migrations(pool, schema, MIGRATIONS)

        async with pool.acquire() as conn:
            kept = await conn.fetchval("SELECT status_reason FROM referrals")
            rows = await conn.fetch("SELECT event_type, value FROM outbox ORDER BY id")
            dumped = " ".join(str(r) for r in await conn.fetch("SELECT * FROM outbox"))
    finally:
        await pool.close()
    assert kept == "other"
    reasons = [(r["event_type"], json.loads(r["value"])["data"]["reason"]) for r in rows]
    assert reasons == [
        ("org.lindung.referral.declined.v1", "other"),
        ("org.lindung.referral.paused.v1", "other"),
        ("org.lindung.referral.resumed.v1", "at_capacity"),
        ("org.lindung.referral.rerouted.v1", "shelter-kl-1 declined: other"),
        ("org.lindung.referral.cancelled.v1", "reported failure, no provider left: other"),
        ("org.lindung.referral.rerouted.v1", silence),  # system words, not a person's
    ]
    assert "Aye Aye Mon" not in dumped
