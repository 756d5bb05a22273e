"""The HTTP door: too large (413), not JSON (415), not parseable (400), too often (429).

Every refusal in the one documented shape, `{"errors": [{"field", "reason"}]}`.
"""

from __future__ import annotations

import json

import httpx
import pytest
from lindung_intake.entrypoints.http import create_api

pytestmark = pytest.mark.integration


def _problem(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert set(body) == {"errors"}, body
    (error,) = body["errors"]
    assert set(error) == {"field", "reason"}, error
    return response.status_code, error["field"]


async def test_malformed_json_is_400_naming_the_body_without_echoing_it(client, callers, outbox):
    response = await client.post(
        "/v1/identifications",
        content=b'{"child": "Siti Aminah", ',
        headers=callers.agency | {"Content-Type": "application/json"},
    )

    assert _problem(response) == (400, "body")
    assert "Siti" not in response.text
    assert await outbox() == []


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
async def test_a_body_that_is_not_json_is_415(client, callers, identification, content_type):
    response = await client.post(
        "/v1/identifications",
        content=b'{"agency_reference": "X"}',
        headers=callers.agency | {"Content-Type": content_type},
    )

    assert _problem(response) == (415, "body")


async def test_json_with_a_charset_or_a_json_suffix_is_accepted(client, callers, identification):
    body = json.dumps(identification()).encode()
    for content_type in ("application/json; charset=utf-8", "application/cloudevents+json"):
        response = await client.post(
            "/v1/identifications",
            content=body,
            headers=callers.agency | {"Content-Type": content_type},
        )
        assert response.status_code in {200, 202}, (content_type, response.text)


async def test_a_body_over_the_limit_is_413(client, callers, wired):
    limit = wired.settings.max_body_bytes
    response = await client.post(
        "/v1/identifications",
        content=b" " * (limit + 1),
        headers=callers.agency | {"Content-Type": "application/json"},
    )

    assert _problem(response) == (413, "body")


async def test_a_chunked_body_is_cut_off_at_the_limit(client, callers, wired):
    chunk = b" " * (64 * 1024)
    chunks_over_the_limit = wired.settings.max_body_bytes // len(chunk) + 2

    async def chunks():
        for _ in range(chunks_over_the_limit):
            yield chunk

    response = await client.post(
        "/v1/identifications",
        content=chunks(),  # no Content-Length: the guard counts what it reads
        headers=callers.agency | {"Content-Type": "application/json"},
    )

    assert _problem(response) == (413, "body")


async def test_unknown_paths_and_methods_answer_in_the_one_shape(client, callers):
    missing = await client.get("/v1/nothing-here", headers=callers.agency)
    wrong = await client.get("/v1/identifications", headers=callers.agency)

    assert _problem(missing) == (404, "path")
    assert _problem(wrong) == (405, "path")


async def test_a_key_over_its_rate_gets_429_with_retry_after_and_others_go_on(
    wired, callers, identification
):
    api = create_api(wired.intake, rate_limit_per_minute=3)
    transport = httpx.ASGITransport(app=api)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        codes = []
        for n in range(4):
            body = identification(agency_reference=f"RATE-{n}")
            response = await http.post("/v1/identifications", json=body, headers=callers.agency)
            codes.append(response.status_code)
        other = await http.post(
            "/v1/identifications",
            json=identification(agency_reference="RATE-OTHER"),
            headers=callers.other_agency,
        )

    assert codes == [202, 202, 202, 429]
    assert _problem(response) == (429, "authorization")
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert other.status_code == 202
