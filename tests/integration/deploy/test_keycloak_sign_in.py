"""Demo people sign in at the devstack's Keycloak as a browser does, and get their claims.

Each test plays the authorization code flow with PKCE over plain HTTP: the authorization
request, Keycloak's own login form read from its HTML and posted, the redirect back to a
desk on a random loopback port, the token exchange with the client secret and the code
verifier. The ID token's signature is checked against the realm's published keys.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lindung_devstack._proc import free_port

pytestmark = pytest.mark.integration

_spec = importlib.util.spec_from_file_location(
    "keycloak_browser", Path(__file__).with_name("keycloak_browser.py")
)
assert _spec is not None
assert _spec.loader is not None
keycloak_browser = importlib.util.module_from_spec(_spec)
sys.modules["keycloak_browser"] = keycloak_browser
_spec.loader.exec_module(keycloak_browser)
Browser = keycloak_browser.Browser
LoginForm = keycloak_browser.LoginForm
authorize = keycloak_browser.authorize
pkce = keycloak_browser.pkce
query_of = keycloak_browser.query_of
sign_in = keycloak_browser.sign_in


def b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verified_claims(token: str, keys: dict[str, Any]) -> dict[str, Any]:
    """The claims of an RS256 JWT whose signature one of the realm's keys verifies."""
    header, payload, signature = token.split(".")
    head = json.loads(b64decode(header))
    assert head["alg"] == "RS256"
    (jwk,) = [key for key in keys["keys"] if key["kid"] == head["kid"]]
    numbers = rsa.RSAPublicNumbers(
        int.from_bytes(b64decode(jwk["e"])), int.from_bytes(b64decode(jwk["n"]))
    )
    numbers.public_key().verify(
        b64decode(signature), f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    claims: dict[str, Any] = json.loads(b64decode(payload))
    return claims


PEOPLE = {
    "shelter-sel-1": {"lindung_role": "provider_staff", "lindung_provider": "shelter-sel-1"},
    "coordinator-sel": {"lindung_role": "coordinator", "lindung_states": "selangor kuala_lumpur"},
}


@pytest.mark.parametrize("user", PEOPLE)
def test_a_demo_person_signs_in_and_the_id_token_carries_their_role(keycloak, user):
    browser = Browser()
    redirect_uri = f"http://127.0.0.1:{free_port()}/desk/callback"
    flow = sign_in(browser, keycloak, user, keycloak.passwords[user], redirect_uri)

    answer = flow["answer"]
    assert answer.status_code == 302, answer.text[:500]
    location = answer.headers["location"]
    assert location.startswith(f"{redirect_uri}?")
    query = query_of(location)
    assert query["state"] == flow["state"]
    assert query["iss"] == keycloak.issuer

    discovery = browser.request("GET", f"{keycloak.issuer}/.well-known/openid-configuration")
    endpoints = discovery.json()
    exchange = {"grant_type": "authorization_code", "code": query["code"],
                "redirect_uri": redirect_uri, "code_verifier": flow["verifier"]}  # fmt: skip
    secret = (keycloak.client_id, keycloak.client_secret)
    tokens = httpx.post(endpoints["token_endpoint"], data=exchange, auth=secret, timeout=30)
    assert tokens.status_code == 200, tokens.text

    jwks = httpx.get(endpoints["jwks_uri"], timeout=30).json()
    claims = verified_claims(tokens.json()["id_token"], jwks)
    assert claims["iss"] == keycloak.issuer
    assert claims["aud"] == keycloak.client_id
    assert claims["nonce"] == flow["nonce"]
    assert claims["preferred_username"] == user
    lindung = {k: v for k, v in claims.items() if k.startswith("lindung_")}
    assert lindung == PEOPLE[user]
    bearer = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
    userinfo = httpx.get(endpoints["userinfo_endpoint"], headers=bearer, timeout=30).json()
    assert {k: v for k, v in userinfo.items() if k.startswith("lindung_")} == PEOPLE[user]

    # The code is spent: a second exchange is refused.
    again = httpx.post(endpoints["token_endpoint"], data=exchange, auth=secret, timeout=30)
    assert again.status_code == 400

    # Signing out at Keycloak returns to the desk on its loopback port and ends the session.
    back = f"http://127.0.0.1:{free_port()}/desk/"
    logout = browser.request(
        "GET",
        endpoints["end_session_endpoint"],
        params={"id_token_hint": tokens.json()["id_token"], "post_logout_redirect_uri": back},
    )
    assert logout.status_code == 302
    assert logout.headers["location"] == back
    page = authorize(browser, keycloak, redirect_uri, code_challenge=pkce()[1],
                     code_challenge_method="S256")  # fmt: skip
    assert page.status_code == 200
    assert LoginForm(page.text).action, "signed out, the browser is asked to sign in again"


def test_a_wrong_password_gets_the_form_again_and_no_code(keycloak):
    redirect_uri = f"http://127.0.0.1:{free_port()}/desk/callback"
    browser = Browser()
    password = keycloak.passwords["coordinator-jhr"]
    flow = sign_in(browser, keycloak, "coordinator-jhr", password + "x", redirect_uri)

    answer = flow["answer"]
    assert answer.status_code == 200
    assert "location" not in answer.headers
    assert "Invalid username or password." in answer.text
    form = LoginForm(answer.text)
    assert form.action, "the form is shown again"

    # The same form with the right password does give a code: only the password was wrong.
    fields = {**form.fields, "username": "coordinator-jhr", "password": password}
    right = browser.request("POST", form.action, data=fields)
    assert right.status_code == 302
    assert right.headers["location"].startswith(f"{redirect_uri}?")
    assert "code" in query_of(right.headers["location"])


def test_the_desk_must_send_a_pkce_challenge_and_the_matching_verifier(keycloak):
    redirect_uri = f"http://127.0.0.1:{free_port()}/desk/callback"
    without = authorize(Browser(), keycloak, redirect_uri, state="s")
    assert without.status_code == 302
    refused = query_of(without.headers["location"])
    assert refused["error"] == "invalid_request"
    assert "code" not in refused

    browser = Browser()
    flow = sign_in(browser, keycloak, "supervisor", keycloak.passwords["supervisor"], redirect_uri)
    location = flow["answer"].headers["location"]
    code = query_of(location)["code"]
    discovery = browser.request("GET", f"{keycloak.issuer}/.well-known/openid-configuration")
    exchange = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": redirect_uri, "code_verifier": pkce()[0]}  # fmt: skip
    secret = (keycloak.client_id, keycloak.client_secret)
    tokens = httpx.post(discovery.json()["token_endpoint"], data=exchange, auth=secret, timeout=30)
    assert tokens.status_code == 400
    assert tokens.json()["error"] == "invalid_grant"
