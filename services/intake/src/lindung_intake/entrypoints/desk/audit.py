"""The read audit for operations people: who read which referral or case, when, which fields.

The same rows `GET /v1/audit` gives an operations key, newest first, a page at a time; a
read refused (another's referral, an unknown id) shows as refused. Anyone who is not
operations gets the page every unknown address gets.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from typing import Annotated, Final

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from lindung_intake.domain import PrincipalKind

from .session import desk_of, signed_in
from .words import WORDS

__all__ = ["AUDIT_WORDS", "PER_PAGE", "routes"]

routes = APIRouter()
PER_PAGE: Final = 50
_MOST_PAGES: Final = 10_000

AUDIT_WORDS: Final[dict[str, tuple[str, str]]] = {  # key: (English, Malay)
    "audit": ("Read audit", "Audit bacaan"),
    "audit_lead": (
        (
            "Every read of a referral, a case or its notes, newest first: who read, as what, "
            "which fields were shown, or that the read was refused."
        ),
        (
            "Setiap bacaan rujukan, kes atau nota, yang terbaru dahulu: siapa membaca, sebagai "
            "apa, medan yang dipaparkan, atau bahawa bacaan itu ditolak."
        ),
    ),
    "audit_empty": ("Nothing has been read here.", "Tiada apa yang dibaca di sini."),
    "audit_when": ("When", "Bila"),
    "audit_who": ("Who", "Siapa"),
    "audit_as": ("as", "sebagai"),
    "audit_key": ("API key", "kunci API"),
    "audit_what": ("What", "Apa"),
    "audit_fields": ("Fields", "Medan"),
    "audit_none": ("none", "tiada"),
    "audit_result": ("Result", "Keputusan"),
    "audit_shown": ("Shown", "Dipaparkan"),
    "audit_refused": ("Refused", "Ditolak"),
    "audit_page": ("Page", "Halaman"),
    "audit_newer": ("Newer reads", "Bacaan lebih baharu"),
    "audit_older": ("Older reads", "Bacaan lebih lama"),
    "audit_pages": ("Pages of the read audit", "Halaman audit bacaan"),
    "kind_agency": ("agency", "agensi"),
    "kind_provider": ("provider", "penyedia"),
    "kind_coordinator": ("coordinator", "penyelaras"),
    "kind_operations": ("operations", "operasi"),
    "resource_referral": ("referral", "rujukan"),
    "resource_case": ("case", "kes"),
    "resource_notes": ("notes of a referral", "nota rujukan"),
}


def _words(language: str) -> "dict[str, str]":
    index = 1 if language == "ms" else 0
    return {key: pair[index] for key, pair in AUDIT_WORDS.items()}


@routes.get("/audit")
async def audit(
    request: Request, page: Annotated[int, Query(ge=1, le=_MOST_PAGES)] = 1
) -> Response:
    """One page of the read audit, for operations people only."""
    session = await signed_in(request)
    desk = desk_of(request)
    if session is None:
        return desk.pages.go(f"{desk.base}/sign-in?next={desk.base}/audit")
    t = WORDS[session.language]
    if session.principal.kind is not PrincipalKind.OPERATIONS:
        return desk.pages.message(
            404, session.language, t("not_found_title"), t("not_found"),
            session=session, here=request.url.path,
        )  # fmt: skip
    found = await desk.intake.cases.read_audit(
        resource=None, reader=None, since=None, limit=PER_PAGE + 1,
        offset=(page - 1) * PER_PAGE,
    )  # fmt: skip
    here = f"{desk.base}/audit" + (f"?page={page}" if page > 1 else "")
    return desk.pages.html(
        "audit.html", 200, session.language, session=session, here=here,
        a=_words(session.language), reads=found[:PER_PAGE], page=page,
        newer=page - 1 if page > 1 else None, older=page + 1 if len(found) > PER_PAGE else None,
    )  # fmt: skip
