"""The official CloudEvents SDKs read everything Lindung sends: webhooks and Kafka records.

Each golden example (and the same event as the clock stamps it, in UTC to the microsecond)
is encoded the way Lindung encodes it: the notifier's webhook (its headers, signed, POSTed
by its own HTTP client and captured as received) for every type the notifier delivers,
and the outbox's Kafka record (key, value, headers) for every type. The JavaScript SDK
(`cloudevents` on npm) and the Go SDK (`github.com/cloudevents/sdk-go/v2`, with its
Sarama Kafka binding) read them in small programs beside this file, built from their lock
files by `build.sh` once per run; the Python SDK (`cloudevents` on PyPI) reads them here.
Every message must parse, pass the SDK's own validation, and carry the event unchanged.
"""

from __future__ import annotations

import base64
import json
import subprocess
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from cloudevents.core.bindings.http import HTTPMessage, from_http
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka
from cloudevents.core.formats.json import JSONFormat
from lindung_contracts import Envelope, decode, encode
from lindung_contracts.generate import CONTRACTS_DIR
from lindung_notifier.adapters.http import WebhookClient
from lindung_notifier.domain import request_headers
from lindung_notifier.handlers import DELIVERED_TYPES

HERE = Path(__file__).parent
SECRET = "whsec_" + base64.b64encode(b"interop-test-secret-0123456789ab").decode()
# What the services' clock writes: UTC, to the microsecond.
CLOCK_TIME = datetime(2026, 12, 5, 1, 2, 3, 456789, tzinfo=UTC)
# JavaScript's Date holds milliseconds: the SDK gives the same instant to the millisecond.
SAME_INSTANT = timedelta(milliseconds=1)


@dataclass(frozen=True)
class Sent:
    """One message as it left Lindung, and the event it carries."""

    name: str
    envelope: Envelope[Any]
    headers: dict[str, str] | list[tuple[str, str]]
    body: str
    key: str | None = None


def _events() -> list[tuple[str, Envelope[Any]]]:
    events = []
    for path in sorted((CONTRACTS_DIR / "examples").glob("*.json")):
        golden = decode(path.read_bytes())
        events.append((path.stem, golden))
        events.append((f"{path.stem}@clock", golden.model_copy(update={"time": CLOCK_TIME})))
    return events


def _records() -> list[Sent]:
    """Every event as the outbox relay writes it to Kafka."""
    records = []
    for name, envelope in _events():
        record = encode(envelope)
        records.append(
            Sent(
                name=f"record {name}",
                envelope=envelope,
                headers=[(k, v.decode()) for k, v in record.headers],
                body=record.value.decode(),
                key=record.key.decode(),
            )
        )
    return records


@pytest.fixture(scope="module")
def readers() -> dict[str, list[str]]:
    """The JavaScript and Go readers, installed and built (or found up to date) once."""
    done = subprocess.run(
        [str(HERE / "build.sh")], capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return {
        "javascript": ["node", str(HERE / "js" / "parse.mjs")],
        "go": [str(HERE / "go" / "cereader")],
    }


async def _webhooks() -> list[Sent]:
    """Every delivered event, POSTed by the notifier's own client and captured as received."""
    captured: list[tuple[dict[str, str], bytes]] = []

    async def receive(request: web.Request) -> web.Response:
        captured.append((dict(request.headers), await request.read()))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    client = WebhookClient(timeout_seconds=10, connect_timeout_seconds=5)
    sent = []
    try:
        for name, envelope in _events():
            if type(envelope.data) not in DELIVERED_TYPES:
                continue
            body = envelope.model_dump_json().encode()  # what the notifier stores and sends
            headers = request_headers(
                notification_id=uuid.uuid4(), attempt=1, body=body, secrets=[SECRET], now=CLOCK_TIME
            )
            result = await client.post(f"http://{host}:{port}/hook", body, headers)
            assert result.status_code == 204, result
            received_headers, received_body = captured[-1]
            assert received_body == body
            sent.append(Sent(f"webhook {name}", envelope, received_headers, received_body.decode()))
    finally:
        await client.close()
        await runner.cleanup()
    return sent


def _sdk_input(webhooks: list[Sent], records: list[Sent]) -> str:
    return json.dumps(
        {
            "webhooks": [{"name": w.name, "headers": w.headers, "body": w.body} for w in webhooks],
            "records": [
                {"name": r.name, "key": r.key, "value": r.body, "headers": r.headers}
                for r in records
            ],
        }
    )


def _run(command: list[str], webhooks: list[Sent], records: list[Sent]) -> dict[str, Any]:
    done = subprocess.run(
        command,
        input=_sdk_input(webhooks, records),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return {line["name"]: line for line in map(json.loads, done.stdout.splitlines())}


def _python_sdk(webhooks: list[Sent], records: list[Sent]) -> dict[str, Any]:
    """The Python SDK's reading of each message, in the shape the other readers print."""
    results: dict[str, Any] = {}
    for w in webhooks:
        assert isinstance(w.headers, dict)
        results[w.name] = _python_event(
            w.name, lambda w=w: from_http(HTTPMessage(w.headers, w.body.encode()), JSONFormat())
        )
    for r in records:
        headers = {k: v.encode() for k, v in r.headers}
        message = KafkaMessage(headers=headers, key=r.key, value=r.body.encode())
        results[r.name] = _python_event(r.name, lambda m=message: from_kafka(m, JSONFormat()))
    return results


def _python_event(name: str, read: Any) -> dict[str, Any]:
    try:
        event = read()
    except Exception as exc:
        return {"name": name, "ok": False, "error": f"{type(exc).__name__}: {exc}"}
    attributes = {k: v for k, v in event.get_attributes().items() if v is not None}
    attributes["time"] = event.get_time().isoformat()
    return {"name": name, "ok": True, "event": {**attributes, "data": event.get_data()}}


def _differences(sent: Sent, read: dict[str, Any]) -> list[str]:
    """How what an SDK read differs from the event that was sent; nothing, when it is the same."""
    if not read.get("ok"):
        return [f"refused: {read.get('error')}"]
    event, envelope = read["event"], sent.envelope
    expected = {
        "specversion": "1.0",
        "id": str(envelope.id),
        "source": envelope.source,
        "type": envelope.type,
        "subject": envelope.subject,
        "datacontenttype": "application/json",
        "dataschema": envelope.dataschema,
        "partitionkey": envelope.partitionkey,
        "data": json.loads(sent.body)["data"],
    }
    found = [
        f"{name}: {event.get(name)!r}, sent {value!r}"
        for name, value in expected.items()
        if event.get(name) != value
    ]
    time = datetime.fromisoformat(event["time"])
    if abs(time - envelope.time) >= SAME_INSTANT:
        found.append(f"time: {event['time']}, sent {envelope.time.isoformat()}")
    return found


async def test_every_webhook_and_record_reads_the_same_in_javascript_go_and_python(readers):
    webhooks = await _webhooks()
    records = _records()
    sent = {message.name: message for message in [*webhooks, *records]}
    assert len(webhooks) >= len(DELIVERED_TYPES) * 2
    assert len(records) == len(list((CONTRACTS_DIR / "examples").glob("*.json"))) * 2

    readings = {name: _run(command, webhooks, records) for name, command in readers.items()}
    readings["python"] = _python_sdk(webhooks, records)

    problems = [
        f"{sdk} {name}: {difference}"
        for sdk, read in readings.items()
        for name, message in sent.items()
        for difference in _differences(message, read.get(name, {"error": "no answer"}))
    ]
    assert not problems, "\n".join(problems[:20])
