"""How the desk looks: its pages from the Jinja templates, with the headers every page gets."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from lindung_common.signin import span as say_span
from lindung_contracts import Outcome

from .values import LANGUAGE_FIELDS, code_words, language_name, short_reference, when
from .words import DECLINE_REASONS, OUTCOME_REASONS, WORDS

if TYPE_CHECKING:
    from datetime import timedelta

    from jinja2.runtime import Context
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
        self._pages.filters["span"] = _span
        self._pages.filters["when"] = _when
        self._pages.filters["shown"] = shown
        self._pages.filters["ref"] = short_reference
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


def span(left: timedelta, language: str = "en") -> str:
    """A stretch of time as a person reads it: `2 d 3 h`, `3 h 20 min`; `3 jam 20 minit`."""
    return say_span(left.total_seconds(), language)


def _instant(text: str) -> datetime | None:
    """An ISO 8601 instant with its offset, as the identification stores one; else None."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


@pass_context
def _span(context: Context, left: timedelta) -> str:
    return span(left, context["lang"])


@pass_context
def _when(context: Context, moment: datetime | str) -> str:
    if isinstance(moment, str):  # an instant kept in an alert's detail
        moment = datetime.fromisoformat(moment)
    return when(moment, context["lang"])


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


def shown(value: Any, language: str, path: str = "") -> str:
    """A shared value as text: codes and languages named, yes or no, lists joined."""
    words = WORDS.get(language, WORDS["en"])
    if isinstance(value, bool):
        return words("yes") if value else words("no")
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')}: {shown(v, language)}" for k, v in value.items())
    if isinstance(value, list | tuple) and value:
        return ", ".join(shown(v, language, path) for v in value)
    if value is None or isinstance(value, list | tuple):  # an empty list
        return "\N{EN DASH}"
    if isinstance(value, str):
        return _text(value, language, path)
    return str(value)


def _text(value: str, language: str, path: str) -> str:
    """A text value: an instant in Malaysia's time, a language or a code named, else itself."""
    if path.endswith("_at") and (moment := _instant(value)):
        return when(moment, language)
    if path in LANGUAGE_FIELDS:
        return language_name(value, language)
    named = code_words(path, value, language)
    if named is None and _CODE.fullmatch(value):
        named = value.replace("_", " ")  # a code with no words yet, read as words
    return named or value
