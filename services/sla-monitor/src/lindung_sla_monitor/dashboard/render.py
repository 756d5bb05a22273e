"""How the dashboard looks: its pages from the Jinja templates, its charts, figures as read.

Times are shown in the dashboard's time zone; a figure that does not exist yet shows as a
dash.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from . import charts
from .answers import HEADERS, UNAVAILABLE

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from .answers import Refused

__all__ = ["Pages", "charts_for", "duration", "left", "percent"]

_NONE = "\N{EN DASH}"  # shown for a figure that does not exist yet


class Pages:
    """The dashboard's HTML pages, rendered from the templates shipped in the package."""

    def __init__(self, zone: ZoneInfo, *, form_targets: str = "") -> None:
        self._zone = zone
        # Sign-out is a form whose answer sends the browser on to the identity provider.
        csp = HEADERS["Content-Security-Policy"].replace(
            "form-action 'self'", f"form-action 'self' {form_targets}".rstrip()
        )
        self._headers = HEADERS | {"Content-Security-Policy": csp}
        self._pages = Environment(
            loader=PackageLoader("lindung_sla_monitor", "dashboard/templates"),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._pages.filters["local"] = self._local
        self._pages.filters["left"] = left
        self._pages.filters["duration"] = duration
        self._pages.filters["percent"] = percent

    def html(self, template: str, status: int, **context: Any) -> Response:
        """A template rendered with `context`, as an answer with the dashboard's headers."""
        page = self._pages.get_template(template).render(**context)
        return HTMLResponse(page, status_code=status, headers=self._headers)

    def message(self, status: int, title: str, text: str, *, sign_in: bool = False) -> Response:
        """A page that only says something (signed out, a sign-in refused)."""
        return self.html("message.html", status, title=title, text=text, sign_in=sign_in)

    def go(self, to: str) -> Response:
        """Send the browser on (303: a GET, whatever the request was)."""
        return RedirectResponse(to, status_code=303, headers=self._headers)

    def error(self, refused: Refused) -> Response:
        """A refusal as a page for people; come back in a few seconds when it is a 503."""
        response = self.html("error.html", refused.status, error=refused.error)
        if refused.status == UNAVAILABLE:
            response.headers["Retry-After"] = "5"
        return response

    def _local(self, moment: datetime | str, form: str = "%d %b %H:%M") -> str:
        when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
        return when.astimezone(self._zone).strftime(form)


def charts_for(summary: dict[str, Any]) -> dict[str, Any]:
    """The page's four charts, drawn from the summary the API gives."""
    services = [g for g in summary["by"]["service"] if g["on_time_rate"] is not None]
    rate_bars = [
        charts.Bar(
            label=g["key"],
            value=g["on_time_rate"],
            note=f"{percent(g['on_time_rate'])} of {g['on_time'] + g['late']}",
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
            note=f"{duration(g['median_accept_seconds'])} / {duration(g['p90_accept_seconds'])}",
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


def _tone(rate: float) -> str:
    return "good" if rate >= 0.9 else "warn" if rate >= 0.7 else "bad"  # noqa: PLR2004


def percent(rate: float | None) -> str:
    """A rate as a whole percentage: 87%."""
    return _NONE if rate is None else f"{rate * 100:.0f}%"


def duration(seconds: float | None) -> str:
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


def left(seconds: float) -> str:
    """Time left before a deadline, or how late it is."""
    return f"late {duration(seconds)}" if seconds < 0 else f"{duration(seconds)} left"
