"""Every web server guards its door: 200 MiB sent to any service is refused with 413.

The four services run as processes. To each, a 200 MiB POST is streamed twice, as an
ordinary client sends it (the whole body, then the answer is read): once chunked and once
with its Content-Length, with no key. Each answers 413 in the one documented shape, and
the process's peak resident memory (VmHWM) stays within 50 MiB of what it held before.
The sla-monitor is sent its sign-in form, the only route there anyone may use without a
key; the router and the notifier have no route that takes a body, and are sent one anyway.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from lindung_devstack.directory import DEMO_DIRECTORY, demo_providers
from lindung_devstack.services import ServiceSet
from lindung_devstack.world import write_endpoints, write_keys

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

HERE = Path(__file__).parent
MIB = 1024 * 1024
SENT = 200 * MIB
MOST_GROWTH = 50 * MIB
# Where each service is sent the body, and as what.
TARGETS = {
    "intake": ("/v1/identifications", "application/json"),
    "router": ("/health/ready", "application/json"),
    "notifier": ("/metrics", "application/json"),
    "sla-monitor": ("/dashboard/sign-out", "application/x-www-form-urlencoded"),
}


@pytest.fixture(scope="module")
async def services(stack, tmp_path_factory, keycloak):
    tmp_path = tmp_path_factory.mktemp("doors")
    providers = demo_providers()
    keys = write_keys(tmp_path / "keys.json", ["pdrm-selangor"], providers, (), ("ops",))
    # Nothing is identified here, so nothing is delivered: the address is never used.
    write_endpoints(tmp_path / "endpoints.json", "http://127.0.0.1:9", providers)
    running = ServiceSet(
        tmp_path / "logs",
        stack.kafka_bootstrap_servers,
        stack.database_urls,
        stack.credentials,
        settings={
            "intake": keys.settings(tmp_path / "keys.json"),
            "router": {
                "policy_file": str(HERE / "policy.toml"),
                "directory_file": str(DEMO_DIRECTORY),
            },
            "notifier": {"endpoints_file": str(tmp_path / "endpoints.json")},
            # Its sign-out is a form: a post without a session is refused (403) when warming.
            "sla-monitor": keys.dashboard_settings(tmp_path / "keys.json")
            | keycloak.dashboard_settings(),
        },
    )
    await asyncio.to_thread(running.start)
    try:
        yield running
    finally:
        codes = await asyncio.to_thread(running.stop)
        assert all(code == 0 for code in codes.values()), f"unclean exits: {codes}"


def _memory(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (the highest resident yet) of a process, in bytes."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in {"VmRSS", "VmHWM"}:
            found[name] = int(value.split()[0]) * 1024
    return found


async def _megabytes(total: int):
    chunk = b" " * MIB
    for _ in range(total // MIB):
        yield chunk


@pytest.mark.parametrize("name", list(TARGETS))
async def test_a_200_mib_body_is_refused_with_413_and_memory_stays_flat(services, name):
    service = services[name]
    path, content_type = TARGETS[name]
    pid = service.process.pid
    async with httpx.AsyncClient(base_url=service.url, timeout=120) as http:
        # A small body first, so whatever the first request loads is loaded before.
        warm = await http.post(path, content=b"{}", headers={"Content-Type": content_type})
        assert warm.status_code < 500, warm.text
        before = _memory(pid)["VmRSS"]
        # Chunked, then with its Content-Length: the whole body is sent either way.
        answers = [
            await http.post(
                path, content=_megabytes(SENT), headers={"Content-Type": content_type} | length
            )
            for length in ({}, {"Content-Length": str(SENT)})
        ]
        after = _memory(pid)

    grew = after["VmHWM"] - before
    print(f"{name}: resident {before / MIB:.0f} MiB before, highest {after['VmHWM'] / MIB:.0f} MiB")
    assert grew < MOST_GROWTH, f"{name} grew {grew / MIB:.1f} MiB"
    assert [a.status_code for a in answers] == [413, 413], [a.text for a in answers]
    for answer in answers:
        assert answer.json()["errors"][0]["field"] == "body"
    assert service.running()
