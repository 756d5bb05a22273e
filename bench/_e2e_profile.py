"""Where the time goes: py-spy on each service, pg_stat_statements on PostgreSQL.

`Profiler` samples each service process with py-spy for the length of a phase and
writes the collapsed stacks (py-spy's `raw` format, one `frame;frame;... count` line per
stack: `flamegraph.pl` or speedscope draw them), then prints each service's functions
with the most samples on top of the stack (threads waiting for work left out), and the
functions of the service's own code (`lindung_*`) with the most samples anywhere below.
`Statements` turns on pg_stat_statements (it needs a restart of the bench's PostgreSQL
before the services start), resets it before a phase and prints the statements that
took the most time.
"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg

if TYPE_CHECKING:
    from lindung_devstack.stack import Stack

PY_SPY = Path(sys.executable).parent / "py-spy"
_OWN = re.compile(r"\(lindung_[a-z_]+/")
# Where a thread waits for work: py-spy counts these as active, but they burn no CPU.
_WAITING = ("_worker (concurrent/", "EpollSelector.select (", "Condition.wait (")


class Profiler:
    """py-spy record on every service process while a phase runs."""

    def __init__(self, out: Path, pids: dict[str, int], top: int) -> None:
        self.out = out
        self.pids = pids
        self.top = top
        self._running: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
        out.mkdir(parents=True, exist_ok=True)

    def start(self, phase: str) -> None:
        """Begin sampling every service; `phase` names the files."""
        tag = re.sub(r"[^a-z0-9]+", "-", phase.lower()).strip("-")
        for name, pid in self.pids.items():
            path = self.out / f"{tag}-{name}.txt"
            argv = [str(PY_SPY), "record", "--pid", str(pid), "--format", "raw",
                    "--nolineno", "--output", str(path)]  # fmt: skip
            with (self.out / f"{tag}-{name}.log").open("wb") as errors:
                process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=errors)
            self._running[name] = (process, path)

    def stop(self) -> str:
        """End sampling (py-spy writes its file on SIGINT); the summary of each service."""
        for process, _ in self._running.values():
            process.send_signal(signal.SIGINT)
        lines = []
        for name, (process, path) in self._running.items():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            lines.append(summarize(name, path, self.top))
        self._running.clear()
        return "\n".join(lines)


def summarize(name: str, path: Path, top: int) -> str:
    """The frames with the most samples on top of the stack, and our own code's by total."""
    if not path.exists():
        return f"  {name}: no profile written"
    leaf: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        frames = stack.split(";")
        if frames[-1].startswith(_WAITING):
            continue
        total += samples
        leaf[frames[-1]] += samples
        for frame in set(frames):
            if _OWN.search(frame):
                own[frame] += samples
    if not total:
        return f"  {name}: no samples"
    out = [f"  {name}: {total} samples not waiting ({path})", "    on top of the stack:"]
    out += [f"      {n / total:6.1%}  {frame}" for frame, n in leaf.most_common(top)]
    out.append("    own code, anywhere below:")
    out += [f"      {n / total:6.1%}  {frame}" for frame, n in own.most_common(top)]
    return "\n".join(out)


class Statements:
    """pg_stat_statements on the bench's PostgreSQL."""

    def __init__(self, url: str, top: int) -> None:
        self.url = url
        self.top = top

    @staticmethod
    def enable(stack: Stack) -> None:
        """Load the module at the server's start; call before the services connect."""
        assert stack.postgres is not None

        async def alter() -> None:
            conn = await asyncpg.connect(stack.database_url)
            try:
                await conn.execute(
                    "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
                )
            finally:
                await conn.close()

        asyncio.run(alter())
        stack.postgres.restart()
        create = "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
        asyncio.run(_execute(stack.database_url, create))

    async def reset(self) -> None:
        """Forget what came before the phase."""
        await _execute(self.url, "SELECT pg_stat_statements_reset()")

    async def report(self) -> str:
        """The statements that took the most execution time since the reset."""
        conn = await asyncpg.connect(self.url)
        try:
            whole, calls = await conn.fetchrow(
                "SELECT sum(total_exec_time), sum(calls) FROM pg_stat_statements"
            )
            rows = await conn.fetch(
                "SELECT calls, total_exec_time, mean_exec_time, rows, query"
                " FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT $1",
                self.top,
            )
        finally:
            await conn.close()
        head = (
            f"  PostgreSQL: {int(calls or 0)} statements (BEGIN and COMMIT among them) taking"
            f" {float(whole or 0) / 1000:.1f} s; the most time:"
        )
        out = [head]
        out.append(f"    {'total s':>8} {'calls':>7} {'mean ms':>8} {'rows':>7}  statement")
        for r in rows:
            query = " ".join(r["query"].split())[:150]
            out.append(
                f"    {r['total_exec_time'] / 1000:8.2f} {r['calls']:7d} "
                f"{r['mean_exec_time']:8.2f} {r['rows']:7d}  {query}"
            )
        return "\n".join(out)


async def _execute(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()
