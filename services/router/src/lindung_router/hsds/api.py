"""The directory served read-only as the HSDS 3.1 API's required endpoints, under `/hsds`.

`GET /hsds/` (what this API is), `GET /hsds/services` (paginated as the HSDS OpenAPI
document's `Page`: `total_items`, `total_pages`, `page_number`, `size`, `first_page`,
`last_page`, `empty`, `contents`), `GET /hsds/services/{id}` (one fully nested service),
and `GET /hsds/openapi.json` (the HSDS document, cut to what is served here, with this
API's own `info` where the template has placeholders). Refusals are
`{"errors": [{"field", "reason"}]}`, as everywhere in Lindung.
"""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .spec import HSDS_VERSION, openapi

if TYPE_CHECKING:
    from .catalogue import Catalogue

__all__ = ["MAX_PER_PAGE", "PER_PAGE", "PREFIX", "hsds_routes"]

PREFIX = "/hsds"
PER_PAGE = 50
MAX_PER_PAGE = 500
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no", "")


class _Refused(ValueError):
    def __init__(self, status: int, field: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.field, self.reason = status, field, reason

    def response(self) -> JSONResponse:
        body = {"errors": [{"field": self.field, "reason": self.reason}]}
        return JSONResponse(body, status_code=self.status)


def _whole(request: Request, name: str, default: int, most: int | None = None) -> int:
    text = request.query_params.get(name)
    if text is None:
        return default
    if not text.isdigit() or int(text) < 1 or (most is not None and int(text) > most):
        limit = f" and at most {most}" if most is not None else ""
        raise _Refused(400, name, f"must be a whole number of at least 1{limit}")
    return int(text)


def _flag(request: Request, name: str) -> bool:
    text = request.query_params.get(name, "").strip().lower()
    if text not in _TRUE + _FALSE:
        raise _Refused(400, name, "must be true or false")
    return text in _TRUE


def _one_to_one(record: dict[str, Any]) -> dict[str, Any]:
    """A record's own fields, without its lists (a `GET /services` item, unless `full`)."""
    flat = {k: v for k, v in record.items() if not isinstance(v, list | dict)}
    for name in ("organization", "program"):
        if isinstance(record.get(name), dict):
            flat[name] = {k: v for k, v in record[name].items() if not isinstance(v, list | dict)}
    return flat


def _matches(service: dict[str, Any], request: Request) -> bool:
    search = request.query_params.get("search", "").strip().lower()
    organization = request.query_params.get("organization_id")
    term = request.query_params.get("taxonomy_term_id")
    text = f"{service.get('name', '')} {service.get('description', '')}".lower()
    if search and search not in text:
        return False
    if organization and service.get("organization_id") != organization:
        return False
    terms = {a.get("taxonomy_term_id") for a in service.get("attributes") or ()}
    return not (term and term not in terms)


def _served_document(directory_version: str) -> dict[str, Any]:
    """The HSDS OpenAPI document for the operations served here, as this API's own."""
    document = copy.deepcopy(openapi())
    document["info"] = {
        "title": "Lindung provider directory (Open Referral HSDS 3.1)",
        "version": f"{HSDS_VERSION}+{directory_version}",
        "summary": "The providers Lindung refers children to, read-only.",
        "description": "Services of the directory the router routes by: which Lindung "
        "services each offers (taxonomy `lindung:service_type`), where, in which languages.",
        "license": {"name": "CC-BY-SA-4.0", "identifier": "CC-BY-SA-4.0"},
    }
    document["servers"] = [{"url": PREFIX}]
    document["paths"] = {
        path: {k: v for k, v in operations.items() if k in ("get", "parameters")}
        for path, operations in document["paths"].items()
        if path in ("/", "/services", "/services/{id}")
    }
    return document


def hsds_routes(catalogue: Catalogue) -> APIRouter:
    """The read-only HSDS routes over one directory."""
    routes = APIRouter(prefix=PREFIX, tags=["HSDS directory"])

    @routes.get("/", summary="What this API is and which HSDS version it follows")
    async def about(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "version": HSDS_VERSION,
                "openapi_url": str(request.url_for("hsds_openapi")),
                "directory_version": catalogue.directory.version,
            }
        )

    served = _served_document(catalogue.directory.version)

    @routes.get("/openapi.json", name="hsds_openapi", summary="The HSDS 3.1 OpenAPI document")
    async def document() -> JSONResponse:
        return JSONResponse(served)

    @routes.get("/services", summary="The directory's services, a page at a time")
    async def services(request: Request) -> JSONResponse:
        try:
            page = _whole(request, "page", 1)
            per_page = _whole(request, "per_page", PER_PAGE, MAX_PER_PAGE)
            full = _flag(request, "full")
        except _Refused as refused:
            return refused.response()
        chosen = [s for s in catalogue.services if _matches(s, request)]
        pages = math.ceil(len(chosen) / per_page)
        contents = chosen[(page - 1) * per_page : page * per_page]
        return JSONResponse(
            {
                "total_items": len(chosen),
                "total_pages": pages,
                "page_number": page,
                "size": len(contents),
                "first_page": page == 1,
                "last_page": page >= pages,
                "empty": not contents,
                "contents": contents if full else [_one_to_one(s) for s in contents],
            }
        )

    @routes.get("/services/{service_id}", summary="One service, fully nested")
    async def service(service_id: str) -> JSONResponse:
        found = catalogue.service(service_id)
        if found is None:
            return _Refused(404, "id", "no service in the directory has this id").response()
        return JSONResponse(found)

    return routes
