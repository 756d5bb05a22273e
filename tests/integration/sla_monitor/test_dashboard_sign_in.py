"""People sign in to the operations dashboard at the real Keycloak; machines keep their keys.

The sla-monitor runs in-process on the real PostgreSQL; the browser is an HTTP client that
signs in on Keycloak's own login form, as a person would, and follows the redirects back.
"""

from __future__ import annotations

import hashlib
import json
import re
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from lindung_common.keys import hash_key

pytestmark = pytest.mark.integration

SECRET = "dashboard-sign-in-secret-0123456789abcdef"
OPERATIONS_KEY = "ops-key-sign-in-0123456789"


@pytest.fixture
async def dashboard(start_monitor, tmp_path, people_settings):
    keys = tmp_path / "keys.json"
    entry = {"key_id": "k_ops_machine", "hmac_sha256": hash_key(OPERATIONS_KEY, SECRET.encode()),
             "kind": "operations", "id": "ops-machine"}  # fmt: skip
    keys.write_text(json.dumps({"keys": [entry]}))
    runtime = await start_monitor(api_keys_file=str(keys), key_secret=SECRET, **people_settings)
    transport = httpx.ASGITransport(app=runtime.web())
    async with httpx.AsyncClient(transport=transport, base_url="http://sla") as http:
        yield runtime, http


async def _sessions(runtime, schema):
    async with runtime.service.db.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT session_hash, person, principal_kind, ended_at"
            f" FROM {schema}.dashboard_sessions"
        )
    return [dict(r) for r in rows]


def _cookie(person, name):
    line = next(c for c in person.set_cookies if c.startswith(f"{name}="))
    return SimpleCookie(line)[name]


def _csrf(page):
    return re.search(r'name="csrf" value="([^"]+)"', page.text)[1]


async def test_an_operations_person_signs_in_and_the_cookie_holds_only_a_random_id(
    dashboard, person_at, schema
):
    runtime, http = dashboard
    person = person_at(http)

    page = await person.sign_in("operations", "/dashboard?last=7d")

    assert page.status_code == 200, page.text
    assert str(page.url).endswith("/dashboard?last=7d")
    assert "operations" in re.search(r"<form[^>]*sign-out.*?</form>", page.text, re.DOTALL)[0]
    morsel = _cookie(person, "lindung_operations")
    assert morsel["httponly"]
    assert morsel["samesite"].lower() == "lax"
    assert morsel["path"] == "/dashboard"
    assert not morsel["secure"]  # plain http on a loopback address: a developer's machine
    [row] = await _sessions(runtime, schema)
    assert (row["person"], row["principal_kind"], row["ended_at"]) == (
        "operations", "operations", None,
    )  # fmt: skip
    assert row["session_hash"] == hashlib.sha256(morsel.value.encode()).digest()
    # The sign-in's own cookie is gone, and its row taken.
    assert _cookie(person, "lindung_operations_sign_in")["max-age"] == "0"
    async with runtime.service.db.pool.acquire() as conn:
        assert await conn.fetchval(f"SELECT count(*) FROM {schema}.dashboard_sign_ins") == 0


async def test_the_cookies_are_secure_when_the_dashboard_is_not_on_loopback(
    start_monitor, people_settings, schema
):
    public = people_settings | {"dashboard_url": "https://ops.lindung.example/dashboard"}
    runtime = await start_monitor(**public)
    transport = httpx.ASGITransport(app=runtime.web())
    async with httpx.AsyncClient(
        transport=transport, base_url="https://ops.lindung.example"
    ) as http:
        begun = await http.get("/dashboard/sign-in")

    assert begun.status_code == 303
    to = urlsplit(begun.headers["location"])
    query = parse_qs(to.query)
    assert query["redirect_uri"] == ["https://ops.lindung.example/dashboard/callback"]
    assert query["code_challenge_method"] == ["S256"]
    morsel = SimpleCookie(begun.headers["set-cookie"])["lindung_operations_sign_in"]
    assert morsel["secure"]
    assert morsel["httponly"]


@pytest.mark.parametrize("user", ["shelter-sel-1", "supervisor"])
async def test_anyone_but_operations_is_refused_and_no_session_begins(
    dashboard, person_at, schema, user
):
    runtime, http = dashboard

    refused = await person_at(http).sign_in(user, "/dashboard")

    assert refused.status_code == 403
    assert "Only operations people" in refused.text
    assert "lindung_operations=" not in refused.headers.get("set-cookie", "")
    assert await _sessions(runtime, schema) == []
    assert (await http.get("/dashboard")).status_code == 303  # still to sign in


async def test_a_sign_out_without_its_csrf_token_is_refused_and_the_session_lives_on(
    dashboard, person_at, schema
):
    runtime, http = dashboard
    page = await person_at(http).sign_in("operations", "/dashboard")
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    bare = await http.post("/dashboard/sign-out", content=b"", headers=form)
    wrong = await http.post("/dashboard/sign-out", content=b"csrf=made-up", headers=form)
    other = await http.post(
        "/dashboard/sign-out",
        content=f"csrf={_csrf(page)}".encode(),
        headers=form | {"Cookie": "lindung_operations=someone-elses"},
    )

    for answer in (bare, wrong, other):
        assert answer.status_code == 403, answer.text
    [row] = await _sessions(runtime, schema)
    assert row["ended_at"] is None
    assert (await http.get("/dashboard")).status_code == 200


async def test_signing_out_ends_the_session_here_and_at_keycloak(dashboard, person_at, schema):
    runtime, http = dashboard
    person = person_at(http)
    page = await person.sign_in("operations", "/dashboard")
    secret = _cookie(person, "lindung_operations").value

    out = await http.post(
        "/dashboard/sign-out",
        content=f"csrf={_csrf(page)}".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert out.status_code == 303
    assert out.headers["location"].startswith(
        f"{person.keycloak.issuer}/protocol/openid-connect/logout?"
    )
    assert "id_token_hint=" in out.headers["location"]
    [row] = await _sessions(runtime, schema)
    assert row["ended_at"] is not None
    at_idp = await person.at_keycloak("GET", out.headers["location"])
    assert at_idp.status_code == 302
    assert at_idp.headers["location"] == "http://127.0.0.1:8083/dashboard/signed-out"
    # The old cookie, replayed, is no session; the page and the API ask again.
    replayed = {"Cookie": f"lindung_operations={secret}"}
    assert (await http.get("/dashboard", headers=replayed)).status_code == 303
    assert (await http.get("/dashboard/api/summary", headers=replayed)).status_code == 401
    # Keycloak's own session is over too: signing in asks for the password again.
    started = await http.get("/dashboard/sign-in")
    again = await person.at_keycloak("GET", started.headers["location"])
    assert again.status_code == 200
    assert 'id="kc-form-login"' in again.text


async def test_the_json_api_and_the_export_take_an_operations_key_and_a_person_s_session(
    dashboard, person_at
):
    _, http = dashboard
    bearer = {"Authorization": f"Bearer {OPERATIONS_KEY}"}

    by_key = await http.get("/dashboard/api/summary?last=24h", headers=bearer)
    export = await http.get("/dashboard/export.csv?last=24h", headers=bearer)
    nobody = await http.get("/dashboard/api/open")
    await person_at(http).sign_in("operations", "/dashboard")
    by_person = await http.get("/dashboard/api/open")

    assert by_key.status_code == 200, by_key.text
    assert "open" in by_key.json()
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert nobody.status_code == 401
    assert by_person.status_code == 200
    assert by_person.json()["total"] == 0


async def test_without_an_identity_provider_the_page_says_signing_in_is_off(start_monitor):
    runtime = await start_monitor()
    transport = httpx.ASGITransport(app=runtime.web())
    async with httpx.AsyncClient(transport=transport, base_url="http://sla") as http:
        page = await http.get("/dashboard")
        sign_in = await http.get("/dashboard/sign-in")

    assert page.status_code == 503
    assert "SLA_MONITOR_OIDC_ISSUER" in page.text
    assert sign_in.status_code == 503
