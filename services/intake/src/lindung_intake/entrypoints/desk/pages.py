"""How the desk looks: its pages from the Jinja templates, with the headers every page gets."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from lindung_contracts import Outcome

from .words import DECLINE_REASONS, OUTCOME_REASONS, WORDS

if TYPE_CHECKING:
    from datetime import timedelta

    from starlette.responses import Response

__all__ = ["Pages", "flatten", "shown", "span"]

_CODE: Final = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)+")


class Pages:
    """The desk's pages; every answer carries a strict CSP and is never cached."""

    def __init__(self, *, form_targets: str, base: str) -> None:
        self._base = base
        self._pages = Environment(
            loader=PackageLoader("lindung_intake", "entrypoints/desk/templates"),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._pages.filters["span"] = span
        self._pages.filters["when"] = _when
        self._pages.filters["shown"] = shown
        # No script at all; forms post here, and sign-out is sent on to the identity provider.
        self._headers = {
            "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
            f"form-action 'self' {form_targets}; frame-ancestors 'none'; base-uri 'none'",
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
        }

    def html(self, template: str, code: int, language: str, **context: Any) -> Response:
        """A template in the person's language, as an answer with the desk's headers."""
        words = WORDS.get(language, WORDS["en"])
        context.setdefault("base", self._base)
        page = self._pages.get_template(template).render(
            t=words,
            lang=words.language,
            reasons=DECLINE_REASONS,
            outcomes=tuple(Outcome),
            outcome_reasons=OUTCOME_REASONS,
            **context,
        )
        return HTMLResponse(page, status_code=code, headers=self._headers)

    def message(self, code: int, language: str, title: str, text: str, **context: Any) -> Response:
        """A page that only says something (not found, refused, signed out, coming)."""
        return self.html("message.html", code, language, title=title, text=text, **context)

    def go(self, to: str) -> Response:
        """Send the browser on (303: a GET, whatever the request was)."""
        return RedirectResponse(to, status_code=303, headers=self._headers)


def span(left: timedelta) -> str:
    """A stretch of time as a person reads it: `2 d 3 h`, `3 h 20 min`, `45 min`, `30 s`."""
    seconds = abs(int(left.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def _when(moment: datetime | str) -> str:
    if isinstance(moment, str):  # an instant kept in an alert's detail
        moment = datetime.fromisoformat(moment)
    return moment.strftime("%d %b %Y %H:%M UTC")


def flatten(shared: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """What a referral shares, as (field path, value) rows; nested details one level down."""
    found: list[tuple[str, Any]] = []
    for key, value in shared.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and path.count(".") < 1:
            found += flatten(value, f"{path}.")
        else:
            found.append((path, value))
    return found


def shown(value: Any, language: str) -> str:
    """A shared value as text: yes or no, lists joined, details as `key: value`."""
    words = WORDS.get(language, WORDS["en"])
    if isinstance(value, bool):
        return words("yes") if value else words("no")
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')}: {shown(v, language)}" for k, v in value.items())
    if isinstance(value, list | tuple) and value:
        return ", ".join(shown(v, language) for v in value)
    if value is None or isinstance(value, list | tuple):  # an empty list
        return "\N{EN DASH}"
    if isinstance(value, str) and _CODE.fullmatch(value):
        return value.replace("_", " ")  # a code (`police_lockup`), read as words
    return str(value)
