"""Intake's API writes its events through the outbox's size limit, like every consumer.

An event larger than `INTAKE_OUTBOX_MAX_EVENT_BYTES` is refused where it is written, in
the request's unit of work: nothing of the identification is stored, and the agency is
told in the one error shape (never with the body's contents).
"""

from __future__ import annotations

import asyncpg
import pytest

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("settings_overrides", [{"outbox_max_event_bytes": 1024}])
async def test_an_event_over_the_outbox_limit_stores_nothing_and_says_so(
    client, callers, identification, outbox, stack, schema
):
    body = identification()
    response = await client.post("/v1/identifications", json=body, headers=callers.agency)

    assert response.status_code == 413, response.text
    [error] = response.json()["errors"]
    assert error["field"] == "body"
    assert "the limit is 1024" in error["reason"]
    assert body["agency_reference"] not in response.text
    assert await outbox() == []
    conn = await asyncpg.connect(stack.database_url)
    try:
        stored = await conn.fetchval(f"SELECT count(*) FROM {schema}.cases")
    finally:
        await conn.close()
    assert stored == 0
