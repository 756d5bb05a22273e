"""The sla-monitor over national-scale open deadlines: load, start-up, memory, lateness, burst.

    .venv/bin/python bench/deadlines.py [--referrals 1000000] [--spread 2000] [--burst 10000]

Starts the real broker and PostgreSQL (as the tests do), loads `--referrals` open
referrals with their five-step ladders (far in the future) straight into the
sla-monitor's schema, then starts the sla-monitor as its own process and measures:

- load time, and the sla-monitor's start-up time (process start to /health/ready);
- its resident memory (highest VmRSS sampled every 0.2 s);
- firing lateness p50 / p99 / max for `--spread` warnings brought due, one every 10 ms,
  over the following 20 s (lateness: the start of the transaction that wrote the step's
  event to the outbox, minus the step's time);
- the time to fire a burst of `--burst` warnings all due in the same instant (until the
  start of the transaction that wrote the last of them).

The baseline, measured in the same run: PostgreSQL alone marking the same number of
rows fired in one UPDATE of a copy of those steps (no outbox, no events, no Kafka). The
burst is printed as a ratio to it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from lindung_common import apply_migrations, create_pool
from lindung_devstack._proc import free_port
from lindung_devstack.services import HEALTH_PATH
from lindung_devstack.stack import Stack
from lindung_sla_monitor.bootstrap import MIGRATIONS

SCHEMA = "bench_deadlines"
_LADDER = (
    "(VALUES (1::smallint, 'warning', 0::smallint, 50, 'provider'),"
    " (2::smallint, 'warning', 0::smallint, 75, 'case_coordinator'),"
    " (3::smallint, 'escalation', 1::smallint, 100, 'case_coordinator'),"
    " (4::smallint, 'escalation', 2::smallint, 150, 'supervisor'),"
    " (5::smallint, 'escalation', 3::smallint, 200, 'secretariat'))"
    " AS l(step_no, kind, level, pct, notify)"
)


async def load(dsn: str, referrals: int) -> float:
    """Open referrals a month long, their ladders with them; returns seconds."""
    pool = await create_pool(dsn, SCHEMA, statement_timeout=3600, command_timeout=3600)
    try:
        async with pool.acquire() as conn:
            await conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        await apply_migrations(pool, SCHEMA, MIGRATIONS)  # the shared ones come first
        began = time.perf_counter()
        async with pool.acquire() as conn:
            now = datetime.now(UTC)
            await conn.execute(
                "INSERT INTO deadlines (referral_id, case_id, provider_id, service,"
                " requested_at, due_at, status)"
                " SELECT gen_random_uuid(), gen_random_uuid(), 'shelter-sel-' || (n % 40),"
                " 'safe_shelter', $1::timestamptz, $1::timestamptz + interval '30 days', 'open'"
                " FROM generate_series(1, $2) AS n",
                now,
                referrals,
            )
            await conn.execute(
                "INSERT INTO deadline_steps (referral_id, step_no, kind, level,"
                " percent_of_window, at, notify)"
                " SELECT d.referral_id, l.step_no, l.kind, l.level, l.pct,"
                " d.requested_at + (d.due_at - d.requested_at) * l.pct / 100, l.notify"
                f" FROM deadlines d CROSS JOIN {_LADDER}"
            )
            await conn.execute("ANALYZE deadlines; ANALYZE deadline_steps")
        return time.perf_counter() - began
    finally:
        await pool.close()


def start_monitor(stack: Stack, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLA_MONITOR_")}
    env |= stack.service_env("sla-monitor") | {
        "SLA_MONITOR_DATABASE_URL": stack.database_url_for("sla-monitor", SCHEMA),
        "SLA_MONITOR_DB_SCHEMA": SCHEMA,
        "SLA_MONITOR_HTTP_PORT": str(port),
        "SLA_MONITOR_TICK_SECONDS": "1",
        "SLA_MONITOR_LOG_LEVEL": "WARNING",
    }
    out = log.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "lindung_sla_monitor"], env=env, stdout=out, stderr=out
    )


async def ready(port: int, limit: float = 300) -> None:
    deadline = time.monotonic() + limit
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(f"http://127.0.0.1:{port}{HEALTH_PATH}") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the sla-monitor did not become ready")


def rss_of(pid: int) -> int:
    """A process's resident memory in bytes, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


async def sample_rss(pid: int, into: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        into.append(await asyncio.to_thread(rss_of, pid))
        await asyncio.sleep(0.2)


async def bring_due(dsn: str, spread: int, burst: int) -> tuple[datetime, datetime]:
    """Move `spread` warnings to one every 10 ms from 5 s on, `burst` to one instant after."""
    pool = await create_pool(dsn, SCHEMA, statement_timeout=600, command_timeout=600)
    try:
        async with pool.acquire() as conn:
            start = datetime.now(UTC) + timedelta(seconds=5)
            burst_at = start + timedelta(seconds=spread * 0.01 + 5)
            chosen = int(spread + 2 * burst)
            await conn.execute(
                "CREATE TABLE bench_chosen AS SELECT referral_id, row_number() OVER () AS n"
                f" FROM deadlines LIMIT {chosen}"
            )
            await conn.execute(
                "UPDATE deadline_steps s SET at = CASE WHEN c.n <= $3::bigint"
                " THEN $1::timestamptz + (c.n - 1) * interval '10 milliseconds'"
                " ELSE $2::timestamptz END"
                " FROM bench_chosen c WHERE s.referral_id = c.referral_id AND s.step_no = 1"
                " AND c.n <= $3::bigint + $4::bigint",
                start,
                burst_at,
                spread,
                burst,
            )
        return start, burst_at
    finally:
        await pool.close()


async def results(dsn: str, spread: int, burst: int, burst_at: datetime) -> dict[str, float]:
    pool = await create_pool(dsn, SCHEMA, statement_timeout=600, command_timeout=600)
    try:
        async with pool.acquire() as conn:
            late = await conn.fetchrow(
                "SELECT count(*) AS fired,"
                " percentile_cont(0.5) WITHIN GROUP (ORDER BY x) AS p50,"
                " percentile_cont(0.99) WITHIN GROUP (ORDER BY x) AS p99, max(x) AS max"
                " FROM (SELECT extract(epoch FROM o.created_at - s.at) AS x"
                "  FROM deadline_steps s JOIN bench_chosen c USING (referral_id)"
                "  JOIN outbox o ON o.event_id = s.event_id"
                "  WHERE s.step_no = 1 AND c.n <= $1::bigint AND s.state = 'fired') AS l",
                spread,
            )
            burst_row = await conn.fetchrow(
                "SELECT count(*) AS fired,"
                " extract(epoch FROM max(o.created_at) - $3::timestamptz) AS took"
                " FROM deadline_steps s JOIN bench_chosen c USING (referral_id)"
                " JOIN outbox o ON o.event_id = s.event_id"
                " WHERE s.step_no = 1 AND c.n > $1::bigint AND c.n <= $1::bigint + $2::bigint"
                " AND s.state = 'fired'",
                spread,
                burst,
                burst_at,
            )
            # The baseline: PostgreSQL alone marking as many other rows fired.
            await conn.execute(
                "CREATE TABLE bench_baseline AS SELECT s.* FROM deadline_steps s"
                " JOIN bench_chosen c USING (referral_id)"
                f" WHERE s.step_no = 1 AND c.n > {int(spread + burst)}"
            )
            began = time.perf_counter()
            await conn.execute(
                "UPDATE bench_baseline SET state = 'fired', settled_at = now(),"
                " event_id = gen_random_uuid()"
            )
            baseline = time.perf_counter() - began
        return {
            "spread_fired": late["fired"],
            "p50": late["p50"] or 0.0,
            "p99": late["p99"] or 0.0,
            "max": late["max"] or 0.0,
            "burst_fired": burst_row["fired"],
            "burst_took": float(burst_row["took"] or 0.0),
            "baseline": baseline,
        }
    finally:
        await pool.close()


async def run(stack: Stack, args: argparse.Namespace, workdir: Path) -> None:
    dsn = stack.database_url
    print(f"loading {args.referrals:,} open referrals ({args.referrals * 5:,} steps) ...")
    loaded = await load(dsn, args.referrals)
    port = free_port()
    began = time.monotonic()
    process = start_monitor(stack, port, workdir / "sla-monitor.log")
    rss: list[int] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(process.pid, rss, stop))
    try:
        await ready(port)
        started = time.monotonic() - began
        _, burst_at = await bring_due(dsn, args.spread, args.burst)
        wait = (burst_at - datetime.now(UTC)).total_seconds() + 15
        await asyncio.sleep(wait)
    finally:
        stop.set()
        await sampler
        process.terminate()
        process.wait(timeout=60)
    figures = await results(dsn, args.spread, args.burst, burst_at)
    print()
    print(f"{'open referrals':<42}{args.referrals:>14,}")
    print(f"{'load (INSERT … SELECT, both tables)':<42}{loaded:>13.1f} s")
    print(f"{'sla-monitor start-up to ready':<42}{started:>13.1f} s")
    print(f"{'sla-monitor resident memory, highest':<42}{max(rss) / 2**20:>12.0f} MiB")
    print(f"{'steps due during the run, fired':<42}{figures['spread_fired']:>14,}")
    for name in ("p50", "p99", "max"):
        print(f"{'  firing lateness ' + name:<42}{figures[name] * 1000:>12.1f} ms")
    print(f"{'burst due in one instant, fired':<42}{figures['burst_fired']:>14,}")
    print(f"{'  last fired after the instant':<42}{figures['burst_took']:>13.2f} s")
    print(f"{'baseline: PostgreSQL alone marks as many':<42}{figures['baseline']:>13.2f} s")
    ratio = figures["burst_took"] / figures["baseline"] if figures["baseline"] else 0.0
    print(f"{'  burst / baseline':<42}{ratio:>13.1f} x")
    print("\ntargets: lateness p99 <= 100 ms, memory <= 1 GiB, 10,000-step burst within 10 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=1_000_000)
    parser.add_argument("--spread", type=int, default=2_000)
    parser.add_argument("--burst", type=int, default=10_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="lindung-bench-deadlines-"))
    with Stack() as stack:
        asyncio.run(run(stack, args, workdir))
    print(f"(sla-monitor log: {workdir / 'sla-monitor.log'})")


if __name__ == "__main__":
    main()
