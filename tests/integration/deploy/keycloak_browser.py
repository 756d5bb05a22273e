"""A browser's side of Keycloak's sign-in, over plain HTTP: its login form, cookies, PKCE.

Shared by the tests of the devstack's Keycloak (loaded by path: test directories are not
packages).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import urllib.parse
from html.parser import HTMLParser
from typing import Any

import httpx


class LoginForm(HTMLParser):
    """The `action` and hidden fields of Keycloak's login form, read from its page."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form" and values.get("id") == "kc-form-login":
            self.action = values["action"]
        elif tag == "input" and values.get("type") == "hidden" and values.get("name"):
            self.fields[values["name"]] = values.get("value", "")


class Browser:
    """An HTTP client that keeps cookies as a browser does on a loopback origin.

    Keycloak marks its cookies `Secure`; browsers send those to http://127.0.0.1 (a
    potentially trustworthy origin), Python's cookie jar does not. Redirects are not
    followed, so each one can be looked at.
    """

    def __init__(self) -> None:
        self.http = httpx.Client(follow_redirects=False, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, url: str, **options: Any) -> httpx.Response:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        headers = {**options.pop("headers", {}), **({"Cookie": cookie} if cookie else {})}
        response = self.http.request(method, url, headers=headers, **options)
        for line in response.headers.get_list("set-cookie"):
            name, value = line.split(";", 1)[0].split("=", 1)
            if "max-age=0" in line.lower() or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response


def pkce() -> tuple[str, str]:
    """A code verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def query_of(location: str) -> dict[str, str]:
    """The query parameters of a redirect's location."""
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def authorize(browser: Browser, keycloak: Any, redirect_uri: str, **extra: str) -> httpx.Response:
    """The browser's authorization request, as the desk would send it."""
    discovery = browser.request("GET", f"{keycloak.issuer}/.well-known/openid-configuration")
    params = {
        "client_id": keycloak.client_id,
        "response_type": "code",
        "scope": "openid",
        "redirect_uri": redirect_uri,
        **extra,
    }
    return browser.request("GET", discovery.json()["authorization_endpoint"], params=params)


def sign_in(browser: Browser, keycloak: Any, user: str, password: str, redirect_uri: str) -> dict:
    """Authorization request with PKCE, the login form posted: what the redirect carries."""
    verifier, challenge = pkce()
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    page = authorize(browser, keycloak, redirect_uri, state=state, nonce=nonce,
                     code_challenge=challenge, code_challenge_method="S256")  # fmt: skip
    assert page.status_code == 200, page.text[:500]
    form = LoginForm(page.text)
    assert form.action.startswith(keycloak.issuer), "no login form on Keycloak's page"
    answer = browser.request(
        "POST", form.action, data={**form.fields, "username": user, "password": password}
    )
    return {"answer": answer, "verifier": verifier, "state": state, "nonce": nonce}
