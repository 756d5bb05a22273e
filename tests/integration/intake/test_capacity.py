"""A provider's system sets its free places: kept, published for the router, refused if wrong."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lindung_contracts import (
    PROVIDER_RESPONSES,
    CapacityReported,
    CapacityUnit,
    ServiceType,
)

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # the clock fixture's time
URL = "/v1/providers/shelter-kl-1/capacity/safe_shelter"


async def reports(outbox) -> list[tuple[bytes, CapacityReported]]:
    return [
        (bytes(r["key"]), r["event"].data)
        for r in await outbox()
        if r["topic"] == PROVIDER_RESPONSES.name and isinstance(r["event"].data, CapacityReported)
    ]


async def stored(wired) -> list[dict]:
    async with wired.runtime.service.db.pool.acquire() as conn:
        rows = await conn.fetch("SELECT * FROM capacity_reports ORDER BY at")
    return [dict(row) for row in rows]


async def test_a_provider_sets_its_free_beds_and_the_router_hears_of_it(
    client, callers, outbox, wired
):
    response = await client.put(
        URL, json={"unit": "beds", "available": 2, "maximum": 12}, headers=callers.provider
    )

    assert response.status_code == 202, response.text
    ((key, report),) = await reports(outbox)
    assert str(report.report_id) == response.json()["report_id"]
    assert key == b"shelter-kl-1"  # one provider's reports in order
    assert (report.provider_id, report.service, report.unit) == (
        "shelter-kl-1",
        ServiceType.SAFE_SHELTER,
        CapacityUnit.BEDS,
    )
    assert (report.available, report.maximum, report.at) == (2, 12, NOW)
    assert report.reported_by == "k_shelter-kl-1"  # the key's id, never a name
    (row,) = await stored(wired)
    assert (row["report_id"], row["available"], row["maximum"]) == (report.report_id, 2, 12)


async def test_full_without_a_maximum(client, callers, outbox):
    response = await client.put(
        "/v1/providers/shelter-kl-1/capacity/health",
        json={"unit": "appointments", "available": 0},
        headers=callers.provider,
    )

    assert response.status_code == 202, response.text
    ((_, report),) = await reports(outbox)
    assert (report.service, report.available, report.maximum) == (ServiceType.HEALTH, 0, None)


@pytest.mark.parametrize(
    ("url", "body", "field", "reason"),
    [
        (URL, {"unit": "beds", "available": 5, "maximum": 4}, "available", "more than maximum"),
        (URL, {"unit": "beds", "available": -1}, "available", "greater than or equal to 0"),
        (URL, {"unit": "beds", "available": 3, "maximum": -2}, "maximum", "greater than or"),
        (URL, {"unit": "rooms", "available": 3}, "unit", "beds"),
        (URL, {"available": 3}, "unit", "required"),
        (URL, {"unit": "beds"}, "available", "required"),
        (URL, {"unit": "beds", "available": "two"}, "available", "integer"),
        # An unknown field is named by place, never by what was sent.
        (URL, {"unit": "beds", "available": 1, "child": "x"}, "<key>", "not permitted"),
        (URL, {"unit": "beds", "available": 10**9}, "available", "less than or equal"),
        (
            "/v1/providers/shelter-kl-1/capacity/spa",
            {"unit": "beds", "available": 1},
            "service",
            "safe_shelter",
        ),
    ],
)
async def test_bad_input_gets_422_with_the_field_and_why(
    client, callers, outbox, wired, url, body, field, reason
):
    response = await client.put(url, json=body, headers=callers.provider)

    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field], errors
    assert reason in errors[0]["reason"]
    assert await reports(outbox) == []
    assert await stored(wired) == []


@pytest.mark.parametrize(
    ("caller", "url"),
    [
        ("other_provider", URL),  # another provider's key
        ("agency", URL),
        ("coordinator", URL),
        ("provider", "/v1/providers/shelter-kl-2/capacity/safe_shelter"),
    ],
)
async def test_only_the_provider_itself_sets_its_figure(client, callers, outbox, caller, url):
    response = await client.put(
        url, json={"unit": "beds", "available": 1}, headers=getattr(callers, caller)
    )

    assert response.status_code == 403, response.text
    assert response.json()["errors"][0]["field"] in {"authorization", "provider_id"}
    assert await reports(outbox) == []


async def test_without_a_key_nothing_is_set(client, outbox):
    response = await client.put(URL, json={"unit": "beds", "available": 1})

    assert response.status_code == 401
    assert await reports(outbox) == []
