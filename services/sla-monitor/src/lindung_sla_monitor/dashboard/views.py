"""What the dashboard shows, read from the sla-monitor's database: summary, open, export.

Each read is one unit of work's connection (`lindung_common.Units`) and changes nothing;
the export reads one snapshot in a read-only transaction, since a cursor needs one.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from lindung_contracts import CASE_OUTCOME_WORDS, CaseOutcome

from lindung_sla_monitor.adapters import capacity, closures, outcomes, reporting

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from lindung_common import Units

    from .period import Period

__all__ = ["Views", "open_json"]

_CHUNK_CHARS = 64_000  # the export is sent in pieces of about this size
_CSV_COLUMNS = (
    "referral_id",
    "case_id",
    "service",
    "provider_id",
    "agency_id",
    "state",
    "attempt",
    "requested_at",
    "due_at",
    "outcome",
    "closed_reason",
    "closed_at",
    "minutes_to_accept",
    "escalation_level",
    # What its completion did for the child (empty until completed, or when not said).
    "completed_at",
    "service_outcome",
    "service_outcome_reason",
    # What became of the child, once a coordinator closed the case (empty while open).
    "case_closed_at",
    "case_outcome",
)


class Views:
    """The dashboard's figures, each assembled from the reporting queries."""

    def __init__(self, units: Units, zone: ZoneInfo) -> None:
        self._units = units
        self._zone = zone

    async def open(
        self, now: datetime, limit: int, offset: int, *, count: bool = True
    ) -> tuple[int, int, list[reporting.OpenReferral]]:
        """How many are open and late (zeros unless `count`), and a page of them, late first."""
        async with self._units.connection() as work:
            conn = work.conn
            total, late = await reporting.open_count(conn, now) if count else (0, 0)
            rows = await reporting.open_referrals(conn, now, limit=limit, offset=offset)
        return total, late, rows

    async def summary(self, period: Period, now: datetime) -> dict[str, Any]:
        """The period's figures: open now, outcomes, time to acceptance, escalations."""
        async with self._units.connection() as work:
            conn = work.conn
            total, late = await reporting.open_count(conn, now)
            groups = await reporting.group_stats(conn, period.since, period.until, now)
            trend = await reporting.trend(
                conn,
                period.since,
                period.until,
                now,
                bucket=period.bucket,
                timezone=self._zone.key,
            )
            levels = await reporting.escalations_by_level(conn, period.since, period.until)
            failures = await reporting.failed_deliveries(conn, period.since, period.until)
            delivered = await outcomes.services_delivered(conn, period.since, period.until)
            closed = await closures.cases_closed(conn, period.since, period.until)
            places = await capacity.places_by_state(conn, now)
        by: dict[str, list[dict[str, Any]]] = {d: [] for d in reporting.DIMENSIONS}
        for group in groups:
            by[group.dimension].append(_group_json(group))
        empty = reporting.GroupStats("all", "all", 0, 0, 0, 0, 0, 0, None, None)
        return {
            "generated_at": now.isoformat(),
            "period": {
                "since": period.since.isoformat(),
                "until": period.until.isoformat(),
                "last": period.last,
                "bucket": period.bucket,
                "timezone": self._zone.key,
            },
            "open": {"total": total, "late": late},
            "totals": (by.pop("all") or [_group_json(empty)])[0],
            "by": by,
            "trend": _filled(trend, period.starts(self._zone)),
            "escalations_by_level": {str(level): n for level, n in levels.items()},
            "failed_deliveries": [
                {"channel": f.channel, "cause_type": f.cause_type, "count": f.count}
                for f in failures
            ],
            "services_delivered": _delivered_json(delivered),
            "cases_closed": _closed_json(closed),
            # Now, whatever the period: the latest figure of each provider that gave one.
            "capacity": [
                {
                    "state": p.state,
                    "service": p.service,
                    "providers_with_places": p.with_places,
                    "providers_full": p.full,
                    "providers_stale": p.stale,
                    "places_free": p.free,
                }
                for p in places
            ],
        }

    async def export(self, period: Period, now: datetime) -> AsyncIterator[str]:
        """Every referral requested in the period as CSV, in pieces of about 64,000 characters."""
        buffer = io.StringIO()
        out = csv.writer(buffer)
        out.writerow(_CSV_COLUMNS)
        # One snapshot for the whole export, changing nothing (a cursor needs a transaction).
        async with self._units.open(readonly=True) as work:
            async for row in reporting.export_rows(work.conn, period.since, period.until, now):
                out.writerow(_csv_row(row))
                if buffer.tell() > _CHUNK_CHARS:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()


def open_json(r: reporting.OpenReferral) -> dict[str, Any]:
    """An open referral as the API shows it."""
    return {
        "referral_id": str(r.referral_id),
        "case_id": str(r.case_id),
        "service": r.service,
        "provider_id": r.provider_id,
        "agency_id": r.agency_id,
        "state": r.state,
        "attempt": r.attempt,
        "urgent": r.urgent,
        "requested_at": r.requested_at.isoformat(),
        "due_at": r.due_at.isoformat(),
        "paused": r.paused,
        "late": r.late,
        "seconds_left": round(r.seconds_left, 3),
        "escalation_level": r.level,
    }


def _csv_row(row: dict[str, Any]) -> list[object]:
    seconds = row["accept_seconds"]
    return [
        row["referral_id"],
        row["case_id"],
        row["service"],
        row["provider_id"],
        row["agency_id"],
        row["state"],
        row["attempt"] or "",
        row["requested_at"].isoformat(),
        row["due_at"].isoformat() if row["due_at"] else "",
        row["outcome"],
        row["closed_reason"] or "",
        row["closed_at"].isoformat() if row["closed_at"] else "",
        "" if seconds is None else f"{float(seconds) / 60:.1f}",
        row["level"],
        row["completed_at"].isoformat() if row["completed_at"] else "",
        row["service_outcome"] or "",
        row["service_outcome_reason"] or "",
        row["case_closed_at"].isoformat() if row["case_closed_at"] else "",
        row["case_outcome"] or "",
    ]


def _filled(trend: list[reporting.Trend], starts: list[datetime]) -> list[dict[str, Any]]:
    """Every bucket of the period in order, with zeros where nothing was requested."""
    counted = {t.start: t for t in trend}
    filled = []
    for start in starts:
        t = counted.get(start) or reporting.Trend(start, 0, 0, 0)
        filled.append(
            {
                "start": start.isoformat(),
                "on_time": t.on_time,
                "late": t.late,
                "waiting": t.waiting,
            }
        )
    return filled


def _group_json(group: reporting.GroupStats) -> dict[str, Any]:
    return {
        "key": group.key,
        "referrals": group.referrals,
        "on_time": group.on_time,
        "late": group.late,
        "waiting": group.waiting,
        "ended": group.ended,
        "rerouted": group.rerouted,
        "on_time_rate": group.on_time_rate,
        "median_accept_seconds": group.median_accept_seconds,
        "p90_accept_seconds": group.p90_accept_seconds,
    }


def _delivered_json(by_service: list[outcomes.Delivered]) -> dict[str, Any]:
    """Referrals completed in the period by outcome: in all, and by service."""

    def counts(d: outcomes.Delivered) -> dict[str, int]:
        return {
            "completed": d.completed,
            "delivered": d.delivered,
            "partly_delivered": d.partly_delivered,
            "not_delivered": d.not_delivered,
            "unstated": d.unstated,
        }

    total = outcomes.Delivered(
        service="all",
        delivered=sum(d.delivered for d in by_service),
        partly_delivered=sum(d.partly_delivered for d in by_service),
        not_delivered=sum(d.not_delivered for d in by_service),
        unstated=sum(d.unstated for d in by_service),
    )
    return counts(total) | {"by_service": [{"service": d.service} | counts(d) for d in by_service]}


def _closed_json(by_outcome: dict[str, int]) -> dict[str, Any]:
    """Cases closed in the period: in all, and by outcome (every outcome, zeros included)."""
    return {
        "total": sum(by_outcome.values()),
        "by_outcome": [
            {
                "outcome": outcome.value,
                "words": CASE_OUTCOME_WORDS[outcome]["en"],
                "cases": by_outcome.get(outcome.value, 0),
            }
            for outcome in CaseOutcome
        ],
    }
