"""What the fault tests share: the system under fault, a load of identifications, and the
checks on the databases.

Imported by path from the fault tests (the tests directory is not a package).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
import asyncpg
from lindung_devstack.directory import DEMO_DIRECTORY, demo_providers
from lindung_devstack.services import ServiceSet
from lindung_devstack.world import Behaviour, StandIn, write_endpoints, write_keys

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping
    from pathlib import Path

    from lindung_devstack.stack import Stack

AGENCY = "pdrm-selangor"
REQUESTED = "org.lindung.referral.requested.v1"
SCHEMAS = ("intake", "router", "notifier", "sla_monitor")


@contextlib.asynccontextmanager
async def running(
    stack: Stack,
    workdir: Path,
    *,
    instances: int = 1,
    more: Mapping[str, Mapping[str, str]] | None = None,
) -> AsyncIterator[tuple[ServiceSet, StandIn, str]]:
    """The four services (`instances` processes each), providers that never answer, and
    the agency's key; every process must stop cleanly at the end. `more` adds to each
    service's settings, by service.

    The default policy (deadlines in hours: nothing escalates during a test). One agency
    key posts every flow, retries included: no rate limit in the way. Deliveries a killed
    notifier had claimed are sent again once their lease ends: 12 s here, not a minute.
    """
    providers = demo_providers()
    keys = write_keys(workdir / "keys.json", [AGENCY], providers)
    standin = StandIn("", keys, lambda _: Behaviour("ignore"))
    write_endpoints(workdir / "endpoints.json", standin.base_url, providers)
    services = ServiceSet(
        workdir / "logs",
        stack.kafka_bootstrap_servers,
        stack.database_urls,
        stack.credentials,
        settings={
            name: settings | dict((more or {}).get(name, {}))
            for name, settings in {
                "intake": keys.settings(workdir / "keys.json")
                | {"rate_limit_per_minute": "1000000", "kafka_agencies": AGENCY},
                "router": {"directory_file": str(DEMO_DIRECTORY)},
                "notifier": {
                    "endpoints_file": str(workdir / "endpoints.json"),
                    "lease_seconds": "12",
                },
                "sla-monitor": {},
            }.items()
        },
        instances=instances,
    )
    await standin.start()
    await asyncio.to_thread(services.start)
    try:
        yield services, standin, keys.agencies[AGENCY]
    finally:
        codes = await asyncio.to_thread(services.stop)
        await standin.stop()
        for name, process in services.processes.items():
            print(f"--- {name} log: {process.log_file}")
    assert codes == dict.fromkeys(codes, 0), f"a service did not stop cleanly: {codes}"


def identification() -> dict[str, Any]:
    """A valid identification with a reference of its own: four referrals or more."""
    return {
        "agency_reference": f"PDRM/SEL/2026/{uuid.uuid4().hex[:12]}",
        "identified_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        "child": {
            "age_years": 15,
            "gender": "male",
            "nationality_status": "refugee",
            "languages": ["my", "ms"],
        },
        "situation": {
            "location": "police_lockup",
            "state": "selangor",
            "indicators": ["forced_labour"],
        },
    }


@dataclass
class Flow:
    """Posts identifications at a steady rate, retrying each until intake accepts it.

    An agency system does the same: a 503, a refused connection or a timeout means
    nothing was stored, so the same identification is sent again. With `also`, the
    intakes behind a load balancer: each post goes to the next, a retry to the one after.
    """

    intake_url: str
    agency_key: str
    rate: float
    also: tuple[str, ...] = ()
    accepted: dict[str, str] = field(default_factory=dict)  # reference -> case id
    refusals: list[int | str] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _sent: int = 0

    def start(self) -> None:
        """Begin posting in the background."""
        self._task = asyncio.create_task(self._run())

    async def stop(self, *, timeout: float = 120.0) -> None:
        """Stop offering new identifications; wait until those in flight are accepted."""
        self._stop.set()
        if self._task is not None:
            await asyncio.wait_for(self._task, timeout=timeout)

    async def _run(self) -> None:
        headers = {"Authorization": f"Bearer {self.agency_key}"}
        pending: set[asyncio.Task[None]] = set()
        async with aiohttp.ClientSession(headers=headers) as http:
            while not self._stop.is_set():
                task = asyncio.create_task(self._post(http, identification()))
                pending.add(task)
                task.add_done_callback(pending.discard)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=1 / self.rate)
            await asyncio.gather(*pending)

    async def _post(self, http: aiohttp.ClientSession, body: dict[str, Any]) -> None:
        intakes = (self.intake_url, *self.also)
        self._sent += 1
        turn = self._sent
        while True:
            wait = 0.5
            url = f"{intakes[turn % len(intakes)]}/v1/identifications"
            turn += 1
            try:
                async with http.post(url, json=body, timeout=aiohttp.ClientTimeout(10)) as r:
                    if r.status in {200, 202}:
                        self.accepted[body["agency_reference"]] = (await r.json())["case_id"]
                        return
                    self.refusals.append(r.status)
                    # Nothing was stored: send it again, after Retry-After when one is given.
                    assert r.status in {429, 503}, f"intake answered {r.status}: {await r.text()}"
                    wait = float(r.headers.get("Retry-After", wait))
            except (aiohttp.ClientError, TimeoutError) as exc:
                self.refusals.append(type(exc).__name__)
            await asyncio.sleep(wait)


@dataclass
class Readiness:
    """Polls every service's /health/ready and remembers each answer."""

    urls: dict[str, str]
    seen: dict[str, list[int]] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin polling in the background."""
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop polling."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        async with aiohttp.ClientSession() as http:
            while True:
                for name, url in self.urls.items():
                    try:
                        async with http.get(
                            f"{url}/health/ready", timeout=aiohttp.ClientTimeout(3)
                        ) as r:
                            code = r.status
                    except (aiohttp.ClientError, TimeoutError):
                        code = 0  # not answering at all
                    self.seen.setdefault(name, []).append(code)
                await asyncio.sleep(0.25)


async def wait_all_ready(urls: dict[str, str], *, timeout: float = 120.0) -> None:
    """Until every service answers 200 on /health/ready."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while True:
            codes = {}
            for name, url in urls.items():
                try:
                    async with http.get(f"{url}/health/ready") as r:
                        codes[name] = (r.status, await r.text())
                except aiohttp.ClientError as exc:
                    codes[name] = (0, type(exc).__name__)
            if all(code == 200 for code, _ in codes.values()):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"not ready in time: {codes}")
            await asyncio.sleep(0.5)


async def settled(database_url: str, case_ids: set[str], *, timeout: float = 180.0) -> dict:
    """Wait until every case went all the way through; then what each database holds."""
    deadline = time.monotonic() + timeout
    conn = await asyncpg.connect(database_url)
    try:
        while True:
            facts = await _facts(conn, case_ids)
            if facts["complete"]:
                return facts
            if time.monotonic() > deadline:
                raise AssertionError(f"not all cases went through in time: {facts['missing']}")
            await asyncio.sleep(1)
    finally:
        await conn.close()


async def _facts(conn: asyncpg.Connection, case_ids: set[str]) -> dict[str, Any]:
    ids = [uuid.UUID(c) for c in case_ids]
    q = conn.fetchval
    referrals = await conn.fetch(
        "SELECT referral_id FROM router.referrals WHERE case_id = ANY($1::uuid[])", ids
    )
    referral_ids = [r["referral_id"] for r in referrals]
    facts: dict[str, Any] = {
        "intake_cases": await q("SELECT count(*) FROM intake.cases WHERE case_id = ANY($1)", ids),
        "router_cases": await q("SELECT count(*) FROM router.cases WHERE case_id = ANY($1)", ids),
        "referrals": len(referral_ids),
        "deadlines": await q(
            "SELECT count(*) FROM sla_monitor.deadlines WHERE referral_id = ANY($1)", referral_ids
        ),
        "deliveries": await q(
            "SELECT count(*) FROM notifier.deliveries WHERE referral_id = ANY($1)"
            " AND cause_type = $2 AND recipient_kind = 'provider'",
            referral_ids,
            REQUESTED,
        ),
        "delivered": await q(
            "SELECT count(*) FROM notifier.deliveries WHERE referral_id = ANY($1)"
            " AND cause_type = $2 AND recipient_kind = 'provider' AND status = 'delivered'",
            referral_ids,
            REQUESTED,
        ),
        "access": await q(
            "SELECT count(*) FROM intake.referral_access WHERE referral_id = ANY($1)", referral_ids
        ),
        "dead_letters": {s: await q(f"SELECT count(*) FROM {s}.dead_letters") for s in SCHEMAS},
    }
    n = len(ids)
    missing = {
        k: v
        for k, v in facts.items()
        if (k in {"intake_cases", "router_cases"} and v != n)
        or (k in {"deadlines", "deliveries", "delivered", "access"} and v != len(referral_ids))
    }
    facts["missing"] = missing
    facts["complete"] = not missing and len(referral_ids) >= 4 * n
    return facts
