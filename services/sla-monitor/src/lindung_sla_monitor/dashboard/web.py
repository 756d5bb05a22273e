"""The operations dashboard: one page, its JSON API and a CSV export, for operations keys.

    GET  /dashboard                  the page (a person signed in), refreshing itself
    GET  /dashboard/sign-in          sign in at the identity provider (`sign_in`), and
         /dashboard/callback         back; POST /dashboard/sign-out (with its CSRF token)
    GET  /dashboard/api/summary      the period's figures, as JSON
    GET  /dashboard/api/open         open referrals by time left, late first, as JSON
    GET  /dashboard/export.csv       every referral of the period with its outcome

The period is `last=24h|7d|30d|90d` or `since=` [`until=`] (dates or times with offsets).
People sign in through OpenID Connect, operations people only (`people`); the API and the
export take an `operations` key of intake's keys file as `Authorization: Bearer <key>`
(machines), or a signed-in person's session.
Errors are `{"errors": [{"field", "reason"}]}`, as everywhere in Lindung.

The routes only parse and answer: `access` checks the session or key, `views` reads the figures,
`render` draws the page, `answers` says no.
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse

from .access import Access
from .answers import HEADERS, Refused, problem, reading, then
from .period import PRESETS, Period, PeriodError, choose_period
from .render import Pages, charts_for
from .sign_in import SignIn, chosen, origin
from .views import Views, open_json
from .words import WORDS

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from lindung_common import Units
    from lindung_common.keys import KeyRing

    from .people import Door

__all__ = ["Dashboard"]

OPEN_ON_PAGE = 100
MOST_OPEN = 1000
_STATIC = {"dashboard.css": "text/css", "refresh.js": "text/javascript"}


class Dashboard:
    """The dashboard's routes over the sla-monitor's database."""

    def __init__(
        self,
        units: Units,
        keys: KeyRing | None,
        now: Callable[[], datetime],
        *,
        door: Door | None,
        timezone: str,
        refresh_seconds: int,
        off_reason: str | None = None,
    ) -> None:
        self._now = now
        self._zone = ZoneInfo(timezone)
        self._refresh = refresh_seconds
        self._access = Access(keys, door, off_reason=off_reason)
        self._views = Views(units, self._zone)
        idp = origin(door.sessions.idp.issuer) if door is not None else ""
        self._pages = Pages(self._zone, form_targets=idp)
        self._sign_in = SignIn(self._access, self._pages)
        shipped = resources.files("lindung_sla_monitor.dashboard").joinpath("static")
        self._static = {name: shipped.joinpath(name).read_bytes() for name in _STATIC}

    def routes(self) -> APIRouter:
        """Every route of the dashboard."""
        api = APIRouter(prefix="/dashboard", tags=["dashboard"])
        api.add_api_route("", self.page, methods=["GET"], response_class=HTMLResponse)
        api.add_api_route("/sign-in", self._sign_in.begin, methods=["GET"])
        api.add_api_route("/callback", self._sign_in.callback, methods=["GET"])
        api.add_api_route("/sign-out", self._sign_in.sign_out, methods=["POST"])
        api.add_api_route("/signed-out", self._sign_in.signed_out, methods=["GET"])
        api.add_api_route("/language", self._sign_in.choose_language, methods=["POST"])
        api.add_api_route("/api/summary", self.summary, methods=["GET"])
        api.add_api_route("/api/open", self.open, methods=["GET"])
        api.add_api_route("/export.csv", self.export, methods=["GET"])
        api.add_api_route("/static/{name}", self.static, methods=["GET"])
        return api

    async def page(self, request: Request) -> Response:
        """The dashboard page for the chosen period."""
        language = chosen(request)
        if self._access.door is None:
            return self._pages.error(
                Refused(503, "service", "signing in is off: SLA_MONITOR_OIDC_ISSUER is unset"),
                language,
            )
        try:
            session = await reading(self._access.signed_in(request))
        except Refused as refused:
            return self._pages.error(refused, language)
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if session is None:
            return self._pages.go(f"/dashboard/sign-in?{urlencode({'next': here})}")
        language = chosen(request, session.language)
        now = self._now()
        try:
            period = self._period(request)
            summary = await reading(self._views.summary(period, now))
            _, _, referrals = await reading(self._views.open(now, OPEN_ON_PAGE, 0, count=False))
        except Refused as refused:
            return self._pages.error(refused, language)
        return self._pages.html(
            "dashboard.html",
            200,
            language,
            here=here,
            s=summary,
            period=period,
            presets=list(PRESETS),
            referrals=referrals,
            shown=len(referrals),
            charts=charts_for(summary, WORDS[language]),
            query=_query(period),
            refresh=self._refresh,
            now=now,
            person=session.person,
            csrf=session.csrf,
        )

    async def summary(self, request: Request) -> Response:
        """The period's figures: open now, outcomes, time to acceptance, escalations."""
        try:
            await reading(self._access.authorise(request))
            period = self._period(request)
            body = await reading(self._views.summary(period, self._now()))
        except Refused as refused:
            return problem(refused)
        return JSONResponse(body, headers=HEADERS)

    async def open(self, request: Request) -> Response:
        """Open referrals by time left, late ones first (`limit` up to 1000, `offset`)."""
        try:
            await reading(self._access.authorise(request))
            limit = _count(request, "limit", OPEN_ON_PAGE, most=MOST_OPEN)
            offset = _count(request, "offset", 0, most=10**9)
            now = self._now()
            total, late, rows = await reading(self._views.open(now, limit, offset))
        except Refused as refused:
            return problem(refused)
        body = {
            "generated_at": now.isoformat(),
            "total": total,
            "late": late,
            "referrals": [open_json(r) for r in rows],
        }
        return JSONResponse(body, headers=HEADERS)

    async def export(self, request: Request) -> Response:
        """Every referral requested in the period, one CSV row each, streamed."""
        try:
            await reading(self._access.authorise(request))
            period = self._period(request)
            rows = self._views.export(period, self._now())
            # The first piece is read here, so that a database away is a 503, not a
            # download cut short; a later failure can only end the download early.
            first = await reading(anext(rows))
        except Refused as refused:
            return problem(refused)
        name = f"lindung-referrals-{period.since:%Y%m%dT%H%M}-{period.until:%Y%m%dT%H%M}.csv"
        return StreamingResponse(
            then(first, rows),
            media_type="text/csv; charset=utf-8",
            headers=HEADERS | {"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def static(self, name: str) -> Response:
        """The page's style sheet and its refresh script, shipped in the package."""
        if name not in self._static:
            return problem(Refused(404, "path", "no such file"))
        return Response(
            self._static[name],
            media_type=_STATIC[name],
            headers={"Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"},
        )

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
            raise Refused(400, bad.field, bad.reason) from None


def _count(request: Request, name: str, default: int, *, most: int) -> int:
    text = request.query_params.get(name)
    if text is None:
        return default
    if not text.isdigit() or int(text) > most:
        raise Refused(400, name, f"must be a whole number from 0 to {most}")
    return int(text)


def _query(period: Period) -> str:
    if period.last is not None:
        return urlencode({"last": period.last})
    return urlencode({"since": period.since.isoformat(), "until": period.until.isoformat()})
