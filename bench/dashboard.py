"""The operations dashboard over national-scale history: how long each view takes.

    .venv/bin/python bench/dashboard.py [--referrals 1000000] [--repeat 5]

Starts the real broker and PostgreSQL (as the tests do), loads `--referrals` referrals
requested over the last 30 days straight into the sla-monitor's schema (about 70 %
accepted, 10 % declined or re-routed, 20 % still open; 20 agencies, 16 states, 200
providers; five-step ladders with the escalations already due marked fired), starts the
sla-monitor as its own process with the dashboard on, and times each view over HTTP
(median and slowest of `--repeat`):

- /dashboard/api/open (the 100 with least time left), /dashboard/api/summary for the
  last 24 h, 7 days and 30 days, the whole page (last 7 days), and the CSV export of the
  last 24 h.

The baseline, measured in the same run: PostgreSQL alone counting the referrals of the
last 30 days by outcome in one statement (one pass over what the 30-day summary reads).
Each view is printed as a ratio to it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from deadlines import ready, rss_of  # the sibling benchmark's process helpers
from lindung_common import apply_migrations, create_pool
from lindung_common.keys import hash_key
from lindung_common.signin import secret_hash
from lindung_devstack._proc import free_port
from lindung_devstack.stack import Stack
from lindung_sla_monitor.bootstrap import MIGRATIONS

SCHEMA = "bench_dashboard"
SECRET = "bench-dashboard-secret-0123456789abcdef"
KEY = "lk_bench-operations-key"
SESSION = "bench-operations-session-id"
_STEPS = (
    "(VALUES (1::smallint, 'warning', 0::smallint, 50, 'provider'),"
    " (2::smallint, 'warning', 0::smallint, 75, 'case_coordinator'),"
    " (3::smallint, 'escalation', 1::smallint, 100, 'case_coordinator'),"
    " (4::smallint, 'escalation', 2::smallint, 150, 'supervisor'),"
    " (5::smallint, 'escalation', 3::smallint, 200, 'secretariat'))"
    " AS l(step_no, kind, level, pct, notify)"
)
_SERVICES = "ARRAY['safe_shelter','health','legal_aid','psychosocial','interpretation','unhcr']"
_STATES = (
    "ARRAY['johor','kedah','kelantan','melaka','negeri_sembilan','pahang','penang','perak',"
    "'perlis','sabah','sarawak','selangor','terengganu','kuala_lumpur','labuan','putrajaya']"
)


async def load(dsn: str, referrals: int) -> float:
    """Referrals of the last 30 days with their outcomes, facts and ladders; seconds."""
    pool = await create_pool(dsn, SCHEMA, statement_timeout=3600, command_timeout=3600)
    try:
        async with pool.acquire() as conn:
            await conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        await apply_migrations(pool, SCHEMA, MIGRATIONS)
        async with pool.acquire() as conn:
            # A person's session, as a sign-in at the identity provider leaves it: the
            # page is timed as an operations person reads it (the bench runs no IdP).
            await conn.execute(
                "INSERT INTO dashboard_sessions (session_hash, person, subject, principal_kind,"
                " principal_id, role, language, id_token, started_at, last_seen_at)"
                " VALUES ($1, 'bench', 'bench', 'operations', 'bench', 'operations', 'en', '',"
                " now(), now())",
                secret_hash(SESSION),
            )
        began = time.perf_counter()
        async with pool.acquire() as conn:
            now = datetime.now(UTC)
            await conn.execute(
                "CREATE TEMP TABLE r AS SELECT gen_random_uuid() AS referral_id,"
                " $1::timestamptz - random() * interval '30 days' AS requested_at,"
                " (4 + floor(random() * 68)) * interval '1 hour' AS span,"
                " random() AS fate, random() AS speed, n FROM generate_series(1, $2) AS n",
                now,
                referrals,
            )
            await conn.execute(
                "INSERT INTO deadlines (referral_id, case_id, provider_id, service, requested_at,"
                " due_at, status, closed_reason, closed_at)"
                " SELECT referral_id, gen_random_uuid(), 'provider-' || (n % 200),"
                f" ({_SERVICES})[1 + n % 6], requested_at, requested_at + span,"
                " CASE WHEN fate < 0.8 AND requested_at + span * speed * 1.3 < $1"
                "  THEN 'closed' ELSE 'open' END,"
                " CASE WHEN fate < 0.8 AND requested_at + span * speed * 1.3 < $1 THEN"
                "  CASE WHEN fate < 0.7 THEN 'accepted' WHEN fate < 0.75 THEN 'declined'"
                "  ELSE 'rerouted' END END,"
                " CASE WHEN fate < 0.8 AND requested_at + span * speed * 1.3 < $1"
                "  THEN requested_at + span * speed * 1.3 END"
                " FROM r",
                now,
            )
            await conn.execute(
                "INSERT INTO referral_facts (referral_id, agency_id, state, attempt, urgent)"
                " SELECT referral_id, 'agency-' || (n % 20), "
                f" ({_STATES})[1 + n % 16], 1 + (n % 10 = 0)::int, n % 7 = 0 FROM r"
            )
            await conn.execute(
                "INSERT INTO deadline_steps (referral_id, step_no, kind, level,"
                " percent_of_window, at, notify, state, settled_at, event_id)"
                " SELECT d.referral_id, l.step_no, l.kind, l.level, l.pct, s.at, l.notify,"
                "  CASE WHEN s.at < coalesce(d.closed_at, $1) THEN 'fired'"
                "   WHEN d.status = 'closed' THEN 'cancelled' ELSE 'pending' END,"
                "  CASE WHEN s.at < coalesce(d.closed_at, $1) THEN s.at"
                "   WHEN d.status = 'closed' THEN d.closed_at END,"
                "  CASE WHEN s.at < coalesce(d.closed_at, $1) THEN gen_random_uuid() END"
                f" FROM deadlines d CROSS JOIN {_STEPS}"
                " CROSS JOIN LATERAL (SELECT d.requested_at"
                "  + (d.due_at - d.requested_at) * l.pct / 100 AS at) s",
                now,
            )
            await conn.execute(
                "INSERT INTO delivery_failures (notification_id, case_id, referral_id,"
                " cause_type, recipient, channel, failed_at)"
                " SELECT gen_random_uuid(), case_id, referral_id,"
                " 'org.lindung.referral.requested.v1', provider_id, 'webhook', requested_at"
                " FROM deadlines TABLESAMPLE BERNOULLI (0.5)"
            )
            await conn.execute(
                "ANALYZE deadlines; ANALYZE deadline_steps; ANALYZE referral_facts;"
                " ANALYZE delivery_failures"
            )
        return time.perf_counter() - began
    finally:
        await pool.close()


async def baseline(dsn: str) -> float:
    """PostgreSQL alone: the last 30 days' referrals counted by outcome, one pass."""
    pool = await create_pool(dsn, SCHEMA, statement_timeout=600, command_timeout=600)
    try:
        async with pool.acquire() as conn:
            began = time.perf_counter()
            await conn.fetch(
                "SELECT status, closed_reason, count(*) FROM deadlines"
                " WHERE requested_at >= now() - interval '30 days' GROUP BY 1, 2"
            )
            return time.perf_counter() - began
    finally:
        await pool.close()


def start_monitor(stack: Stack, port: int, workdir: Path):  # noqa: ANN201 - a Popen
    import os  # noqa: PLC0415
    import subprocess  # noqa: PLC0415

    keys = workdir / "keys.json"
    keys.write_text(json.dumps({"keys": [
        {"key_id": "k_bench-ops", "hmac_sha256": hash_key(KEY, SECRET.encode()),
         "kind": "operations", "id": "bench"}]}))  # fmt: skip
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SLA_MONITOR_")},
        **stack.service_env("sla-monitor"),
        "SLA_MONITOR_DATABASE_URL": stack.database_url_for("sla-monitor", SCHEMA),
        "SLA_MONITOR_DB_SCHEMA": SCHEMA,
        "SLA_MONITOR_HTTP_PORT": str(port),
        "SLA_MONITOR_API_KEYS_FILE": str(keys),
        "SLA_MONITOR_KEY_SECRET": SECRET,
        # Only its origin is used until someone signs in: the page reads the session above.
        "SLA_MONITOR_OIDC_ISSUER": "http://127.0.0.1:9/realms/bench",
        "SLA_MONITOR_DASHBOARD_URL": f"http://127.0.0.1:{port}/dashboard",
        "SLA_MONITOR_DASHBOARD_IDLE_MINUTES": "1440",
        "SLA_MONITOR_DASHBOARD_MAX_HOURS": "168",
        "SLA_MONITOR_LOG_LEVEL": "WARNING",
    }
    log = (workdir / "sla-monitor.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "lindung_sla_monitor"], env=env, stdout=log, stderr=log
    )


VIEWS = (
    ("open referrals, 100 least time left", "/dashboard/api/open?limit=100"),
    ("summary, last 24 h", "/dashboard/api/summary?last=24h"),
    ("summary, last 7 days", "/dashboard/api/summary?last=7d"),
    ("summary, last 30 days", "/dashboard/api/summary?last=30d"),
    ("the page, last 7 days", "/dashboard?last=7d"),
    ("CSV export, last 24 h", "/dashboard/export.csv?last=24h"),
)


async def time_views(port: int, repeat: int) -> dict[str, tuple[float, float, int]]:
    """Each view's median and slowest seconds, and its size in bytes."""
    timed: dict[str, tuple[float, float, int]] = {}
    headers = {"Authorization": f"Bearer {KEY}", "Cookie": f"lindung_operations={SESSION}"}
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(headers=headers, timeout=timeout) as http:
        for name, path in VIEWS:
            took, size = [], 0
            for _ in range(repeat):
                began = time.perf_counter()
                async with http.get(f"http://127.0.0.1:{port}{path}") as response:
                    body = await response.read()
                    assert response.status == 200, (path, response.status, body[:300])
                took.append(time.perf_counter() - began)
                size = len(body)
            timed[name] = (statistics.median(took), max(took), size)
    return timed


async def run(stack: Stack, args: argparse.Namespace, workdir: Path) -> None:
    dsn = stack.database_url
    print(f"loading {args.referrals:,} referrals of the last 30 days ...", flush=True)
    loaded = await load(dsn, args.referrals)
    port = free_port()
    process = start_monitor(stack, port, workdir)
    try:
        await ready(port)
        timed = await time_views(port, args.repeat)
        rss = rss_of(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=60)
    floor = await baseline(dsn)
    print()
    print(f"{'referrals of the last 30 days':<40}{args.referrals:>14,}")
    print(f"{'load':<40}{loaded:>13.1f} s")
    print(f"{'view (over HTTP)':<40}{'median':>10}{'slowest':>10}{'size':>10}{'/ base':>9}")
    for name, (median, slowest, size) in timed.items():
        ratio = median / floor if floor else 0.0
        print(f"{name:<40}{median:>9.3f}s{slowest:>9.3f}s{size / 1024:>8.0f}KB{ratio:>8.1f}x")
    print(f"{'baseline: PostgreSQL alone, 30 days':<40}{floor:>9.3f}s")
    print(f"{'sla-monitor resident memory after':<40}{rss / 2**20:>12.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="lindung-bench-dashboard-"))
    with Stack() as stack:
        asyncio.run(run(stack, args, workdir))
    print(f"(sla-monitor log: {workdir / 'sla-monitor.log'})")


if __name__ == "__main__":
    main()
