"""Brokers of a three-node Kafka cluster lost for real while identifications flow.

The four services run as processes on the folder's cluster (`Stack(brokers=3)` in
`conftest.py`: every topic on three brokers, a write in sync on two, unclean leader
election off) and PostgreSQL. Each test checks from the databases that every
identification accepted went all the way through once (a case in intake and in the
router, each referral with one deadline, one delivery, one projection in intake) and that
nothing was dead-lettered; and prints how long the cluster and the system took to recover.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from lindung_devstack.kafka import KafkaBroker, registry_topics

if TYPE_CHECKING:
    from lindung_devstack.services import ServiceSet
    from lindung_devstack.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

faults = sys.modules["faults"]  # loaded by this folder's conftest

# Shorter than the outage, as the default 30 s is shorter than a minute's: batches the
# outbox producers hold expire while no write can be made, and they must recover.
REQUEST_TIMEOUT_SECONDS = "12"
# Intake's readiness names an outbox event waiting longer than this (the default is 30 s).
OUTBOX_MAX_AGE_SECONDS = "10"
RATE = 5.0
# With two nodes lost, identifications keep coming at least this long before one returns.
OUTAGE_AT_LEAST = 4.0
# Generous bounds on waits for a condition; a failure says which one did not come.
CLUSTER_CHANGE_WITHIN = 60.0
READINESS_SAYS_WHY_WITHIN = 60.0


class System:
    """The cluster's stack, the four services, the agency key."""

    def __init__(self, stack: Stack, services: ServiceSet, key: str) -> None:
        self.stack = stack
        self.services = services
        self.agency_key = key

    @property
    def urls(self) -> dict[str, str]:
        return {name: p.url for name, p in self.services.processes.items()}

    def flow(self) -> Any:
        return faults.Flow(self.services["intake"].url, self.agency_key, RATE)


@pytest.fixture(scope="module")
async def system(cluster_stack, tmp_path_factory):
    if len(cluster_stack.kafka_nodes) < 3:
        pytest.skip("stops and kills brokers: needs a cluster started here, not one given")
    workdir = tmp_path_factory.mktemp("cluster-world")
    timeout = {"kafka_request_timeout_seconds": REQUEST_TIMEOUT_SECONDS}
    more = dict.fromkeys(("router", "notifier", "sla-monitor"), timeout) | {
        "intake": timeout | {"health_outbox_max_age_seconds": OUTBOX_MAX_AGE_SECONDS}
    }
    try:
        async with faults.running(cluster_stack, workdir, more=more) as (services, _, key):
            yield System(cluster_stack, services, key)
    finally:
        for node in cluster_stack.kafka_nodes:
            print(f"--- Kafka node {node.node_id} log: {node.log_file}")
        # Whole again for the tests that share the cluster next.
        for node in cluster_stack.kafka_nodes:
            if not node.running:
                await asyncio.to_thread(node.start)
        await _until_whole(cluster_stack)


@pytest.fixture
async def whole(system):
    """Every node running (started again if a test left it down), every replica in sync."""
    for node in system.stack.kafka_nodes:
        if not node.running:
            await asyncio.to_thread(node.start)
    await _until_whole(system.stack)
    return system


async def _went_through(system: System, flow: Any) -> dict[str, Any]:
    facts = await faults.settled(system.stack.database_url, set(flow.accepted.values()))
    assert facts["intake_cases"] == facts["router_cases"] == len(flow.accepted)
    assert facts["deadlines"] == facts["deliveries"] == facts["access"] == facts["referrals"]
    assert facts["dead_letters"] == dict.fromkeys(faults.SCHEMAS, 0)
    return facts


# --- what the cluster says ------------------------------------------------------------

Partitions = dict[tuple[str, int], tuple[int, list[int]]]  # -> (leader, in-sync replicas)


async def _partitions(stack: Stack) -> Partitions:
    """Every registry partition's leader and in-sync replicas, as a running node says."""
    live = [n.bootstrap_servers for n in stack.kafka_nodes if n.running]
    admin = AIOKafkaAdminClient(
        **stack.admin.client_options(",".join(live)), request_timeout_ms=3000
    )
    await admin.start()
    try:
        names = [t.name for t in registry_topics(stack.agencies)]
        found: Partitions = {}
        for topic in await admin.describe_topics(names):
            for p in topic["partitions"]:
                found[topic["topic"], p["partition"]] = (p["leader"], sorted(p["isr"]))
        return found
    finally:
        await admin.close()


async def _until(stack: Stack, wanted: Any, what: str) -> float:
    """Poll the cluster until `wanted(partitions)`; the seconds it took."""
    began = time.monotonic()
    last: Any = "no answer yet"
    while time.monotonic() - began < CLUSTER_CHANGE_WITHIN:
        try:
            partitions = await _partitions(stack)
            if wanted(partitions):
                return time.monotonic() - began
            last = partitions
        except (KafkaError, OSError) as error:
            last = f"{type(error).__name__}: {error}"
        await asyncio.sleep(0.2)
    raise AssertionError(f"{what} not within {CLUSTER_CHANGE_WITHIN:.0f} s; last: {last}")


async def _until_whole(stack: Stack) -> float:
    ids = sorted(n.node_id for n in stack.kafka_nodes)
    return await _until(
        stack, lambda ps: all(isr == ids for _, isr in ps.values()), "every replica in sync"
    )


def _led_without(node: KafkaBroker) -> Any:
    """Every partition has a leader again, none of them `node`, which left its replicas."""
    return lambda ps: (
        all(leader not in {-1, node.node_id} for leader, _ in ps.values())
        and all(node.node_id not in isr for _, isr in ps.values())
    )


async def _leading_most(stack: Stack) -> KafkaBroker:
    """The node that leads the most partitions now."""
    leaders = [leader for leader, _ in (await _partitions(stack)).values()]
    return max(stack.kafka_nodes, key=lambda n: leaders.count(n.node_id))


def _says_why(body: dict[str, Any]) -> bool:
    """Whether a readiness body names writes that cannot be made."""
    return any(why.startswith(("producer:", "outbox:")) for why in body["degraded"])


async def _intake_until(url: str, wanted: Any, what: str) -> tuple[float, dict[str, Any]]:
    """Poll intake's readiness (always 200) until `wanted(body)`; seconds, body."""
    began = time.monotonic()
    body: dict[str, Any] = {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(3)) as http:
        while time.monotonic() - began < READINESS_SAYS_WHY_WITHIN:
            async with http.get(f"{url}/health/ready") as r:
                assert r.status == 200, f"intake turned {r.status}: {await r.text()}"
                body = await r.json()
            if wanted(body):
                return time.monotonic() - began, body
            await asyncio.sleep(0.25)
    raise AssertionError(f"intake's readiness: {what} not within the limit; last {body}")


def _report(title: str, figures: dict[str, float | int]) -> None:
    shown = ", ".join(
        f"{k} {v:.1f} s" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items()
    )
    print(f"\n[cluster] {title}: {shown}")


# --- the faults -------------------------------------------------------------------------


async def test_a_broker_killed_and_restarted_mid_flow_loses_and_doubles_nothing(whole):
    system = whole
    flow = system.flow()
    flow.start()
    try:
        await asyncio.sleep(3)
        node = await _leading_most(system.stack)
        killed = time.monotonic()
        await asyncio.to_thread(node.kill)
        leaderless = await _until(system.stack, _led_without(node), "new leaders")
        accepted_while_down = len(flow.accepted)
        await asyncio.sleep(2)  # writes go on with two replicas in sync
        accepted_while_down = len(flow.accepted) - accepted_while_down
        restarting = time.monotonic()
        await asyncio.to_thread(node.start)
        back = time.monotonic()
        in_sync = await _until_whole(system.stack)
    finally:
        await flow.stop()
    facts = await _went_through(system, flow)
    settled = time.monotonic() - back

    assert flow.refusals == [], "intake turned identifications away"
    assert accepted_while_down > 0, "nothing was accepted while the node was away"
    _report(
        f"node {node.node_id} (leading the most partitions) SIGKILLed at {RATE:g}/s",
        {
            "partitions without a live leader for": leaderless,
            "down for": restarting - killed,
            "restart took": back - restarting,
            "back in every ISR": in_sync,
            "all accepted settled after its return": settled,
            "identifications": len(flow.accepted),
            "referrals": facts["referrals"],
        },
    )


async def test_two_brokers_lost_intake_holds_in_its_outbox_and_delivers_all_on_return(whole):
    system = whole
    flow = system.flow()
    readiness = faults.Readiness(system.urls)
    first = await _leading_most(system.stack)
    second = next(n for n in system.stack.kafka_nodes if n is not first)
    flow.start()
    readiness.start()
    try:
        await asyncio.sleep(3)
        await asyncio.to_thread(first.kill)
        await _until(system.stack, _led_without(first), "new leaders after the first loss")
        # Its outbox caught up on the two nodes left: whatever it says next is new.
        intake = system.services["intake"].url
        await _intake_until(intake, lambda b: b["status"] == "ready", "ready again")
        lost = time.monotonic()
        await asyncio.to_thread(second.kill)  # one replica left of three: no write in sync
        accepted_before = len(flow.accepted)
        said_why, body = await _intake_until(intake, _says_why, "why writes stopped")
        # Identifications keep coming for a while with no write in sync.
        await asyncio.sleep(max(0.0, OUTAGE_AT_LEAST - (time.monotonic() - lost)))
        accepted_in_outage = len(flow.accepted) - accepted_before
        returning = time.monotonic()
        await asyncio.to_thread(second.start)
        back = time.monotonic()
        await asyncio.sleep(1)
    finally:
        await flow.stop()
        await readiness.stop()
    facts = await _went_through(system, flow)
    settled = time.monotonic() - back
    await faults.wait_all_ready(system.urls, timeout=60)
    ready = time.monotonic() - back

    # Intake answered 202 throughout, every identification kept in its outbox.
    assert flow.refusals == []
    outage = returning - lost
    assert accepted_in_outage >= outage * RATE * 0.5, (accepted_in_outage, outage)
    assert body["status"] == "degraded"
    assert body["outbox"]["waiting"] > 0
    assert set(readiness.seen["intake"]) == {200}
    _report(
        f"nodes {first.node_id} then {second.node_id} SIGKILLed at {RATE:g}/s",
        {
            "no write in sync for": returning - lost,
            "intake's readiness said why after": said_why,
            "accepted meanwhile": accepted_in_outage,
            "restart took": back - returning,
            "all accepted settled after its return": settled,
            "every service ready after its return": ready,
            "identifications": len(flow.accepted),
            "referrals": facts["referrals"],
        },
    )
    print(f"[cluster] intake's readiness meanwhile: {body['degraded']}")
    for name, codes in readiness.seen.items():
        print(f"[cluster] {name} readiness: {sorted(set(codes))}, last {codes[-1]}")
