"""The desk as an app of its own, served by intake under `/desk`, and the door to it.

Intake's API reads only strict JSON; the desk reads only small url-encoded forms. So
`DeskDoor`, just inside the API's rate limit, hands `/desk` requests to the desk, which
has its own body guard (forms only, a few kilobytes) and answers every failure as a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from lindung_common import BodyGuard
from lindung_common.signin import SignInFailed, pick_language
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Mount, Router

from .forms import LANGUAGE_COOKIE, Cookies, FormRefused
from .pages import Pages
from .words import WORDS

if TYPE_CHECKING:
    from starlette.responses import Response

    from lindung_intake.use_cases import Intake
    from lindung_intake.use_cases.desk import DeskSession, DeskSessions

__all__ = ["PREFIX", "Desk", "DeskDoor", "create_desk"]

log = structlog.get_logger(__name__)

PREFIX: Final = "/desk"
FORM_BYTES: Final = 16_384  # a decline note of 1,000 characters, url-encoded, fits


def _is_form(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Desk:
    """What the desk's routes use: the use cases, the sessions, the pages, the cookies."""

    intake: Intake
    sessions: DeskSessions
    pages: Pages
    cookies: Cookies
    base: str  # the desk's path, e.g. `/desk`
    public_url: str  # the desk's public address, e.g. `https://lindung.example/desk`

    def language(self, request: Request, session: DeskSession | None = None) -> str:
        """The page's language: the session's, the cookie's, or the browser's."""
        return pick_language(
            chosen=session.language if session else None,
            cookie=request.cookies.get(LANGUAGE_COOKIE),
            accept=request.headers.get("accept-language"),
        )


def create_desk(intake: Intake, sessions: DeskSessions, *, desk_url: str) -> FastAPI:
    """The desk's app: sign-in, the provider's inbox and referral pages."""
    from . import audit, capacity, coordinating, milestones, referrals, sign_in  # noqa: PLC0415 - routes need `Desk` first

    issuer = urlsplit(sessions.idp.issuer)
    base = urlsplit(desk_url).path.rstrip("/") or PREFIX
    desk = Desk(
        intake=intake,
        sessions=sessions,
        pages=Pages(form_targets=f"{issuer.scheme}://{issuer.netloc}", base=base),
        cookies=Cookies.for_url(desk_url),
        base=base,
        public_url=desk_url.rstrip("/"),
    )
    app = FastAPI(title="Lindung desk", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.desk = desk
    app.include_router(sign_in.routes)
    app.include_router(coordinating.routes)  # before the provider's `/referrals/{id}/{act}`
    app.include_router(milestones.routes)
    app.include_router(referrals.routes)
    app.include_router(audit.routes)
    app.include_router(capacity.routes)
    static = Path(__file__).parent / "static"
    app.mount("/static", StaticFiles(directory=static), name="static")

    def page(request: Request, status: int, key: str) -> Response:
        language = desk.language(request)
        t = WORDS[language]
        return desk.pages.message(status, language, t(f"{key}_title"), t(key))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, _: RequestValidationError) -> Response:
        # A malformed referral id names nothing: the same page as an unknown one.
        return page(request, 404, "not_found")

    @app.exception_handler(FormRefused)  # a CSRF token missing or wrong, too
    async def _not_a_form(request: Request, _: FormRefused) -> Response:
        return page(request, 403, "forbidden")

    @app.exception_handler(SignInFailed)
    async def _idp_unreachable(request: Request, exc: SignInFailed) -> Response:
        log.warning("desk sign-in cannot begin", reason=str(exc))
        return page(request, 503, "error")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # Never the exception's text: it may hold what a person typed.
        log.error("desk page failed", error=type(exc).__name__, path=request.url.path)
        return page(request, 500, "error")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:  # noqa: PLR2004
            return page(request, 404, "not_found")
        return page(request, exc.status_code, "error")

    app.add_middleware(
        BodyGuard, max_bytes=FORM_BYTES, accepts=_is_form, expected="a form of this page"
    )
    return app


class DeskDoor:
    """Hands requests under `/desk` to the desk; everything else goes on to the API."""

    def __init__(self, app: Any, *, desk: FastAPI) -> None:
        self.app = app
        self._desk = Router(routes=[Mount(PREFIX, app=desk)])

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Route by path: the desk's pages, or the API behind its JSON guards."""
        path: str = scope.get("path", "")
        if scope["type"] == "http" and (path == PREFIX or path.startswith(PREFIX + "/")):
            await self._desk(scope, receive, send)
            return
        await self.app(scope, receive, send)
