"""Providers' capacity reports in PostgreSQL; each function runs inside the caller's unit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncpg
    from lindung_contracts import CapacityReported

__all__ = ["insert_report", "latest_reports", "services_referred"]


async def insert_report(conn: asyncpg.Connection, report: CapacityReported) -> None:
    """Keep a provider's report."""
    await conn.execute(
        "INSERT INTO capacity_reports (report_id, provider_id, service, unit, available,"
        " maximum, at, reported_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        report.report_id,
        report.provider_id,
        report.service.value,
        report.unit.value,
        report.available,
        report.maximum,
        report.at,
        report.reported_by,
    )


async def latest_reports(conn: asyncpg.Connection, provider_id: str) -> list[dict[str, Any]]:
    """The provider's latest report for each service it reported on."""
    rows = await conn.fetch(
        "SELECT DISTINCT ON (service) service, unit, available, maximum, at, reported_by"
        " FROM capacity_reports WHERE provider_id = $1 ORDER BY service, at DESC",
        provider_id,
    )
    return [dict(row) for row in rows]


async def services_referred(conn: asyncpg.Connection, provider_id: str) -> set[str]:
    """The services a provider has been referred for: those it offers, as far as intake knows."""
    rows = await conn.fetch(
        "SELECT DISTINCT service FROM referral_access WHERE provider_id = $1", provider_id
    )
    return {row["service"] for row in rows}
