"""A full demo run leaves none of its seeded personal data in a log line, on a topic or in
a column that is not sealed: the names, document numbers, phone numbers and places the
agencies give are only ever in intake's sealed `personal` column and in the answers to
the providers entitled to them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from lindung_contracts import AGENCY_IDENTIFICATIONS
from lindung_devstack import demo
from lindung_intake.settings import IntakeSettings
from lindung_notifier.settings import NotifierSettings
from lindung_router.settings import RouterSettings
from lindung_sla_monitor.settings import SlaMonitorSettings

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

SCHEMAS = [
    settings.model_fields["db_schema"].default
    for settings in (IntakeSettings, RouterSettings, NotifierSettings, SlaMonitorSettings)
]


async def _every_record(stack) -> list[tuple[str, bytes]]:
    """Every record's key, header values and value, on every topic of the broker."""
    admin = AIOKafkaAdminClient(**stack.kafka())  # the admin: a super user reads any topic
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if not t.startswith("__")]
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(**stack.kafka(), enable_auto_commit=False)
    await consumer.start()
    found: list[tuple[str, bytes]] = []
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in consumer.partitions_for_topic(topic) or await _partitions(consumer, topic)
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        left = {tp for tp in partitions if ends[tp] > 0}
        while left:
            batches = await consumer.getmany(*left, timeout_ms=2000)
            if not batches:
                break
            for tp, messages in batches.items():
                for m in messages:
                    headers = b"".join(v or b"" for _, v in m.headers)
                    found.append((m.topic, (m.key or b"") + headers + (m.value or b"")))
                if messages and messages[-1].offset + 1 >= ends[tp]:
                    left.discard(tp)
    finally:
        await consumer.stop()
    return found


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()
    return consumer.partitions_for_topic(topic) or set()


async def _unsealed_rows(database_url: str) -> list[tuple[str, str]]:
    """Every row of the services' tables as text, sealed (bytea) columns left out."""
    conn = await asyncpg.connect(database_url)
    try:
        columns = await conn.fetch(
            "SELECT table_schema, table_name, array_agg(column_name::text) AS names"
            " FROM information_schema.columns WHERE table_schema = ANY($1::text[])"
            " AND data_type <> 'bytea' GROUP BY 1, 2",
            SCHEMAS,
        )
        rows: list[tuple[str, str]] = []
        for table in columns:
            where = f'"{table["table_schema"]}"."{table["table_name"]}"'
            listed = ", ".join(f'"{name}"::text' for name in table["names"])
            query = f"SELECT concat_ws(' ', {listed}) FROM {where}"
            rows.extend((where, row[0] or "") for row in await conn.fetch(query))
        return rows
    finally:
        await conn.close()


def _agency_input(stack, topic: str) -> bool:
    """An agency's own identifications topic: only that agency writes it (the demo's
    agencies, and the other agencies of the run's broker, which other tests write)."""
    return any(topic == AGENCY_IDENTIFICATIONS.for_agency(a).name for a in stack.agencies)


def _logs(paths: list[Path]) -> list[tuple[str, str]]:
    return [(str(p), p.read_text(errors="replace")) for p in paths if p.is_file()]


async def test_a_full_demo_run_leaves_no_seeded_personal_data_anywhere_but_sealed(
    stack, tmp_path, capsys
):
    now = datetime.now(UTC)
    seeded = demo.seeded_personal(now)
    reported = [b for b in demo.identifications(now).values() if "personal" in b]
    reported.append(demo.second_report(now))
    assert len(seeded) >= 12  # names, document numbers, phones, whereabouts of five reports

    dashboard: list[tuple[str, str]] = []

    async def visit(services, keys) -> None:
        """What operations read: the dashboard's JSON and its export (the page shows the same)."""
        url = services["sla-monitor"].url
        key = keys.operations[demo.OPERATIONS]
        bearer = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(base_url=url, timeout=10, headers=bearer) as http:
            for path in (
                "/dashboard/api/summary?last=24h",
                "/dashboard/api/open?limit=1000",
                "/dashboard/export.csv?last=24h",
            ):
                response = await http.get(path)
                assert response.status_code == 200, (path, response.text)
                dashboard.append((f"dashboard {path}", response.text))  # fmt: skip

    await demo.play(stack, tmp_path, seconds=15, stay=False, visit=visit)

    printed = capsys.readouterr().out
    assert "linked': True" in printed  # the second agency's report joined case A
    log_files = sorted((tmp_path / "logs").glob("*"))
    if stack.broker is not None:
        log_files += [stack.broker.log_file, stack.broker.out_file]
    if stack.postgres is not None:
        log_files.append(stack.postgres.log_file)
    # The emails the demo's mail relay kept (to shelters, legal aid, the coordinator): as
    # sent, and decoded (quoted-printable may break a name across lines in the former).
    mails = sorted((tmp_path / "mail").glob("*.eml")) + sorted((tmp_path / "mail").glob("*.txt"))
    logs = [*_logs(log_files), *_logs(mails), ("demo output", printed), *dashboard]
    records = await _every_record(stack)
    rows = await _unsealed_rows(stack.database_url)
    # The places looked in are not empty: a leak would have been seen.
    assert len(log_files) >= 4
    assert any("/desk/referrals/" in text for name, text in logs if name.endswith(".txt"))
    assert any("case opened" in text for name, text in logs if name.endswith("intake.log"))
    assert any(topic == "lindung.cases.v1" for topic, _ in records)
    assert any(where == '"intake"."cases"' for where, _ in rows)
    assert "/dashboard" in printed  # linked from "where to look next"
    open_now = next(text for where, text in dashboard if "api/open" in where)
    assert '"referral_id"' in open_now  # the demo's referrals are on the dashboard

    # An agency's own identifications topic holds what that agency wrote, as it wrote it:
    # the careless record with a made-up key is there, and must be nowhere Lindung writes.
    sent = AGENCY_IDENTIFICATIONS.for_agency("jtk-perak").name
    assert any(t == sent and demo.MADE_UP_KEYS[1].encode() in b for t, b in records)
    written = [(t, b.decode(errors="replace")) for t, b in records if not _agency_input(stack, t)]
    assert any(t.endswith(".rejections.v1") and "<key>" in text for t, text in written)
    leaks = [
        (where, value)
        for value in seeded
        for where, text in [*logs, *written, *rows]
        if value in text
    ]
    assert leaks == []
    async with asyncpg.create_pool(stack.database_url, min_size=1, max_size=1) as pool:
        sealed = await pool.fetchval(
            "SELECT count(*) FROM intake.cases WHERE personal IS NOT NULL"
            " AND agency_reference = ANY($1::text[])",
            [body["agency_reference"] for body in reported],
        )
        # The words the shelter and the coordinator typed reached intake, and stayed there.
        notes = {tuple(r) for r in await pool.fetch("SELECT about, reason FROM intake.notes")}
    assert sealed == len(reported) == 4
    # (The resume comes 15 s after the pause, after this shortened run.)
    assert {("decline", "at_capacity"), ("pause", "child_in_hospital")} <= notes
