"""`python -m lindung_devstack run`: the operations guide's first steps, for real.

The real system is started on a data directory of the operator's, whose endpoints point
at a small webhook receiver here (the operator's own system, not a stand-in of the
product). Its first keys are read from what it prints, an agency reports a child with
one, and the referral webhooks arrive; stopped with SIGTERM and started again on the same
data, it issues no new keys, the old key still works and the first case is still there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shutil
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from aiohttp import web
from lindung_devstack._proc import free_port

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

AGENCY = "pdrm-selangor"
READY = "Ctrl-C stops everything"
STATES = ["selangor", "kuala_lumpur"]
SERVICES = ("child_protector", "safe_shelter", "health", "legal_aid", "unhcr",
            "psychosocial", "interpretation")  # fmt: skip
REQUESTED = "org.lindung.referral.requested.v1"


class Receiver:
    """The operator's webhook endpoint: records every request."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[tuple[str, dict[str, Any]]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((request.path, json.loads(await request.read())))
        return web.json_response({"received": True})

    def requested(self) -> set[str]:
        """Referral ids of the referral webhooks received by providers."""
        return {
            str(event["data"]["referral_id"])
            for path, event in self.received
            if path.startswith("/providers/") and event.get("type") == REQUESTED
        }


@contextlib.asynccontextmanager
async def receiving() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/{tail:.*}", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", receiver.port).start()
    try:
        yield receiver
    finally:
        await runner.cleanup()


def operator_files(data: Path, receiver: Receiver) -> None:
    """What the guide has the operator write: settings, directory and endpoints."""
    data.mkdir()
    names = ("kafka", "kafka_controller", "postgres", "keycloak", "keycloak_management",
             "intake", "router", "notifier", "sla_monitor")  # fmt: skip
    ports = "".join(f"{name} = {free_port()}\n" for name in names)
    (data / "lindung.toml").write_text(f'[ports]\n{ports}\n[first_keys]\nagency = "{AGENCY}"\n')
    providers = [
        {"id": f"{service.replace('_', '-')}-1", "name": f"{service} one",
         "services": [service], "states": STATES, "languages": ["ms", "en"],
         "accepting": True, "priority": 1}
        for service in SERVICES
    ]  # fmt: skip
    (data / "directory.json").write_text(json.dumps({"version": "t-1", "providers": providers}))
    base = f"http://127.0.0.1:{receiver.port}"
    endpoints = {
        "providers": {p["id"]: {"webhook_url": f"{base}/providers/{p['id']}"} for p in providers},
        "roles": {r: {"webhook_url": f"{base}/roles/{r}"}
                  for r in ("case_coordinator", "supervisor", "secretariat")},
    }  # fmt: skip
    (data / "endpoints.json").write_text(json.dumps(endpoints))


async def start(data: Path) -> tuple[asyncio.subprocess.Process, list[str]]:
    """`python -m lindung_devstack run --data DATA`, until it says it is ready."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "lindung_devstack", "run", "--data", str(data),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert process.stdout is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(240):
            while not lines or READY not in lines[-1]:
                line = await process.stdout.readline()
                assert line, "it stopped before it was ready:\n" + "".join(lines)
                lines.append(line.decode())
    except BaseException:
        await stop(process)
        raise
    return process, lines


async def stop(process: asyncio.subprocess.Process) -> int:
    """SIGTERM, as a service manager stops it; the exit code."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    assert process.stdout is not None
    async with asyncio.timeout(90):
        await process.stdout.read()  # drain, or a full pipe would hold it up
        return await process.wait()


def first_password(data: Path) -> str:
    """`lindung-admin`'s first password, from the first keys' file."""
    rows = [line.split() for line in (data / "first-keys.txt").read_text().splitlines()]
    return next(row[2] for row in rows if row[:2] == ["keycloak", "lindung-admin"])


async def realm_people(keycloak: str, password: str) -> list[str]:
    """The user names in the `lindung` realm, as its administrator sees them."""
    async with httpx.AsyncClient(base_url=f"{keycloak}/realms/lindung") as client:
        token = await client.post(
            "/protocol/openid-connect/token",
            data={"grant_type": "password", "client_id": "admin-cli",
                  "username": "lindung-admin", "password": password},
        )  # fmt: skip
        assert token.status_code == 200, token.text
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        users = await client.get(f"{keycloak}/admin/realms/lindung/users", headers=bearer)
        assert users.status_code == 200, users.text
        return sorted(user["username"] for user in users.json())


def identification(reference: str) -> dict[str, Any]:
    return {
        "agency_reference": reference,
        "identified_at": datetime.now(UTC).isoformat(),
        "child": {"age_years": 15, "gender": "female", "nationality_status": "refugee"},
        "situation": {"indicators": ["forced_labour"], "state": "selangor",
                      "how_identified": "raid", "location": "police_lockup"},
        "consent": {"categories": ["shelter", "health"], "given_by": "child"},
    }  # fmt: skip


@pytest.fixture
def data() -> Iterator[Path]:
    """A new data directory, in one that PostgreSQL's own user can reach (run as root)."""
    parent = Path(tempfile.mkdtemp(prefix="lindung-run-"))
    parent.chmod(0o711)
    yield parent / "var"
    shutil.rmtree(parent, ignore_errors=True)


async def test_run_issues_keys_once_and_keeps_its_data_across_a_restart(data, eventually):
    began = time.monotonic()
    async with receiving() as receiver:
        operator_files(data, receiver)
        process, printed = await start(data)
        output = "".join(printed)
        try:
            found = re.search(rf"^  agency {AGENCY}: (lk_\S+)$", output, re.MULTILINE)
            assert found, output
            key = found.group(1)
            intake = re.search(r"intake API +(http://\S+)/v1", output).group(1)  # type: ignore[union-attr]
            bearer = {"Authorization": f"Bearer {key}"}
            async with httpx.AsyncClient(base_url=intake, headers=bearer) as client:
                answer = await client.post("/v1/identifications", json=identification("R-1"))
                assert answer.status_code == 202, answer.text
                case_id = answer.json()["case_id"]
                # Referrals for a child protector, a shelter, health care (consent), each
                # one's webhook at its provider's endpoint.
                await eventually(
                    lambda: len(receiver.requested()) >= 3,
                    timeout=60,
                    what="the referral webhooks at the operator's endpoints",
                )
        finally:
            assert await stop(process) == 0
        first_start = time.monotonic() - began

        process, printed = await start(data)
        again = "".join(printed)
        try:
            assert key not in again
            assert "First API keys" not in again
            assert str(data / "first-keys.txt") in again
            async with httpx.AsyncClient(base_url=intake, headers=bearer) as client:
                case = await client.get(f"/v1/cases/{case_id}")
                assert case.status_code == 200, case.text
                assert case.json()["case_id"] == case_id
                answer = await client.post("/v1/identifications", json=identification("R-2"))
                assert answer.status_code == 202, answer.text
            # The realm has its administrator, with the first password kept beside the
            # keys, and nobody else: no demo people.
            keycloak = re.search(r"people +(http://\S+)/admin/", again).group(1)  # type: ignore[union-attr]
            assert await realm_people(keycloak, first_password(data)) == ["lindung-admin"]
        finally:
            assert await stop(process) == 0

    kept = data / "first-keys.txt"
    assert kept.stat().st_mode & 0o777 == 0o600
    assert key in kept.read_text()
    assert (data / "secrets.json").stat().st_mode & 0o777 == 0o600
    assert (data / "kafka").stat().st_mode & 0o077 == 0  # its config holds the admin's password
    logs = [p for p in data.rglob("*") if p.is_file() and (p.suffix in {".log", ".out"}
                                                          or p.parent.name == "logs")]  # fmt: skip
    assert any(p.parent.name == "logs" for p in logs)
    for log in logs:
        assert key not in log.read_text(errors="replace"), log
    print(f"first start and steps {first_start:.1f} s, in all {time.monotonic() - began:.1f} s")
