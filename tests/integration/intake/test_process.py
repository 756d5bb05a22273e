"""`python -m lindung_intake` as a process: serves HTTP, publishes to Kafka, stops cleanly."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from lindung_contracts import CASES, CaseOpened, decode

pytestmark = pytest.mark.integration

SECRET = "process-test-secret-0123456789abcdefghij"
DATA_KEYS = "process-1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _intake_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    return env | {f"INTAKE_{k.upper()}": v for k, v in settings.items()}


async def _healthy(http: httpx.AsyncClient) -> bool:
    try:
        return (await http.get("/health/ready", timeout=2)).status_code == 200
    except httpx.TransportError:
        return False


def test_a_bad_keys_file_stops_start_up_naming_the_file(tmp_path):
    keys = tmp_path / "keys.json"
    keys.write_text('{"keys": [{"hmac_sha256": "not-a-hash", "kind": "agency", "id": "pdrm-kl"}]}')
    done = subprocess.run(
        [sys.executable, "-m", "lindung_intake"],
        env=_intake_env(
            kafka_bootstrap_servers="127.0.0.1:1",
            kafka_sasl_username="intake",
            kafka_sasl_password="unused",
            database_url="postgresql://nobody@127.0.0.1:1/none",
            api_keys_file=str(keys),
            key_secret=SECRET,
            data_keys=DATA_KEYS,
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert str(keys) in done.stderr
    assert "INTAKE_API_KEYS_FILE" in done.stderr


def _keys(env: dict[str, str], *args: str) -> list[dict]:
    """`python -m lindung_intake keys ARGS`: its JSON lines."""
    done = subprocess.run(
        [sys.executable, "-m", "lindung_intake", "keys", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


async def test_the_process_opens_a_case_over_http_and_publishes_it_then_stops_on_sigterm(
    stack, tmp_path, tail, identification
):
    keys_file = tmp_path / "keys.json"
    keys_file.write_text('{"keys": []}')
    port = _free_port()
    env = _intake_env(
        **stack.kafka_settings("intake"),
        database_url=stack.database_urls["intake"],
        api_keys_file=str(keys_file),
        key_secret=SECRET,
        data_keys=DATA_KEYS,
        http_port=str(port),
    )
    # Keys are issued with the service's own command; the file gets their keyed hashes.
    (issued,) = await asyncio.to_thread(_keys, env, "issue", "--kind", "agency", "--id", "pdrm-kl")
    assert issued["key"] not in keys_file.read_text()
    agency_key = issued["key"]
    log_path = tmp_path / "intake.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(  # noqa: ASYNC220 - started once, then polled below
            [sys.executable, "-m", "lindung_intake"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            async with asyncio.timeout(120):
                while not await _healthy(http):
                    assert process.poll() is None, log_path.read_text()
                    await asyncio.sleep(0.5)
            # A body announced too large is refused before a byte of it is sent.
            assert await _announce_a_huge_body(port, agency_key) == 413
            reader = await tail(CASES)
            # The process uses the real clock: an identification of a few minutes ago.
            body = identification() | {"identified_at": _minutes_ago(5)}
            response = await http.post(
                "/v1/identifications",
                json=body,
                headers={"Authorization": f"Bearer {agency_key}"},
            )
            assert response.status_code == 202, response.text

            # Rotated while running: the old key is refused, the new one works, no restart.
            (rotated,) = await asyncio.to_thread(_keys, env, "rotate", "--key-id", issued["key_id"])
            await asyncio.sleep(1.5)  # the ring looks at the file at most once a second
            old = await http.post(
                "/v1/identifications",
                json=body,
                headers={"Authorization": f"Bearer {agency_key}"},
            )
            new = await http.post(
                "/v1/identifications",
                json=body,
                headers={"Authorization": f"Bearer {rotated['key']}"},
            )
            assert old.status_code == 401
            assert new.status_code == 200  # the same identification: the case already open
            listed = await asyncio.to_thread(_keys, env, "list")
            assert [(k["key_id"], k.get("revoked_at") is not None) for k in listed] == [
                (issued["key_id"], True),
                (rotated["key_id"], False),
            ]
            assert all("hmac_sha256" not in k and "key" not in k for k in listed)
        case_id = uuid.UUID(response.json()["case_id"])

        def published(records) -> list:
            return [
                r
                for r in records
                if isinstance(event := decode(r.value, r.headers).data, CaseOpened)
                and event.case_id == case_id
            ]

        records = published(await reader.until(lambda rs: bool(published(rs)), timeout=60))
        assert len(records) == 1
        assert records[0].key == str(case_id).encode()
        assert decode(records[0].value).data.agency_id == "pdrm-kl"

        process.send_signal(signal.SIGTERM)
        returncode = await asyncio.to_thread(process.wait, 30)
        assert returncode == 0, log_path.read_text()[-3000:]
    finally:
        if process.poll() is None:
            process.kill()
            await asyncio.to_thread(process.wait, 30)


async def _announce_a_huge_body(port: int, key: str) -> int:
    """Send only the headers of a 50 MB POST and read the status the server answers."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            b"POST /v1/identifications HTTP/1.1\r\nHost: intake\r\n"
            b"Content-Type: application/json\r\nContent-Length: 50000000\r\n"
            + f"Authorization: Bearer {key}\r\n\r\n".encode()
        )
        await writer.drain()
        async with asyncio.timeout(5):
            status_line = await reader.readline()
        return int(status_line.split()[1])
    finally:
        writer.close()


def _minutes_ago(minutes: int) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()
