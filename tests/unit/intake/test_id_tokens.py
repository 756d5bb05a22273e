"""The desk's ID token checks, against an identity provider played by a local key pair."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from lindung_common.signin import IdentityProvider, SignInFailed

ISSUER = "http://idp.test/realms/lindung"
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})
OTHER = RSAKey.generate_key(2048, parameters={"kid": "k1"})
META = {
    "issuer": ISSUER,
    "authorization_endpoint": f"{ISSUER}/auth",
    "token_endpoint": f"{ISSUER}/token",
    "jwks_uri": f"{ISSUER}/certs",
    "end_session_endpoint": f"{ISSUER}/logout",
}


def _published(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/openid-configuration"):
        return httpx.Response(200, json=META)
    if request.url.path.endswith("/certs"):
        return httpx.Response(200, json=KeySet([KEY]).as_dict(private=False))
    return httpx.Response(404)


def _idp() -> IdentityProvider:
    client = httpx.AsyncClient(transport=httpx.MockTransport(_published))
    return IdentityProvider(ISSUER, client_id="lindung-desk", client_secret="s", http=client)


def _token(key: RSAKey = KEY, **changes: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": "lindung-desk", "sub": "u1", "iat": now, "exp": now + 300,
              "nonce": "n-1", "preferred_username": "shelter-sel-1"}  # fmt: skip
    claims.update(changes)
    return jwt.encode({"alg": "RS256", "kid": "k1"}, {k: v for k, v in claims.items() if v}, key)


def test_a_good_id_token_gives_its_claims() -> None:
    claims = asyncio.run(_idp().verify(_token(), nonce="n-1"))
    assert claims["preferred_username"] == "shelter-sel-1"


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(_token(nonce="n-2"), id="nonce"),
        pytest.param(_token(nonce=None), id="no nonce"),
        pytest.param(_token(aud="another-client"), id="audience"),
        pytest.param(_token(iss="http://idp.test/realms/other"), id="issuer"),
        pytest.param(_token(exp=int(time.time()) - 120), id="expired"),
        pytest.param(_token(OTHER), id="signed with another key"),
    ],
)
def test_an_id_token_that_does_not_hold_is_refused(token: str) -> None:
    with pytest.raises(SignInFailed):
        asyncio.run(_idp().verify(token, nonce="n-1"))


def test_the_authorization_request_carries_pkce_state_and_nonce() -> None:
    url = httpx.URL(
        asyncio.run(
            _idp().authorization_url(
                redirect_uri="http://127.0.0.1/desk/callback", state="st", nonce="no",
                verifier="v" * 43, language="ms",
            )
        )
    )  # fmt: skip
    params = dict(url.params)
    assert params["code_challenge_method"] == "S256"
    assert params["code_challenge"]
    assert params["code_challenge"] != "v" * 43
    assert (params["state"], params["nonce"], params["ui_locales"]) == ("st", "no", "ms")
    assert params["response_type"] == "code"
