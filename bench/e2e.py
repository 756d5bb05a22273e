"""End-to-end throughput, latency and CPU split of the four services, against raw Kafka.

    .venv/bin/python bench/e2e.py [--seconds 20] [--rates 10,50,100] [--max-clients 16]
                                  [--raid-rates 50] [--skip-max] [--quick]
                                  [--profile DIR] [--pg-stats N]

Starts Kafka and PostgreSQL, measures a raw aiokafka produce -> consume baseline on a
scratch topic, then starts intake, router, notifier and sla-monitor as processes with the
demo provider directory and the default policy (deadlines in hours, so no warnings fire)
and every webhook pointed at a receiver in its own process. Identifications are POSTed at
each offered rate, then by back-to-back clients; after each phase the run waits until
every case's referral webhooks have arrived and reports throughput, latency (POST ->
first referral webhook) and the CPU seconds each component spent.

The raid phases ("raid 50/s", "raid max(16)") send every identification from one agency
in one state, so the same few providers receive every referral: hot keys and the
per-provider order of deliveries are what they load. `--profile DIR` samples each service
with py-spy during every phase and prints where its time went; `--pg-stats N` turns on
pg_stat_statements and prints the N statements that took the most time per phase.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import signal
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
from _e2e_baseline import produce_consume
from _e2e_cpu import TICK, CpuMeter, machine, postmaster_pid
from _e2e_load import AGENCIES, Load
from _e2e_profile import Profiler, Statements
from _e2e_receiver import Receiver
from _e2e_report import REQUESTED, Phase, render
from lindung_devstack.directory import DEMO_DIRECTORY, demo_providers
from lindung_devstack.services import ServiceSet
from lindung_devstack.stack import Stack
from lindung_devstack.world import write_endpoints, write_keys

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from _e2e_load import Sent


def parse_args() -> argparse.Namespace:
    """Options; --quick shrinks everything to check that the script works."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument("--rates", default="10,50,100", help="offered identifications/s")
    parser.add_argument("--max-clients", type=int, default=16, help="back-to-back clients")
    parser.add_argument(
        "--raid-rates", default="50", help="offered identifications/s in one agency and state"
    )
    parser.add_argument("--skip-max", action="store_true", help="no back-to-back phases")
    parser.add_argument(
        "--idle", type=float, default=0.0, help="first a phase of this many s with no load"
    )
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for every service, as its settings class names it (repeatable)",
    )
    parser.add_argument(
        "--keep-data", action="store_true", help="keep the broker's and PostgreSQL's data"
    )
    parser.add_argument("--profile", type=Path, help="py-spy each service into this directory")
    parser.add_argument("--profile-top", type=int, default=12, help="frames listed per service")
    parser.add_argument("--pg-stats", type=int, default=0, help="statements listed per phase")
    parser.add_argument("--baseline-messages", type=int, default=20_000)
    parser.add_argument("--drain-timeout", type=float, default=120.0)
    parser.add_argument("--settle", type=float, default=2.0, help="quiet seconds that end a drain")
    parser.add_argument("--quick", action="store_true", help="3 s phases at 5/s, 2 clients")
    args = parser.parse_args()
    args.rates = [float(r) for r in args.rates.split(",") if r.strip()]
    args.raid_rates = [float(r) for r in args.raid_rates.split(",") if r.strip()]
    if args.quick:
        args.seconds, args.rates, args.max_clients = 3.0, [5.0], 2
        args.raid_rates = args.raid_rates[:1] and [5.0]
        args.baseline_messages, args.settle = 2_000, 1.0
    return args


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def drain(receiver: Receiver, cases: set[str], settle: float, limit: float) -> bool:
    """Wait until every case has a referral webhook and none has come for `settle` s."""
    seen: set[str] = set()
    last_new = time.monotonic()
    give_up = last_new + limit
    while time.monotonic() < give_up:
        for _, case_id, kind in await asyncio.to_thread(receiver.fetch):
            if kind == REQUESTED and case_id in cases:
                seen.add(case_id)
                last_new = time.monotonic()
        if seen >= cases and time.monotonic() - last_new >= settle:
            return True
        await asyncio.sleep(0.25)
    return False


@dataclass
class Probes:
    """What watches the components besides the CPU meter: py-spy, pg_stat_statements."""

    meter: CpuMeter
    profiler: Profiler | None = None
    statements: Statements | None = None


async def run_phase(
    name: str,
    go: Callable[[], Awaitable[list[Sent]]],
    *,
    offered: float | None,
    receiver: Receiver,
    probes: Probes,
    args: argparse.Namespace,
) -> Phase:
    """Offer the load, drain, and account for what it cost."""
    print(f"Phase {name}: {args.seconds:.0f} s of load ...", flush=True)
    meter = probes.meter
    if probes.statements is not None:
        await probes.statements.reset()
    if probes.profiler is not None:
        probes.profiler.start(name)
    before, began = meter.snapshot(), time.monotonic()
    sent = await go()
    phase = Phase(name, offered, sent)
    phase.drained = await drain(receiver, set(phase.cases), args.settle, args.drain_timeout)
    after = meter.snapshot()
    if probes.profiler is not None:
        print(probes.profiler.stop(), flush=True)
    if probes.statements is not None:
        print(await probes.statements.report(), flush=True)
    phase.wall = time.monotonic() - began
    phase.cpu = {k: after[k] - before[k] for k in after if not k.startswith("_")}
    ticks = after["_total"] - before["_total"]
    phase.busy = (after["_busy"] - before["_busy"]) / ticks
    # Another workload on the machine skews every figure; this shows how much there was.
    phase.others = max(0.0, phase.busy - sum(phase.cpu.values()) * TICK / ticks)
    phase.measure(receiver.records)
    f = phase.figures
    drained = "drained" if phase.drained else "drain TIMED OUT"
    print(
        f"  POSTed {f['posted']:.0f}, accepted {f['accepted']:.0f}, referrals for "
        f"{f['delivered']:.0f} cases ({f['webhooks']:.0f} webhooks), p99 {f['p99']:.0f} ms, "
        f"{drained} after {phase.wall:.1f} s"
    )
    return phase


async def bench(
    intake_url: str,
    keys: dict[str, str],
    receiver: Receiver,
    probes: Probes,
    args: argparse.Namespace,
) -> list[Phase]:
    """Warm up, then every phase in turn."""
    connector = aiohttp.TCPConnector(limit=max(200, args.max_clients))
    async with aiohttp.ClientSession(connector=connector) as session:
        load = Load(session, intake_url, keys)
        # Consumer groups join and pools fill on first use; keep that out of the figures.
        began = time.monotonic()
        warm = await load.offered(5, 2)
        ok = await drain(receiver, {s.case_id for s in warm if s.status == 202}, 1.0, 180)
        outcome = "all referred" if ok else "NOT all referred"
        print(
            f"Warm-up: {len(warm)} identifications, {outcome} in {time.monotonic() - began:.1f} s"
        )
        plan: list[tuple[str, float | None, bool]] = [
            (f"{rate:g}/s", rate, False) for rate in args.rates
        ]
        if not args.skip_max:
            plan.append((f"max({args.max_clients})", None, False))
        plan += [(f"raid {rate:g}/s", rate, True) for rate in args.raid_rates]
        if args.raid_rates and not args.skip_max:
            plan.append((f"raid max({args.max_clients})", None, True))
        if args.idle:
            plan.insert(0, ("idle", 0.0, False))
        phases = []
        for name, rate, raid in plan:

            async def go(rate: float | None = rate, *, raid: bool = raid) -> list[Sent]:
                load.raid = raid
                if rate == 0.0:  # what the services burn with nothing to do
                    await asyncio.sleep(args.idle)
                    return []
                if rate is None:
                    return await load.closed(args.max_clients, args.seconds)
                return await load.offered(rate, args.seconds)

            phases.append(
                await run_phase(name, go, offered=rate, receiver=receiver, probes=probes, args=args)
            )
        return phases


def start_services(
    stack: Stack, receiver: Receiver, common: list[str]
) -> tuple[ServiceSet, dict[str, str]]:
    """The four services on the demo directory and default policy; the agencies' API keys."""
    work = stack.workdir
    providers = demo_providers()
    keys = write_keys(work / "api-keys.json", list(AGENCIES), providers)
    write_endpoints(work / "endpoints.json", receiver.base_url, providers)
    services = ServiceSet(
        work / "logs", stack.kafka_bootstrap_servers, stack.database_urls, stack.credentials
    )
    shared = dict(item.split("=", 1) for item in common)
    services.settings = {
        # The load comes from a few agency keys at hundreds a second: above any real rate.
        "intake": keys.settings(work / "api-keys.json")
        | {"rate_limit_per_minute": "1000000"}
        | shared,
        "router": {"directory_file": str(DEMO_DIRECTORY)} | shared,
        "notifier": {"endpoints_file": str(work / "endpoints.json")} | shared,
        "sla-monitor": shared,
    }
    print("Starting intake, router, notifier and sla-monitor ...", flush=True)
    services.start()
    return services, keys.agencies


def process_roots(stack: Stack, services: ServiceSet, receiver: Receiver) -> dict[str, int]:
    """The pid at the root of each component's process tree."""
    assert stack.broker is not None
    assert stack.broker.process is not None
    assert stack.postgres is not None
    assert receiver.process is not None
    roots = {n: s.process.pid for n, s in services.processes.items() if s.process}
    roots["kafka"] = stack.broker.process.pid
    roots["postgresql"] = postmaster_pid(stack.postgres.workdir / "data")
    roots["receiver"] = receiver.process.pid
    return roots


def _interrupted(*_: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Bring everything up, run the phases, print the report, bring everything down."""
    args = parse_args()
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        # CPU is read from the processes' /proc entries, so they must run here.
        sys.exit("bench/e2e.py starts its own Kafka and PostgreSQL: unset those settings")
    signal.signal(signal.SIGTERM, _interrupted)
    logging.basicConfig(level=logging.WARNING)
    print("Starting PostgreSQL and the Kafka broker ...", flush=True)
    with Stack() as stack:
        workdir = stack.workdir
        services: ServiceSet | None = None
        receiver = Receiver(free_port(), stack.workdir / "receiver.log")
        try:
            print(f"Raw baseline: {args.baseline_messages} messages ...", flush=True)
            seconds, size = asyncio.run(produce_consume(stack.kafka(), args.baseline_messages))
            statements = None
            if args.pg_stats:
                Statements.enable(stack)
                statements = Statements(stack.database_url, args.pg_stats)
            receiver.start()
            services, keys = start_services(stack, receiver, args.setting)
            roots = process_roots(stack, services, receiver)
            probes = Probes(CpuMeter(roots), statements=statements)
            if args.profile:
                pids = {n: roots[n] for n in services.processes}
                probes.profiler = Profiler(args.profile, pids, args.profile_top)
            phases = asyncio.run(bench(services["intake"].url, keys, receiver, probes, args))
            print(
                render(phases, receiver.records, (args.baseline_messages, seconds, size), machine())
            )
            print(f"\nLogs: {stack.workdir}")
        except KeyboardInterrupt:
            print("\nInterrupted: stopping everything ...", file=sys.stderr)
        finally:
            # A second Ctrl-C must not leave processes behind half-stopped.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            if services is not None:
                # Before the receiver, so no webhook is left retrying.
                print(f"Services stopped (exit codes {services.stop()}).", flush=True)
            receiver.stop()
            print("Stopping Kafka and PostgreSQL ...", flush=True)
    if not args.keep_data:
        # About 400 MB a run; the logs stay.
        for data in (workdir / "postgres" / "data", workdir / "kafka" / "data"):
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
