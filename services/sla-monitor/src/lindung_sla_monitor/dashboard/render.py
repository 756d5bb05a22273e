"""How the dashboard looks: its pages from the Jinja templates, its charts, figures as read.

Times are shown in the dashboard's time zone; a figure that does not exist yet shows as a
dash.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, pass_context, select_autoescape

from . import charts
from .answers import HEADERS, UNAVAILABLE
from .words import WORDS, Words, local

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
        self._pages.filters["left"] = _left
        self._pages.filters["duration"] = _duration
        self._pages.filters["percent"] = percent

    def html(self, template: str, code: int, language: str, **context: Any) -> Response:
        """A template in the person's language, as an answer with the dashboard's headers."""
        words = WORDS.get(language, WORDS["en"])
        page = self._pages.get_template(template).render(t=words, lang=words.language, **context)
        return HTMLResponse(page, status_code=code, headers=self._headers)

    def message(
        self, status: int, language: str, title: str, text: str, *, sign_in: bool = False
    ) -> Response:
        """A page that only says something (signed out, a sign-in refused)."""
        return self.html("message.html", status, language, title=title, text=text, sign_in=sign_in)

    def go(self, to: str) -> Response:
        """Send the browser on (303: a GET, whatever the request was)."""
        return RedirectResponse(to, status_code=303, headers=self._headers)

    def error(self, refused: Refused, language: str = "en") -> Response:
        """A refusal as a page for people; come back in a few seconds when it is a 503."""
        response = self.html(
            "error.html", refused.status, language, status=refused.status, error=refused.error
        )
        if refused.status == UNAVAILABLE:
            response.headers["Retry-After"] = "5"
        return response

    @pass_context
    def _local(self, context: Any, moment: datetime | str, form: str = "d MMM HH:mm") -> str:
        when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
        return local(when, self._zone, context["lang"], form)


@pass_context
def _left(context: Any, seconds: float) -> str:
    return WORDS[context["lang"]].left(seconds)


@pass_context
def _duration(context: Any, seconds: float | None) -> str:
    return WORDS[context["lang"]].duration(seconds)


def charts_for(summary: dict[str, Any], t: Words = WORDS["en"]) -> dict[str, Any]:
    """The page's four charts in the page's language, drawn from the summary the API gives."""
    services = [g for g in summary["by"]["service"] if g["on_time_rate"] is not None]
    rate_bars = [
        charts.Bar(
            label=t.service(g["key"]),
            value=g["on_time_rate"],
            note=f"{percent(g['on_time_rate'])} {t('of')} {g['on_time'] + g['late']}",
            tone=_tone(g["on_time_rate"]),
        )
        for g in sorted(services, key=lambda g: g["on_time_rate"])
    ]
    accepted = [g for g in summary["by"]["service"] if g["p90_accept_seconds"] is not None]
    slowest = max((g["p90_accept_seconds"] for g in accepted), default=0.0)
    speed_bars = [
        charts.Bar(
            label=t.service(g["key"]),
            value=g["p90_accept_seconds"],
            note=" / ".join(
                t.duration(g[k]) for k in ("median_accept_seconds", "p90_accept_seconds")
            ),
            tone="plain",
        )
        for g in sorted(accepted, key=lambda g: -g["p90_accept_seconds"])
    ]
    levels = summary["escalations_by_level"]
    most = max(levels.values(), default=0)
    level_bars = [
        charts.Bar(f"{t('level')} {level}", n, str(n), "warn" if level == "1" else "bad")
        for level, n in sorted(levels.items())
    ]
    bucket = summary["period"]["bucket"]
    form = "HH:mm" if bucket == "hour" else "d MMM"
    trend = [
        charts.Column(
            local(datetime.fromisoformat(c["start"]), _zone_of(c["start"]), t.language, form),
            c["on_time"],
            c["late"],
            c["waiting"],
        )
        for c in summary["trend"]
    ]
    tones = {
        tone: t(word) for tone, word in (("good", "on_time"), ("bad", "late"), ("plain", "waiting"))
    }
    return {
        "on_time_by_service": charts.bars(
            t("chart_on_time"), rate_bars, scale=1.0, empty=t("no_decided")
        ),
        "acceptance_by_service": charts.bars(
            t("chart_speed"),
            speed_bars,
            scale=slowest,
            empty=t("no_accepted"),
        ),
        "escalations": charts.bars(
            t("chart_escalations"), level_bars, scale=most, empty=t("no_escalation")
        ),
        "trend": charts.columns(
            t(f"chart_trend_{bucket}"),
            trend,
            empty=t("no_referral"),
            tones=tones,
        ),
    }


def _tone(rate: float) -> str:
    return "good" if rate >= 0.9 else "warn" if rate >= 0.7 else "bad"  # noqa: PLR2004


def percent(rate: float | None) -> str:
    """A rate as a whole percentage: 87%."""
    return _NONE if rate is None else f"{rate * 100:.0f}%"


def duration(seconds: float | None) -> str:
    """A span as people read it, in English: 45 s, 12 min, 3 h 5 min, 2 d 4 h."""
    return WORDS["en"].duration(seconds)


def left(seconds: float) -> str:
    """Time left before a deadline, or how late it is, in English."""
    return WORDS["en"].left(seconds)


def _zone_of(text: str) -> timezone:
    """The fixed offset an instant was written with: the trend's starts are in the zone."""
    moment = datetime.fromisoformat(text)
    return timezone(moment.utcoffset() or timedelta(0))
