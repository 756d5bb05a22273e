"""`python -m lindung_router` as a process: refuses bad files, routes cases from Kafka."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from lindung_contracts import REFERRALS, ReferralRequested, decode, encode

DEMO = Path(__file__).parents[3] / "deploy" / "demo"


def router_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROUTER_")}
    return env | {f"ROUTER_{k.upper()}": v for k, v in settings.items()}


def test_a_bad_directory_file_stops_start_up_with_the_reason(tmp_path):
    bad = tmp_path / "directory.json"
    bad.write_text(json.dumps({"version": "1", "providers": [{"id": "x y", "name": "n"}]}))
    done = subprocess.run(
        [sys.executable, "-m", "lindung_router"],
        env=router_env(
            kafka_bootstrap_servers="127.0.0.1:1",
            kafka_sasl_username="router",
            kafka_sasl_password="unused",
            database_url="postgresql://nobody@127.0.0.1:1/none",
            directory_file=str(bad),
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert str(bad) in done.stderr
    assert "providers.0.id" in done.stderr
    assert "providers.0.services: Field required" in done.stderr


def test_a_missing_directory_setting_stops_start_up_naming_the_variable():
    done = subprocess.run(
        [sys.executable, "-m", "lindung_router"],
        env=router_env(
            kafka_bootstrap_servers="127.0.0.1:1",
            kafka_sasl_username="router",
            kafka_sasl_password="unused",
            database_url="postgresql://x@h/x",
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "ROUTER_DIRECTORY_FILE" in done.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.mark.integration
async def test_the_worker_routes_a_case_from_kafka_to_kafka(stack, schema, tmp_path, case_opened):
    port = free_port()
    log_file = (tmp_path / "router.log").open("wb")
    process = subprocess.Popen(  # noqa: ASYNC220 - started once, waited on with polling below
        [sys.executable, "-m", "lindung_router"],
        env=router_env(
            **stack.kafka_settings("router"),
            database_url=stack.database_url_for("router", schema),
            db_schema=schema,
            http_port=str(port),
            directory_file=str(DEMO / "directory.hsds.json"),
            policy_file=str(DEMO / "policy.toml"),
        ),
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    try:
        async with asyncio.timeout(120):
            while not await asyncio.to_thread(healthy, port):
                assert process.poll() is None, (tmp_path / "router.log").read_text()
                await asyncio.sleep(0.5)
        envelope = case_opened()
        case_id = envelope.data.case_id
        producer = AIOKafkaProducer(**stack.kafka())
        await producer.start()
        try:
            record = encode(envelope)
            await producer.send_and_wait(
                record.topic, value=record.value, key=record.key, headers=list(record.headers)
            )
        finally:
            await producer.stop()

        consumer = AIOKafkaConsumer(
            REFERRALS.name,
            **stack.kafka(),
            group_id=f"test-router-worker-{uuid.uuid4().hex[:8]}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        found: dict[str, ReferralRequested] = {}
        try:
            async with asyncio.timeout(120):
                while len(found) < 4:
                    batches = await consumer.getmany(timeout_ms=500)
                    for message in (m for ms in batches.values() for m in ms):
                        event = decode(message.value, message.headers).data
                        if isinstance(event, ReferralRequested) and event.case_id == case_id:
                            assert message.key == str(case_id).encode()
                            found[event.service.value] = event
        finally:
            await consumer.stop()
        assert set(found) == {"child_protector", "safe_shelter", "health", "legal_aid"}
        assert {e.policy_version for e in found.values()} == {"demo-seconds-1"}
        assert found["safe_shelter"].provider_id == "shelter-sel-1"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(process.wait, 60)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait, 30)
        log_file.close()
    assert process.returncode == 0, "the worker did not stop cleanly on SIGTERM"
