"""Per-phase figures from what was POSTed and what the receiver saw, and the final tables."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _e2e_load import Sent
    from _e2e_receiver import Record

REQUESTED = "org.lindung.referral.requested.v1"
COMPONENTS = (
    "intake",
    "router",
    "notifier",
    "sla-monitor",
    "kafka",
    "postgresql",
    "load generator",
    "receiver",
)
TARGET_IDS_PER_S = 150.0
TARGET_P99_MS, TARGET_P99_AT = 250.0, 50.0
TARGET_CPU_MS = 12.0


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile; NaN when there is nothing to rank."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class Phase:
    """One load phase: what was sent, what arrived, what it cost."""

    name: str
    offered: float | None  # identifications/s, None for the back-to-back clients
    sent: list[Sent]
    drained: bool = False
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds during the phase
    busy: float = 0.0  # share of the whole machine's CPU time that was busy
    others: float = 0.0  # share of it spent outside the components measured here
    wall: float = 0.0
    figures: dict[str, float] = field(default_factory=dict)

    @property
    def cases(self) -> dict[str, Sent]:
        """Accepted identifications by case id."""
        return {s.case_id: s for s in self.sent if s.status == 202}

    def measure(self, records: list[Record]) -> None:
        """Throughput and latency from the receiver's records of this phase's cases."""
        cases = self.cases
        first: dict[str, float] = {}
        arrivals = []
        for arrived, case_id, kind in records:
            if kind == REQUESTED and case_id in cases:
                arrivals.append(arrived)
                first[case_id] = min(arrived, first.get(case_id, arrived))
        began = min((s.sent_at for s in self.sent), default=0.0)
        span = (max(arrivals) - began) if arrivals else math.nan
        latencies = [(t - cases[c].sent_at) * 1000 for c, t in first.items()]
        answers = [(s.answered_at - s.sent_at) * 1000 for s in self.sent if s.status == 202]
        sends = [s.sent_at for s in self.sent]
        self.figures = {
            "posted": len(self.sent),
            "accepted": len(cases),
            "post_rate": len(sends) / (max(sends) - min(sends)) if len(sends) > 1 else math.nan,
            "delivered": len(first),
            "webhooks": len(arrivals),
            "ids_per_s": len(first) / span if arrivals else 0.0,
            "webhooks_per_s": len(arrivals) / span if arrivals else 0.0,
            "p50": percentile(latencies, 50),
            "p99": percentile(latencies, 99),
            "max": max(latencies, default=math.nan),
            "post_p99": percentile(answers, 99),
        }


def _fmt(value: float, digits: int = 0) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in [header, *rows]
    ]
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])


COLUMNS = (
    "phase", "offered/s", "POSTed", "202", "POSTs/s", "ids/s e2e", "webhooks/s", "refs/id",
    "p50 ms", "p99 ms", "max ms", "POST p99", "busy %", "others %", "drained",
)  # fmt: skip


def _row(p: Phase) -> list[str]:
    """One phase's cells, in the order of COLUMNS."""
    f = p.figures
    return [
        p.name,
        "max" if p.offered is None else _fmt(p.offered),
        str(int(f["posted"])),
        str(int(f["accepted"])),
        _fmt(f["post_rate"], 1),
        _fmt(f["ids_per_s"], 1),
        _fmt(f["webhooks_per_s"], 1),
        _fmt(f["webhooks"] / f["delivered"] if f["delivered"] else math.nan, 1),
        _fmt(f["p50"]),
        _fmt(f["p99"]),
        _fmt(f["max"]),
        _fmt(f["post_p99"]),
        _fmt(p.busy * 100),
        _fmt(p.others * 100),
        "yes" if p.drained else "NO",
    ]


def render(
    phases: list[Phase], records: list[Record], baseline: tuple[int, float, int], machine: str
) -> str:
    """The whole report as plain aligned text."""
    out = ["", "End to end (POST /v1/identifications -> first referral webhook)", ""]
    out.append(_table(list(COLUMNS), [_row(p) for p in phases]))

    cpu_header = ["CPU s (share)", *(p.name for p in phases)]
    cpu_rows = []
    for name in (*COMPONENTS, "total"):
        cells = [name]
        for p in phases:
            total = sum(p.cpu.values())
            value = total if name == "total" else p.cpu.get(name, 0.0)
            share = value / total * 100 if total else 0.0
            cells.append(f"{value:.1f} ({share:.0f}%)")
        cpu_rows.append(cells)
    per_id = ["CPU ms / identification"]
    for p in phases:
        delivered = p.figures["delivered"]
        per_id.append(_fmt(sum(p.cpu.values()) * 1000 / delivered if delivered else math.nan, 1))
    cpu_rows.append(per_id)
    cpu_rows.append(["wall s (incl. drain)", *(f"{p.wall:.1f}" for p in phases)])
    out += ["", "CPU seconds per component during each phase (load + drain)", ""]
    out.append(_table(cpu_header, cpu_rows))

    messages, seconds, size = baseline
    base_rate = messages / seconds
    best = max(phases, key=lambda p: p.figures["ids_per_s"], default=None)
    out.append("")
    out.append(
        f"Raw baseline: aiokafka produce -> consume of {messages} messages of {size} B "
        f"on a scratch topic: {base_rate:.0f} messages/s ({seconds:.2f} s)"
    )
    if best is not None:
        f = best.figures
        out.append(
            f"  best phase ({best.name}): {f['webhooks_per_s']:.1f} referral webhooks/s = "
            f"{f['webhooks_per_s'] / base_rate:.4f} x baseline; {f['ids_per_s']:.1f} "
            f"identifications/s = {f['ids_per_s'] / base_rate:.4f} x baseline"
        )
    # The default policy's shortest window is 15 min, so a long run starts to see warnings.
    other = Counter(kind for _, _, kind in records if kind != REQUESTED)
    listed = ", ".join(f"{n} {kind}" for kind, n in sorted(other.items())) or "none"
    out.append(f"Webhooks other than referral requests during the run: {listed}")
    out += ["", f"Machine: {machine}", "Targets:"]
    for shape, group in (
        ("mixed", [p for p in phases if not p.name.startswith("raid")]),
        ("raid", [p for p in phases if p.name.startswith("raid")]),
    ):
        if group:
            out += _targets(shape, group)
    return "\n".join(out)


def _targets(shape: str, phases: list[Phase]) -> list[str]:
    """The verdicts for one shape of load (mixed, or a raid)."""
    out = []
    best = max(phases, key=lambda p: p.figures["ids_per_s"])
    best_ids = best.figures["ids_per_s"]
    verdict = "met" if best_ids >= TARGET_IDS_PER_S else "NOT met"
    out.append(f"  {shape}: >= {TARGET_IDS_PER_S:.0f} identifications/s sustained end to end: "
               f"best {best_ids:.1f} ({verdict})")  # fmt: skip
    at = [p for p in phases if p.offered == TARGET_P99_AT]
    if at:
        p99 = at[0].figures["p99"]
        verdict = "met" if p99 <= TARGET_P99_MS else "NOT met"
        out.append(f"  {shape}: p99 <= {TARGET_P99_MS:.0f} ms at {TARGET_P99_AT:.0f}/s: "
                   f"{_fmt(p99)} ms ({verdict})")  # fmt: skip
        delivered = at[0].figures["delivered"]
        per_id = sum(at[0].cpu.values()) * 1000 / delivered if delivered else math.nan
        verdict = "met" if per_id <= TARGET_CPU_MS else "NOT met"
        out.append(f"  {shape}: <= {TARGET_CPU_MS:.0f} ms of CPU per identification at "
                   f"{TARGET_P99_AT:.0f}/s: {_fmt(per_id, 1)} ms ({verdict})")  # fmt: skip
    else:
        out.append(f"  {shape}: p99 <= {TARGET_P99_MS:.0f} ms at {TARGET_P99_AT:.0f}/s: not run")
    return out
