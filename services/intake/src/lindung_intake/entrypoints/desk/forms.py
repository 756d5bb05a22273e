"""The desk's cookies and forms: what a browser holds, and what a post may carry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from urllib.parse import parse_qs, urlsplit

from lindung_common.signin import loopback_http

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

__all__ = [
    "LANGUAGE_COOKIE",
    "PENDING_COOKIE",
    "SESSION_COOKIE",
    "Cookies",
    "FormRefused",
    "read_form",
    "safe_return",
]

SESSION_COOKIE: Final = "lindung_desk"
PENDING_COOKIE: Final = "lindung_desk_sign_in"
LANGUAGE_COOKIE: Final = "lindung_lang"
_MOST_FIELDS: Final = 8
_YEAR: Final = 365 * 24 * 3600


class FormRefused(Exception):
    """A post refused before anything is done: no session, or a CSRF token missing or wrong.

    Or no form of ours: not form-encoded, not UTF-8, a field repeated.
    """


@dataclass(frozen=True)
class Cookies:
    """How the desk sets cookies: its path, HttpOnly, SameSite=Lax, Secure unless loopback."""

    path: str
    secure: bool

    @classmethod
    def for_url(cls, desk_url: str) -> Cookies:
        """Secure unless the desk is plain http on a loopback address (a developer's machine)."""
        parts = urlsplit(desk_url)
        return cls(path=parts.path.rstrip("/") or "/", secure=not loopback_http(desk_url))

    def set(self, response: Response, name: str, value: str, *, max_age: int | None) -> None:
        """Set a cookie the page's scripts (there are none) could never read."""
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path=self.path,
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )

    def session(self, response: Response, secret: str) -> None:
        """The session's cookie: gone when the browser closes; the server ends it anyway."""
        self.set(response, SESSION_COOKIE, secret, max_age=None)

    def language(self, response: Response, language: str) -> None:
        """The language a person chose, remembered for a year in this browser."""
        self.set(response, LANGUAGE_COOKIE, language, max_age=_YEAR)

    def forget(self, response: Response, name: str) -> None:
        """Remove a cookie."""
        response.delete_cookie(
            name, path=self.path, secure=self.secure, httponly=True, samesite="lax"
        )


async def read_form(request: Request) -> dict[str, str]:
    """A small url-encoded form (the body guard has bounded its size) as single values."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    body = await request.body()
    if body and media != "application/x-www-form-urlencoded":
        raise FormRefused
    try:
        fields = parse_qs(body.decode("utf-8"), max_num_fields=_MOST_FIELDS, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise FormRefused from None
    if any(len(values) != 1 for values in fields.values()):
        raise FormRefused
    return {name: values[0] for name, values in fields.items()}


def safe_return(to: str | None, base: str) -> str:
    """Where to go after signing in: a page of the desk, never another site."""
    if not to or not to.startswith(base + "/") or to.startswith("//") or "\\" in to:
        return base + "/"
    return to
