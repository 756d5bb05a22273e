"""Every service in a pair of processes: they share the work, and either may die.

Two processes of each of the four services run on this folder's three-node Kafka cluster
and PostgreSQL (`conftest.py`), with identifications flowing through both intakes
as a load balancer would send them. Both processes of a pair take a share of its topics'
partitions. Then one process of every pair is SIGKILLed at once while its twin runs:
identifications posted right after the kills go all the way through (the figure
printed is how long they took), the killed processes come back, and at the end every
identification accepted went all the way through once, with nothing dead-lettered.
"""

from __future__ import annotations

import asyncio
import re
import sys
import time

import aiohttp
import pytest
from lindung_devstack.services import SERVICES

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

faults = sys.modules["faults"]  # loaded by this folder's conftest

# A topic of several partitions each service reads: both twins take some of them.
SPREAD = {
    "intake": "lindung.referrals.v1",
    "router": "lindung.cases.v1",
    "notifier": "lindung.referrals.v1",
    "sla-monitor": "lindung.referrals.v1",
}


@pytest.fixture(scope="module")
def pair_stack(cluster_stack):
    return cluster_stack


@pytest.fixture(scope="module")
async def pairs(pair_stack, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("pairs")
    async with faults.running(pair_stack, workdir, instances=2) as (services, _, key):
        yield services, key


def _flow(services, key: str, rate: float):
    first, second = services.of("intake")
    return faults.Flow(first.url, key, rate, also=(second.url,))


async def _handled(url: str, topic: str) -> float:
    """How many records of `topic` this process has handled, from its own /metrics."""
    async with aiohttp.ClientSession() as http, http.get(f"{url}/metrics") as response:
        text = await response.text()
    pattern = (
        rf'^lindung_records_processed_total\{{[^}}]*topic="{re.escape(topic)}"[^}}]*\}} (\S+)$'
    )
    return sum(float(value) for value in re.findall(pattern, text, flags=re.MULTILINE))


async def test_both_processes_of_a_pair_take_a_share_of_the_work(pairs, pair_stack):
    services, key = pairs
    await faults.wait_all_ready({p.name: p.url for p in services.processes.values()})
    flow = _flow(services, key, rate=10)
    flow.start()
    await asyncio.sleep(6)
    await flow.stop()
    await faults.settled(pair_stack.database_url, set(flow.accepted.values()))

    for name, topic in SPREAD.items():
        shares = [await _handled(p.url, topic) for p in services.of(name)]
        assert all(share > 0 for share in shares), f"{name}: {shares}"


async def test_one_process_of_each_pair_killed_while_its_twin_runs_loses_and_doubles_nothing(
    pairs, pair_stack
):
    services, key = pairs
    flow = _flow(services, key, rate=8)
    flow.start()
    victims = [services.of(name)[0] for name in SERVICES]
    try:
        # One of each pair at once: every service's twin takes over in the same seconds.
        codes = await asyncio.gather(*(asyncio.to_thread(v.kill) for v in victims))
        assert codes == [-9] * len(victims)
        killed = time.monotonic()
        # Cases opened now go through the twins alone: a dozen or so, so that some land on
        # the partitions the killed processes held until their groups move them.
        marker = _flow(services, key, rate=40)
        marker.start()
        await asyncio.sleep(0.3)
        await marker.stop()
        assert len(marker.accepted) >= 6
        await faults.settled(pair_stack.database_url, set(marker.accepted.values()))
        recovery = time.monotonic() - killed
        flow.accepted |= marker.accepted
        for victim in victims:
            victim.start()
        await asyncio.gather(*(asyncio.to_thread(v.wait_healthy) for v in victims))
    finally:
        await flow.stop()
    facts = await faults.settled(pair_stack.database_url, set(flow.accepted.values()))

    print(f"through the twins after the kills: {recovery:.1f} s")
    assert facts["intake_cases"] == facts["router_cases"] == len(flow.accepted)
    assert facts["deadlines"] == facts["deliveries"] == facts["access"] == facts["referrals"]
    assert facts["dead_letters"] == dict.fromkeys(faults.SCHEMAS, 0)
