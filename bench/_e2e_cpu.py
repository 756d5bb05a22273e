"""CPU seconds per component, read from /proc, and what the machine is."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, utime+stime+cutime+cstime in ticks) of one process, None if gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name may hold spaces and parentheses; the fields follow the last ')'.
    fields = text[text.rindex(")") + 2 :].split()
    ppid = int(fields[1])
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return ppid, utime + stime + cutime + cstime


def _all() -> dict[int, tuple[int, int]]:
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None:
                found[int(entry.name)] = stat
    return found


def tree_seconds(root: int, table: dict[int, tuple[int, int]]) -> float:
    """CPU seconds of `root` and every live descendant."""
    # Each live process counts its own time plus that of the children it has reaped
    # (cutime, cstime), so a backend that exited during the phase is still counted once.
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if pid in table:
            total += table[pid][1]
            todo.extend(children.get(pid, []))
    return total / TICK


def self_seconds() -> float:
    """This process's own CPU seconds (not its children, which are other components)."""
    times = os.times()
    return times.user + times.system


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


@dataclass
class CpuMeter:
    """Snapshots CPU seconds of named process trees; `self` is the load generator."""

    roots: dict[str, int] = field(default_factory=dict)

    def snapshot(self) -> dict[str, float]:
        """CPU seconds so far per component, plus the machine's busy share."""
        table = _all()
        seconds = {name: tree_seconds(pid, table) for name, pid in self.roots.items()}
        seconds["load generator"] = self_seconds()
        busy, total = machine_ticks()
        seconds["_busy"], seconds["_total"] = float(busy), float(total)
        return seconds


def postmaster_pid(data_dir: Path) -> int:
    """The postmaster's pid: the first line of postmaster.pid."""
    return int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])


def machine() -> str:
    """nproc and the CPU model."""
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} cores ({len(os.sched_getaffinity(0))} usable), {model}"
