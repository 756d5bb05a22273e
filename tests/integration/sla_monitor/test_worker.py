"""The real worker (`python -m lindung_sla_monitor`): from REFERRALS to an escalation on Kafka."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from lindung_contracts import DEADLINES, DeadlineMissed, decode, encode

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


async def test_the_worker_records_a_referral_and_escalates_it(
    stack, schema, new_referral, tmp_path
):
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SLA_MONITOR_")},
        **stack.service_env("sla-monitor"),
        "SLA_MONITOR_DATABASE_URL": stack.database_url,
        "SLA_MONITOR_DB_SCHEMA": schema,
        "SLA_MONITOR_HTTP_PORT": str(port),
        "SLA_MONITOR_TICK_SECONDS": "0.5",
    }
    log_path = tmp_path / "sla-monitor.log"
    log_file = log_path.open("wb")
    worker = subprocess.Popen(  # noqa: ASYNC220 - a long-lived child, stopped below
        [sys.executable, "-m", "lindung_sla_monitor"],
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    consumer = AIOKafkaConsumer(
        DEADLINES.name,
        **stack.kafka(),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    found = []
    try:
        async with asyncio.timeout(120):
            while not await asyncio.to_thread(_ready, port):
                assert worker.poll() is None, log_path.read_text()[-4000:]
                await asyncio.sleep(0.5)

        # A referral whose deadline passed an hour ago: the worker's next ticks must escalate.
        referral = new_referral(
            requested_at=datetime.now(UTC) - timedelta(hours=5), window=timedelta(hours=4)
        )
        record = encode(referral.requested())
        producer = AIOKafkaProducer(**stack.kafka())
        await producer.start()
        try:
            await producer.send_and_wait(
                record.topic, record.value, key=record.key, headers=list(record.headers)
            )
        finally:
            await producer.stop()

        await consumer.start()
        try:
            async with asyncio.timeout(120):
                while not found and worker.poll() is None:
                    batches = await consumer.getmany(timeout_ms=500)
                    records = (r for rs in batches.values() for r in rs)
                    found = [r for r in records if r.key == str(referral.case_id).encode()]
        except TimeoutError:
            pass
        finally:
            await consumer.stop()
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(worker.wait, 60)
        except subprocess.TimeoutExpired:
            worker.kill()
            await asyncio.to_thread(worker.wait)
        log_file.close()

    assert found, "no escalation published; worker log:\n" + log_path.read_text()[-4000:]

    events = [decode(r.value, r.headers) for r in found]
    assert [type(e.data) for e in events] == [DeadlineMissed]
    assert events[0].data.escalation_level == 1
    assert events[0].data.referral_id == referral.referral_id
    assert worker.returncode == 0, "the worker did not stop cleanly on SIGTERM"
