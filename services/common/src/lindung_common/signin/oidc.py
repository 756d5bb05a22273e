"""The identity provider, through OpenID Connect: authorization code with PKCE (S256).

Discovery from the issuer's `/.well-known/openid-configuration`; the code is exchanged at
the token endpoint with the client's secret (HTTP Basic) and the PKCE verifier; the ID
token's signature is checked against the provider's published keys (joserfc), then its
issuer, audience, authorized party, expiry and nonce (Authlib's `CodeIDToken` rules).
Keys are fetched again once when a token names a key not seen yet (the provider rotated).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlencode

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["IdentityProvider", "SignInFailed", "Tokens"]

_ALGORITHMS: Final = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA")
_LEEWAY_SECONDS: Final = 60  # clocks of the two hosts may differ a little


class SignInFailed(Exception):
    """The identity provider's answer cannot be trusted or used; the reason has no secret."""


@dataclass(frozen=True)
class Tokens:
    """What a finished sign-in yields: the ID token as sent, and its verified claims."""

    id_token: str
    claims: Mapping[str, Any]


class IdentityProvider:
    """One OpenID Connect provider and this client's registration at it."""

    def __init__(
        self,
        issuer: str,
        *,
        client_id: str,
        client_secret: str,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._http = http or httpx.AsyncClient(timeout=10.0, follow_redirects=False)
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    async def close(self) -> None:
        """Close the HTTP client."""
        await self._http.aclose()

    async def metadata(self) -> dict[str, Any]:
        """The provider's discovery document, fetched once; its issuer must be the one set."""
        if self._metadata is None:
            found = await self._get_json(f"{self.issuer}/.well-known/openid-configuration")
            if str(found.get("issuer", "")).rstrip("/") != self.issuer:
                raise SignInFailed("the discovery document names another issuer")
            for needed in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(found.get(needed), str):
                    raise SignInFailed(f"the discovery document has no {needed}")
            self._metadata = found
        return self._metadata

    async def authorization_url(
        self, *, redirect_uri: str, state: str, nonce: str, verifier: str, language: str
    ) -> str:
        """Where to send the browser to sign in (PKCE S256, state, nonce)."""
        meta = await self.metadata()
        query = {
            "response_type": "code",
            "client_id": self._client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid profile",
            "state": state,
            "nonce": nonce,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
            "ui_locales": language,
        }
        return f"{meta['authorization_endpoint']}?{urlencode(query)}"

    async def finish(
        self, *, code: str, redirect_uri: str, verifier: str, nonce: str, now: float | None = None
    ) -> Tokens:
        """Exchange the code for tokens and verify the ID token; `SignInFailed` if any is off."""
        meta = await self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "client_id": self._client_id,
        }
        try:
            answer = await self._http.post(
                meta["token_endpoint"],
                data=form,
                # A confidential client says who it is with its secret (HTTP Basic).
                auth=httpx.BasicAuth(self._client_id, self._client_secret)
                if self._client_secret
                else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.HTTPError as exc:
            raise SignInFailed(
                f"the token endpoint did not answer ({type(exc).__name__})"
            ) from None
        if answer.status_code != httpx.codes.OK:
            raise SignInFailed(f"the token endpoint answered {answer.status_code}")
        body = answer.json()
        id_token = body.get("id_token") if isinstance(body, dict) else None
        if not isinstance(id_token, str):
            raise SignInFailed("the token endpoint gave no ID token")
        claims = await self.verify(id_token, nonce=nonce, now=now)
        return Tokens(id_token=id_token, claims=claims)

    async def verify(
        self, id_token: str, *, nonce: str, now: float | None = None
    ) -> dict[str, Any]:
        """The ID token's claims once its signature, issuer, audience, expiry and nonce hold."""
        try:
            token = jwt.decode(id_token, await self._key_set(id_token), algorithms=_ALGORITHMS)
            claims = CodeIDToken(
                token.claims,
                token.header,
                options={
                    "iss": {"essential": True, "value": self.issuer},
                    "aud": {"essential": True, "value": self._client_id},
                    "exp": {"essential": True},
                    "nonce": {"essential": True, "value": nonce},
                },
                params={"nonce": nonce, "client_id": self._client_id},
            )
            claims.validate(
                now=int(now if now is not None else time.time()), leeway=_LEEWAY_SECONDS
            )
        except (JoseError, ValueError) as exc:
            raise SignInFailed(f"the ID token was refused ({type(exc).__name__})") from None
        return dict(claims)

    async def end_session_url(self, *, id_token_hint: str, post_logout: str) -> str | None:
        """Where the browser signs out at the provider too; None if it has no such page."""
        meta = await self.metadata()
        endpoint = meta.get("end_session_endpoint")
        if not isinstance(endpoint, str):
            return None
        query = {
            "id_token_hint": id_token_hint,
            "post_logout_redirect_uri": post_logout,
            "client_id": self._client_id,
        }
        return f"{endpoint}?{urlencode(query)}"

    async def _key_set(self, id_token: str) -> KeySet:
        """The provider's keys; fetched again if the token names a key not among them."""
        kid = _kid(id_token)
        if self._keys is None or (kid and not any(k.kid == kid for k in self._keys.keys)):
            meta = await self.metadata()
            published: Any = await self._get_json(meta["jwks_uri"])
            self._keys = KeySet.import_key_set(published)
        return self._keys

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            answer = await self._http.get(url)
        except httpx.HTTPError as exc:
            raise SignInFailed(f"{url} did not answer ({type(exc).__name__})") from None
        if answer.status_code != httpx.codes.OK:
            raise SignInFailed(f"{url} answered {answer.status_code}")
        found = answer.json()
        if not isinstance(found, dict):
            raise SignInFailed(f"{url} gave no JSON object")
        return found


def _kid(id_token: str) -> str | None:
    """The key id a token's header names, without trusting anything else in it yet."""
    try:
        header = jws.extract_compact(id_token.encode()).headers()
    except (JoseError, ValueError):
        return None
    kid = header.get("kid")
    return kid if isinstance(kid, str) else None
