"""`python -m lindung_notifier` as a process: Kafka in, webhook out, the outcome on Kafka."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from lindung_contracts import NOTIFICATIONS, NotificationDelivered, decode, encode

pytestmark = pytest.mark.integration

DEADLINE_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_worker(
    tmp_path, env_overrides: dict[str, str], port: int | None = None
) -> subprocess.Popen[bytes]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NOTIFIER_")},
        "NOTIFIER_HTTP_PORT": str(port or free_port()),
        "NOTIFIER_DISPATCHER_IDLE_SECONDS": "0.2",
        **env_overrides,
    }
    # The worker keeps a data directory in its working directory: keep it in tmp_path.
    return subprocess.Popen(
        [sys.executable, "-m", "lindung_notifier"],
        cwd=tmp_path,
        env=env,
        stdout=(tmp_path / "worker.log").open("wb"),
        stderr=subprocess.STDOUT,
    )


def stop_worker(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()


def ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


async def publish(kafka: dict, envelope) -> None:
    producer = AIOKafkaProducer(**kafka, acks="all")
    await producer.start()
    try:
        record = encode(envelope)
        await producer.send_and_wait(
            record.topic, value=record.value, key=record.key, headers=list(record.headers)
        )
    finally:
        await producer.stop()


async def notification_about(kafka: dict, cause_event_id) -> NotificationDelivered:
    # No group: every partition, from the beginning, nothing committed.
    consumer = AIOKafkaConsumer(NOTIFICATIONS.name, **kafka, auto_offset_reset="earliest")
    await consumer.start()
    try:
        give_up = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < give_up:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    event = decode(record.value, record.headers).data
                    if getattr(event, "cause_event_id", None) == cause_event_id:
                        return event
        pytest.fail("no notification event reached Kafka")
    finally:
        await consumer.stop()


@pytest.fixture
def worker_env(stack, schema, endpoints_file) -> dict[str, str]:
    return {
        **stack.service_env("notifier"),
        "NOTIFIER_DATABASE_URL": stack.database_url_for("notifier", schema),
        "NOTIFIER_ENDPOINTS_FILE": str(endpoints_file),
        "NOTIFIER_DB_SCHEMA": schema,
    }


async def test_the_worker_delivers_a_referral_from_kafka_and_reports_it_on_kafka(
    stack, worker_env, tmp_path, receiver, referral_requested
):
    port = free_port()
    process = start_worker(tmp_path, worker_env, port)
    try:
        give_up = time.monotonic() + DEADLINE_SECONDS
        while not await asyncio.to_thread(ready, port):
            assert process.poll() is None, (tmp_path / "worker.log").read_text()
            assert time.monotonic() < give_up, "the worker never became ready"
            await asyncio.sleep(0.5)
        event = referral_requested("shelter-kl-1")
        await publish(stack.kafka(), event)

        # The topic is shared with other tests in this run (earlier referrals may also be
        # addressed to shelter-kl-1), so look for the delivery of this event only.
        def ours() -> list:
            return [
                r for r in receiver.to("/shelter-kl-1") if json.loads(r.body)["id"] == str(event.id)
            ]

        give_up = time.monotonic() + DEADLINE_SECONDS
        while not ours() and process.poll() is None:
            assert time.monotonic() < give_up, "the webhook was never called"
            await asyncio.sleep(0.2)
        assert process.poll() is None, (tmp_path / "worker.log").read_text()

        [sent] = ours()
        reported = await notification_about(stack.kafka(), event.id)
        assert isinstance(reported, NotificationDelivered)
        assert reported.recipient == "shelter-kl-1"
        assert str(reported.notification_id) == sent.headers["Idempotency-Key"]
    finally:
        code = await asyncio.to_thread(stop_worker, process)
    assert code == 0, (tmp_path / "worker.log").read_text()


async def test_the_worker_refuses_to_start_with_a_bad_endpoints_file(tmp_path):
    bad = tmp_path / "endpoints.json"
    bad.write_text('{"roles": {"supervisors": {"webhook_url": "http://127.0.0.1/"}}}')
    process = start_worker(
        tmp_path,
        {
            "NOTIFIER_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9",
            "NOTIFIER_KAFKA_SASL_USERNAME": "notifier",
            "NOTIFIER_KAFKA_SASL_PASSWORD": "unused",
            "NOTIFIER_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none",
            "NOTIFIER_ENDPOINTS_FILE": str(bad),
        },
    )

    code = await asyncio.to_thread(process.wait, 60)

    log = (tmp_path / "worker.log").read_text()
    assert code == 2, log
    [line] = log.splitlines()
    assert line.startswith("lindung-notifier cannot start: endpoints file ")
    assert str(bad) in line
    assert "roles.supervisors" in line


async def test_the_worker_refuses_to_start_without_an_endpoints_file(tmp_path):
    process = start_worker(
        tmp_path,
        {
            "NOTIFIER_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9",
            "NOTIFIER_KAFKA_SASL_USERNAME": "notifier",
            "NOTIFIER_KAFKA_SASL_PASSWORD": "unused",
            "NOTIFIER_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none",
        },
    )

    code = await asyncio.to_thread(process.wait, 60)

    log = (tmp_path / "worker.log").read_text()
    assert code == 2, log
    assert "NOTIFIER_ENDPOINTS_FILE" in log
