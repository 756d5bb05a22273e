"""A broker outage caused for real, against the four services as processes.

The module has a broker and PostgreSQL of its own, so stopping the broker touches nothing
else. What it shows: the router, the notifier and the sla-monitor turn 503 (saying why)
within seconds of the broker going and 200 within seconds of its return; intake keeps
answering identifications with 202 and its readiness 200 (`"status": "degraded"`); every
identification accepted went all the way through once; and the logs say what changed
instead of every failed request. And who the services are in PostgreSQL while they run.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from lindung_devstack.directory import DEMO_DIRECTORY, demo_providers
from lindung_devstack.roles import SCHEMAS
from lindung_devstack.services import ServiceSet
from lindung_devstack.stack import Stack
from lindung_devstack.world import Behaviour, StandIn, write_endpoints, write_keys

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

_spec = importlib.util.spec_from_file_location("faults", Path(__file__).with_name("faults.py"))
assert _spec is not None
assert _spec.loader is not None
faults = importlib.util.module_from_spec(_spec)
sys.modules["faults"] = faults
_spec.loader.exec_module(faults)

OUTAGE_SECONDS = 20.0
# Shorter than the outage, as the default 30 s is shorter than a minute's outage: batches
# the outbox producers hold expire while the broker is away, and they must recover.
REQUEST_TIMEOUT_SECONDS = "12"
NEED_THE_BROKER = ("router", "notifier", "sla-monitor")
# "Within a few seconds either way": the broker is asked every second.
NOTICED_WITHIN = 5.0
RECOVERED_WITHIN = 10.0


@dataclass
class Poll:
    """One answer of /health/ready."""

    at: float
    code: int
    status: str | None
    reasons: list[str]


@dataclass
class Watch:
    """Polls every service's /health/ready, keeping the time, code and status of each."""

    urls: dict[str, str]
    seen: dict[str, list[Poll]] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(3)) as http:
            while True:
                await asyncio.gather(*(self._poll(http, n, u) for n, u in self.urls.items()))
                await asyncio.sleep(0.25)

    async def _poll(self, http: aiohttp.ClientSession, name: str, url: str) -> None:
        try:
            async with http.get(f"{url}/health/ready") as r:
                body = await r.json()
                poll = Poll(time.monotonic(), r.status, body.get("status"), body["problems"])
        except (aiohttp.ClientError, TimeoutError):
            poll = Poll(time.monotonic(), 0, None, [])
        self.seen.setdefault(name, []).append(poll)


@pytest.fixture(scope="module")
def outage_stack(scratch):
    # Not under pytest's own temporary folder: PostgreSQL runs as another user there.
    with Stack(agencies=(faults.AGENCY,), short_lived=True) as running:
        scratch.append(running.workdir)
        yield running


@pytest.fixture(scope="module")
async def system(outage_stack, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("outage-world")
    providers = demo_providers()
    keys = write_keys(tmp / "keys.json", [faults.AGENCY], providers)
    standin = StandIn("", keys, lambda _: Behaviour("ignore"))
    write_endpoints(tmp / "endpoints.json", standin.base_url, providers)
    timeout = {"kafka_request_timeout_seconds": REQUEST_TIMEOUT_SECONDS}
    services = ServiceSet(
        tmp / "logs",
        outage_stack.kafka_bootstrap_servers,
        outage_stack.database_urls,
        outage_stack.credentials,
        settings={
            "intake": keys.settings(tmp / "keys.json")
            | {"rate_limit_per_minute": "1000000"}
            | timeout,
            "router": {"directory_file": str(DEMO_DIRECTORY)} | timeout,
            "notifier": {"endpoints_file": str(tmp / "endpoints.json")} | timeout,
            "sla-monitor": timeout,
        },
    )
    await standin.start()
    await asyncio.to_thread(services.start)
    try:
        yield services, keys.agencies[faults.AGENCY]
    finally:
        codes = await asyncio.to_thread(services.stop)
        await standin.stop()
    assert codes == dict.fromkeys(codes, 0), f"a service did not stop cleanly: {codes}"


def _log_lines(services: ServiceSet, since: dict[str, int]) -> dict[str, list[dict]]:
    """Each service's warning and error lines written since the offsets given."""
    lines: dict[str, list[dict]] = {}
    for name, process in services.processes.items():
        with process.log_file.open("rb") as log:
            log.seek(since[name])
            records = [json.loads(line) for line in log if line.startswith(b"{")]
        lines[name] = [r for r in records if r.get("level") in {"warning", "error"}]
    return lines


async def test_through_a_broker_outage_only_the_services_that_need_it_stop_and_nothing_is_lost(
    outage_stack, system, eventually
):
    services, agency_key = system
    broker = outage_stack.broker
    watch = Watch({name: p.url for name, p in services.processes.items()})
    flow = faults.Flow(services["intake"].url, agency_key, rate=4)
    await faults.wait_all_ready(watch.urls)
    watch.start()
    flow.start()
    try:
        await asyncio.sleep(3)
        offsets = {name: p.log_file.stat().st_size for name, p in services.processes.items()}
        stopping = time.monotonic()
        await asyncio.to_thread(broker.stop)
        gone = time.monotonic()
        accepted_when_gone = len(flow.accepted)
        await asyncio.sleep(OUTAGE_SECONDS)
        accepted_in_outage = len(flow.accepted) - accepted_when_gone
        await asyncio.to_thread(broker.start)
        back = time.monotonic()
        outage_lines = _log_lines(services, offsets)
        await faults.wait_all_ready(watch.urls, timeout=60)
        # Intake answers 200 all along; it says "ready" again once its outbox has caught
        # up with what it held through the outage, which takes longer on a busy machine.
        await eventually(
            lambda: watch.seen["intake"][-1].status == "ready", timeout=60, what="intake ready"
        )
        await asyncio.sleep(2)
    finally:
        await flow.stop()
        await watch.stop()

    # Intake took identifications all along, with 202, and never turned agencies away.
    assert flow.refusals == []
    assert accepted_in_outage >= OUTAGE_SECONDS * 4 * 0.5
    intake = watch.seen["intake"]
    assert {p.code for p in intake} == {200}
    assert "degraded" in {p.status for p in intake if gone < p.at < back}
    assert intake[-1].status == "ready"
    for name in NEED_THE_BROKER:
        polls = watch.seen[name]
        refused = [p for p in polls if p.code != 200]
        assert refused, f"{name} never turned 503"
        assert {p.code for p in refused} == {503}
        assert refused[0].at < gone + NOTICED_WITHIN, f"{name} noticed late"
        assert any("broker" in reason for p in refused for reason in p.reasons)
        # Ready before, not ready only while the broker was away (and for a few seconds
        # after), ready again since.
        assert all(stopping <= p.at < back + RECOVERED_WITHIN for p in refused), name
        assert polls[-1].code == 200
    # Everything accepted went through, once: one case in intake and the router, one
    # deadline, one delivery and one projection per referral (checked from the databases).
    facts = await faults.settled(outage_stack.database_url, set(flow.accepted.values()))
    assert facts["intake_cases"] == facts["router_cases"] == len(flow.accepted)
    assert facts["deadlines"] == facts["deliveries"] == facts["access"] == facts["referrals"]
    assert facts["dead_letters"] == dict.fromkeys(faults.SCHEMAS, 0)
    # A line when something changed, not one per failed request.
    for name, lines in outage_lines.items():
        assert 0 < len(lines) <= 40, (name, len(lines), [line.get("event") for line in lines])


async def test_each_service_is_connected_to_postgresql_as_its_own_role_only(outage_stack, system):
    conn = await asyncpg.connect(outage_stack.database_url)
    try:
        sessions = await conn.fetch(
            "SELECT a.application_name, a.usename, r.rolsuper FROM pg_stat_activity a"
            " JOIN pg_roles r ON r.oid = a.usesysid WHERE a.application_name LIKE 'lindung-%'"
        )
    finally:
        await conn.close()
    by_schema: dict[str, set[tuple[str, bool]]] = {}
    for s in sessions:
        schema = s["application_name"].removeprefix("lindung-")
        by_schema.setdefault(schema, set()).add((s["usename"], s["rolsuper"]))
    assert by_schema == {schema: {(schema, False)} for schema, _ in SCHEMAS.values()}
