"""The HSDS routes over a directory: filters, pages and refusals (no broker, no database)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from lindung_router.hsds import Catalogue
from lindung_router.hsds.api import hsds_routes
from lindung_router.hsds.spec import response_validator

OTHER_TOOL = json.loads(
    (Path(__file__).parents[2] / "integration" / "router" / "hsds" / "other_tool.json").read_text()
)
ORGANIZATION = OTHER_TOOL[0]["organization"]["id"]
HEALTH_TERM = "7c000000-0000-4000-8000-000000000003"


async def get(**params: str) -> httpx.Response:
    app = FastAPI()
    app.include_router(hsds_routes(Catalogue.of(OTHER_TOOL)))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://router") as http:
        return await http.get("/hsds/services", params=params)


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"search": "SHELTER for children"}, ["Rumah Selamat Sungai Sarawak"]),
        ({"taxonomy_term_id": HEALTH_TERM}, ["Klinik Kanak-Kanak Kuching"]),
        ({"organization_id": ORGANIZATION, "per_page": "1", "page": "4"},
         ["Kelas Jahitan Komuniti"]),
        ({"search": "nothing like it"}, []),
    ],
)  # fmt: skip
async def test_services_are_filtered_as_asked(params, names):
    response = await get(**params)
    assert response.status_code == 200
    body = response.json()
    assert [s["name"] for s in body["contents"]] == names
    assert body["empty"] is (not names)
    assert not list(response_validator("/services").iter_errors(body))


async def test_a_page_past_the_last_is_empty_not_an_error():
    body = (await get(page="9")).json()
    assert body["contents"] == []
    assert (body["total_items"], body["total_pages"], body["page_number"]) == (5, 1, 9)
    assert body["empty"] is True
    assert body["last_page"] is True


@pytest.mark.parametrize(
    ("params", "field"),
    [({"full": "maybe"}, "full"), ({"page": "-1"}, "page"), ({"per_page": "x"}, "per_page")],
)
async def test_a_bad_parameter_is_refused_in_the_one_error_shape(params, field):
    response = await get(**params)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == field
    assert error["reason"]
