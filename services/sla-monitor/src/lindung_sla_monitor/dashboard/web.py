"""The operations dashboard: one page, its JSON API and a CSV export, for operations keys.

    GET  /dashboard                  the page (signed in), refreshing itself
    GET  /dashboard/sign-in          the sign-in form; POST it with `key`
    POST /dashboard/sign-out         forget the sign-in
    GET  /dashboard/api/summary      the period's figures, as JSON
    GET  /dashboard/api/open         open referrals by time left, late first, as JSON
    GET  /dashboard/export.csv       every referral of the period with its outcome

The period is `last=24h|7d|30d|90d` or `since=` [`until=`] (dates or times with offsets).
The API and the export take the key as `Authorization: Bearer <key>`; the page keeps it in
an HttpOnly, SameSite=Strict cookie. Only `operations` keys of intake's keys file get in.
Errors are `{"errors": [{"field", "reason"}]}`, as everywhere in Lindung.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from importlib import resources
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qs, urlencode
from zoneinfo import ZoneInfo

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from jinja2 import Environment, PackageLoader, select_autoescape
from lindung_common.failures import classify
from lindung_contracts import FieldError

from lindung_sla_monitor.adapters import reporting

from . import charts
from .period import PRESETS, Period, PeriodError, choose_period

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

    from lindung_common import Units
    from lindung_common.keys import KeyHolder, KeyRing

__all__ = ["Dashboard"]

COOKIE = "lindung_operations"
_CHUNK_CHARS = 64_000  # the export is sent in pieces of about this size
_UNAUTHORISED = 401
_UNAVAILABLE = 503
_NONE = "\N{EN DASH}"  # shown for a figure that does not exist yet
OPEN_ON_PAGE = 100
MOST_OPEN = 1000
_STATIC = {"dashboard.css": "text/css", "refresh.js": "text/javascript"}
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
}
log = structlog.get_logger(__name__)
T = TypeVar("T")


class _Refused(Exception):
    def __init__(self, status: int, field: str, reason: str) -> None:
        self.status = status
        self.error = FieldError(field=field, reason=reason)


def _failed(exc: Exception) -> _Refused:
    """An answer for a failure while reading: 503 while the database is away, else 500.

    Logged with its reason only: never a traceback, never a value.
    """
    failure = classify(exc)
    if failure.transient:
        log.warning("dashboard could not read the database", reason=failure.reason)
        return _Refused(503, "service", "temporarily unavailable; try again shortly")
    log.error("dashboard request failed", reason=failure.reason)
    return _Refused(500, "service", "internal error")


class Dashboard:
    """The dashboard's routes over the sla-monitor's database."""

    def __init__(
        self,
        units: Units,
        keys: KeyRing | None,
        now: Callable[[], datetime],
        *,
        timezone: str,
        refresh_seconds: int,
        secure_cookie: bool,
        off_reason: str | None = None,
    ) -> None:
        self._units = units
        self._keys = keys
        self._now = now
        self._zone = ZoneInfo(timezone)
        self._refresh = refresh_seconds
        self._secure = secure_cookie
        self._off = off_reason
        self._pages = Environment(
            loader=PackageLoader("lindung_sla_monitor", "dashboard/templates"),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._pages.filters["local"] = self._local
        self._pages.filters["left"] = _left
        self._pages.filters["duration"] = _duration
        self._pages.filters["percent"] = _percent
        shipped = resources.files("lindung_sla_monitor.dashboard").joinpath("static")
        self._static = {name: shipped.joinpath(name).read_bytes() for name in _STATIC}

    # --- routes -------------------------------------------------------------------------

    def routes(self) -> APIRouter:
        """Every route of the dashboard."""
        api = APIRouter(prefix="/dashboard", tags=["dashboard"])
        api.add_api_route("", self.page, methods=["GET"], response_class=HTMLResponse)
        api.add_api_route("/sign-in", self.sign_in_form, methods=["GET"])
        api.add_api_route("/sign-in", self.sign_in, methods=["POST"])
        api.add_api_route("/sign-out", self.sign_out, methods=["POST"])
        api.add_api_route("/api/summary", self.summary, methods=["GET"])
        api.add_api_route("/api/open", self.open, methods=["GET"])
        api.add_api_route("/export.csv", self.export, methods=["GET"])
        api.add_api_route("/static/{name}", self.static, methods=["GET"])
        return api

    async def page(self, request: Request) -> Response:
        """The dashboard page for the chosen period."""
        if self._signed_in(request) is None:
            back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(
                f"/dashboard/sign-in?{urlencode({'next': back})}", status_code=303, headers=_HEADERS
            )
        now = self._now()
        try:
            period = self._period(request)
            summary = await _reading(self._summary(period, now))
            _, _, referrals = await _reading(self._open(now, OPEN_ON_PAGE, 0, count=False))
        except _Refused as refused:
            return self._error_page(refused)
        query = _query(period)
        return self._html(
            "dashboard.html",
            200,
            s=summary,
            period=period,
            presets=list(PRESETS),
            referrals=referrals,
            shown=len(referrals),
            charts=_charts(summary),
            query=query,
            refresh=self._refresh,
            now=now,
        )

    async def sign_in_form(self, request: Request) -> Response:
        """The form asking for an operations key."""
        return self._html("sign_in.html", 200, problem=None, next=_back(request.query_params))

    async def sign_in(self, request: Request) -> Response:
        """Check the key; on success keep it in a cookie and go to the page."""
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        key = (form.get("key") or [""])[0].strip()
        try:
            holder = self._holder(key)
        except _Refused as refused:
            log.info("dashboard sign-in refused", reason=refused.error.reason)
            return self._html(
                "sign_in.html", refused.status, problem=refused.error.reason, next=_back(form)
            )
        log.info("dashboard signed in", key_id=holder.key_id)
        response = RedirectResponse(_back(form), status_code=303, headers=_HEADERS)
        response.set_cookie(
            COOKIE,
            key,
            httponly=True,
            samesite="strict",
            secure=self._secure,
            path="/dashboard",
            max_age=12 * 3600,
        )
        return response

    async def sign_out(self) -> Response:
        """Forget the key kept in the cookie."""
        response = RedirectResponse("/dashboard/sign-in", status_code=303, headers=_HEADERS)
        response.delete_cookie(COOKIE, path="/dashboard")
        return response

    async def summary(self, request: Request) -> Response:
        """The period's figures: open now, outcomes, time to acceptance, escalations."""
        try:
            self._authorise(request)
            period = self._period(request)
            body = await _reading(self._summary(period, self._now()))
        except _Refused as refused:
            return _problem(refused)
        return JSONResponse(body, headers=_HEADERS)

    async def open(self, request: Request) -> Response:
        """Open referrals by time left, late ones first (`limit` up to 1000, `offset`)."""
        try:
            self._authorise(request)
            limit = _count(request, "limit", OPEN_ON_PAGE, most=MOST_OPEN)
            offset = _count(request, "offset", 0, most=10**9)
            now = self._now()
            total, late, rows = await _reading(self._open(now, limit, offset))
        except _Refused as refused:
            return _problem(refused)
        body = {
            "generated_at": now.isoformat(),
            "total": total,
            "late": late,
            "referrals": [_open_json(r) for r in rows],
        }
        return JSONResponse(body, headers=_HEADERS)

    async def export(self, request: Request) -> Response:
        """Every referral requested in the period, one CSV row each, streamed."""
        try:
            self._authorise(request)
            period = self._period(request)
            rows = self._csv(period, self._now())
            # The first piece is read here, so that a database away is a 503, not a
            # download cut short; a later failure can only end the download early.
            first = await _reading(anext(rows))
        except _Refused as refused:
            return _problem(refused)
        name = f"lindung-referrals-{period.since:%Y%m%dT%H%M}-{period.until:%Y%m%dT%H%M}.csv"
        return StreamingResponse(
            _then(first, rows),
            media_type="text/csv; charset=utf-8",
            headers=_HEADERS | {"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def static(self, name: str) -> Response:
        """The page's style sheet and its refresh script, shipped in the package."""
        if name not in self._static:
            return _problem(_Refused(404, "path", "no such file"))
        return Response(
            self._static[name],
            media_type=_STATIC[name],
            headers={"Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"},
        )

    # --- what the routes share ------------------------------------------------------------

    async def _open(
        self, now: datetime, limit: int, offset: int, *, count: bool = True
    ) -> tuple[int, int, list[reporting.OpenReferral]]:
        async with self._units.connection() as work:
            conn = work.conn
            total, late = await reporting.open_count(conn, now) if count else (0, 0)
            rows = await reporting.open_referrals(conn, now, limit=limit, offset=offset)
        return total, late, rows

    def _error_page(self, refused: _Refused) -> Response:
        response = self._html("error.html", refused.status, error=refused.error)
        if refused.status == _UNAVAILABLE:
            response.headers["Retry-After"] = "5"
        return response

    def _signed_in(self, request: Request) -> KeyHolder | None:
        try:
            return self._authorise(request)
        except _Refused:
            return None

    def _authorise(self, request: Request) -> KeyHolder:
        """The operations key holder of a request (Bearer, else the cookie)."""
        return self._holder(_bearer(request) or request.cookies.get(COOKIE))

    def _holder(self, key: str | None) -> KeyHolder:
        if self._off is not None:
            raise _Refused(503, "service", self._off)
        if not key:
            raise _Refused(401, "authorization", "an operations key is required (Bearer)")
        holder = None if self._keys is None else self._keys.find(key)
        if holder is None:
            raise _Refused(401, "authorization", "unknown or revoked key")
        if holder.kind != "operations":
            raise _Refused(403, "authorization", "only an operations key reads the dashboard")
        return holder

    def _period(self, request: Request) -> Period:
        params = request.query_params
        try:
            return choose_period(
                self._now(),
                self._zone,
                last=params.get("last"),
                since=params.get("since"),
                until=params.get("until"),
            )
        except PeriodError as bad:
            raise _Refused(400, bad.field, bad.reason) from None

    async def _summary(self, period: Period, now: datetime) -> dict[str, Any]:
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
        }

    async def _csv(self, period: Period, now: datetime) -> AsyncIterator[str]:
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

    def _html(self, template: str, status: int, **context: Any) -> Response:
        page = self._pages.get_template(template).render(**context)
        return HTMLResponse(page, status_code=status, headers=_HEADERS)

    def _local(self, moment: datetime | str, form: str = "%d %b %H:%M") -> str:
        when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
        return when.astimezone(self._zone).strftime(form)


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
)


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
    ]


def _charts(summary: dict[str, Any]) -> dict[str, Any]:
    services = [g for g in summary["by"]["service"] if g["on_time_rate"] is not None]
    rate_bars = [
        charts.Bar(
            label=g["key"],
            value=g["on_time_rate"],
            note=f"{_percent(g['on_time_rate'])} of {g['on_time'] + g['late']}",
            tone=_tone(g["on_time_rate"]),
        )
        for g in sorted(services, key=lambda g: g["on_time_rate"])
    ]
    accepted = [g for g in summary["by"]["service"] if g["p90_accept_seconds"] is not None]
    slowest = max((g["p90_accept_seconds"] for g in accepted), default=0.0)
    speed_bars = [
        charts.Bar(
            label=g["key"],
            value=g["p90_accept_seconds"],
            note=f"{_duration(g['median_accept_seconds'])} / {_duration(g['p90_accept_seconds'])}",
            tone="plain",
        )
        for g in sorted(accepted, key=lambda g: -g["p90_accept_seconds"])
    ]
    levels = summary["escalations_by_level"]
    most = max(levels.values(), default=0)
    level_bars = [
        charts.Bar(f"level {level}", n, str(n), "warn" if level == "1" else "bad")
        for level, n in sorted(levels.items())
    ]
    bucket = summary["period"]["bucket"]
    form = "%H:%M" if bucket == "hour" else "%d %b"
    trend = [
        charts.Column(
            datetime.fromisoformat(t["start"]).strftime(form), t["on_time"], t["late"], t["waiting"]
        )
        for t in summary["trend"]
    ]
    return {
        "on_time_by_service": charts.bars(
            "On time, by service", rate_bars, scale=1.0, empty="No referral decided yet."
        ),
        "acceptance_by_service": charts.bars(
            "Time to acceptance, median / 90th percentile",
            speed_bars,
            scale=slowest,
            empty="No referral accepted yet.",
        ),
        "escalations": charts.bars(
            "Escalations by level", level_bars, scale=most, empty="No escalation."
        ),
        "trend": charts.columns(
            f"Referrals by {bucket} requested: on time, late, waiting",
            trend,
            empty="No referral in this period.",
        ),
    }


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


def _open_json(r: reporting.OpenReferral) -> dict[str, Any]:
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


async def _reading(work: Awaitable[T]) -> T:
    """Await a read of the database; a failure becomes the answer `_failed` gives."""
    try:
        return await work
    except Exception as exc:
        raise _failed(exc) from None


async def _then(first: str, rest: AsyncIterator[str]) -> AsyncIterator[str]:
    yield first
    try:
        async for piece in rest:
            yield piece
    except Exception as exc:
        _failed(exc)  # logged; the download ends early
        raise


def _problem(refused: _Refused) -> JSONResponse:
    headers = dict(_HEADERS)
    if refused.status == _UNAUTHORISED:
        headers["WWW-Authenticate"] = "Bearer"
    if refused.status == _UNAVAILABLE:
        headers["Retry-After"] = "5"
    return JSONResponse(
        {"errors": [refused.error.model_dump(mode="json")]},
        status_code=refused.status,
        headers=headers,
    )


def _back(params: Mapping[str, Any]) -> str:
    """Where to go after signing in: a page of the dashboard, never anywhere else."""
    value = params.get("next") or "/dashboard"
    back = str(value[0] if isinstance(value, list) else value)
    if back == "/dashboard" or back.startswith(("/dashboard?", "/dashboard/")):
        return back if "\\" not in back and "//" not in back else "/dashboard"
    return "/dashboard"


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def _count(request: Request, name: str, default: int, *, most: int) -> int:
    text = request.query_params.get(name)
    if text is None:
        return default
    if not text.isdigit() or int(text) > most:
        raise _Refused(400, name, f"must be a whole number from 0 to {most}")
    return int(text)


def _query(period: Period) -> str:
    if period.last is not None:
        return urlencode({"last": period.last})
    return urlencode({"since": period.since.isoformat(), "until": period.until.isoformat()})


def _tone(rate: float) -> str:
    return "good" if rate >= 0.9 else "warn" if rate >= 0.7 else "bad"  # noqa: PLR2004


def _percent(rate: float | None) -> str:
    return _NONE if rate is None else f"{rate * 100:.0f}%"


def _duration(seconds: float | None) -> str:
    """A span as people read it: 45 s, 12 min, 3 h 5 min, 2 d 4 h."""
    if seconds is None:
        return _NONE
    s = round(abs(seconds))
    if s < 60:  # noqa: PLR2004
        return f"{s} s"
    if s < 3600:  # noqa: PLR2004
        return f"{s // 60} min"
    if s < 86400:  # noqa: PLR2004
        hours, minutes = s // 3600, s % 3600 // 60
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = s // 86400, s % 86400 // 3600
    return f"{days} d {hours} h" if hours else f"{days} d"


def _left(seconds: float) -> str:
    return f"late {_duration(seconds)}" if seconds < 0 else f"{_duration(seconds)} left"
