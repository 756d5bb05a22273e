"""The HTTP door: too large (413), not JSON (415), not parseable (400), beyond the JSON
limits (422), too often (429), every request counted.

Every refusal in the one documented shape, `{"errors": [{"field", "reason"}]}`.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import httpx
import pytest
from lindung_common import guard_bodies
from lindung_contracts import MOST_ERRORS
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


JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b"[" * 1001 + b"]" * 1001, 422, "nested deeper than 32"),
        (b'{"agency_reference": "Siti \xff Aminah"}', 400, "not valid UTF-8"),
        (b'{"child": {"age_years": ' + b"1" * 5000 + b"}}", 422, "a number is longer"),
        (b'{"agency_reference": "A-1", "agency_reference": "Siti"}', 422, "appears more than once"),
        (b'{"child": {"age_years": NaN}}', 400, "not valid JSON"),
    ],
    ids=["1001-deep", "not-utf-8", "5000-digits", "duplicate-key", "nan"],
)
async def test_what_the_parser_refuses_is_named_as_the_body(
    client, callers, outbox, body, status, says
):
    response = await client.post("/v1/identifications", content=body, headers=callers.agency | JSON)

    assert _problem(response) == (status, "body")
    assert says in response.json()["errors"][0]["reason"]
    assert "Siti" not in response.text
    assert await outbox() == []


async def test_50000_keys_get_a_short_422_while_other_requests_stay_fast(
    client, callers, identification, outbox
):
    crowded = identification()
    crowded["child"] |= {f"AyeAye{n}": 1 for n in range(50_000)}
    crowded_body = json.dumps(crowded).encode()
    assert 700_000 < len(crowded_body) < 1_048_576

    async def crowded_post() -> httpx.Response:
        return await client.post(
            "/v1/identifications", content=crowded_body, headers=callers.agency | JSON
        )

    async def timed(request) -> tuple[float, httpx.Response]:
        started = time.perf_counter()
        response = await request
        return time.perf_counter() - started, response

    others = [timed(client.get("/health/live")) for _ in range(10)] + [
        timed(client.post("/v1/identifications", json=identification(), headers=callers.agency))
        for _ in range(5)
    ]
    results = await asyncio.gather(*[crowded_post() for _ in range(4)], *others)
    refused, answered = results[:4], results[4:]

    for response in refused:
        assert _problem(response) == (422, "body")
        assert len(response.content) < 64 * 1024
        assert "AyeAye" not in response.text
    assert [r.status_code for _, r in answered] == [200] * 10 + [202] * 5
    # Each took 1.3 to 2.4 s of the event loop before: nothing waits seconds now.
    assert max(seconds for seconds, _ in answered) < 1.0
    assert len(await outbox()) == 5


async def test_thousands_of_bad_fields_list_a_few_dozen_and_count_the_rest(
    client, callers, identification
):
    body = identification()
    body["child"] |= {f"MMR17C{n:05d}": n for n in range(250)}
    body["situation"] |= {f"AyeAyeMon{n}": n for n in range(250)}

    response = await client.post("/v1/identifications", json=body, headers=callers.agency)

    errors = response.json()["errors"]
    assert response.status_code == 422
    assert len(errors) == MOST_ERRORS + 1
    assert {e["field"] for e in errors[:-1]} <= {"child.<key>", "situation.<key>"}
    assert errors[-1] == {"field": "body", "reason": f"{500 - MOST_ERRORS} more errors not listed"}
    assert "MMR17C" not in response.text
    assert "AyeAyeMon" not in response.text


async def test_every_request_counts_against_the_rate_refused_ones_too(
    wired, callers, identification
):
    api = create_api(wired.intake, rate_limit_per_minute=8)
    api.include_router(wired.runtime.health.router())
    transport = httpx.ASGITransport(app=api)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        agency = callers.agency
        refused = [
            # 413: over the size limit, from its Content-Length.
            await http.post("/v1/identifications", content=b" " * 1_048_577, headers=agency | JSON),
            # 415: not JSON.
            await http.post("/v1/identifications", content=b"x=1", headers=agency),
            # 400: not parseable; 422: beyond the limits; 422: not an identification.
            await http.post("/v1/identifications", content=b"{", headers=agency | JSON),
            await http.post("/v1/identifications", content=b'{"a":1,"a":2}', headers=agency | JSON),
            await http.post("/v1/identifications", json={"child": {}}, headers=agency),
            # 403: an agency may not read a referral; 404: no such path.
            await http.get(f"/v1/referrals/{uuid.uuid4()}", headers=agency),
            await http.get("/v1/nothing-here", headers=agency),
        ]
        last_allowed = await http.post("/v1/identifications", json=identification(), headers=agency)
        over = await http.post("/v1/identifications", json=identification(), headers=agency)
        other_key = await http.post(
            "/v1/identifications", json=identification(), headers=callers.other_agency
        )

        # Without a known key, the client's address is counted: here every caller's.
        unknown = {"Authorization": "Bearer not-a-key"}
        strangers = [await http.get(f"/v1/cases/{uuid.uuid4()}", headers=unknown) for _ in range(4)]
        strangers += [await http.post("/v1/identifications", json={}) for _ in range(4)]
        stranger_over = await http.post("/v1/identifications", json={}, headers=unknown)
        health = await http.get("/health/live")
        keyed = await http.get(f"/v1/cases/{uuid.uuid4()}", headers=callers.coordinator)

    assert [r.status_code for r in refused] == [413, 415, 400, 422, 422, 403, 404]
    assert last_allowed.status_code == 202
    assert _problem(over) == (429, "authorization")
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    assert other_key.status_code == 202
    assert [r.status_code for r in strangers] == [401] * 8
    assert _problem(stranger_over) == (429, "authorization")
    # The platform's probes are not counted; a key of its own is counted apart.
    assert health.status_code == 200
    assert keyed.status_code == 404


async def test_the_body_guard_is_placed_once(wired):
    api = create_api(wired.intake)
    guard_bodies(api, 1024)  # as every service's web app gets it

    guards = [m for m in api.user_middleware if m.cls.__name__ == "BodyGuard"]
    assert [g.kwargs["max_bytes"] for g in guards] == [1_048_576]
