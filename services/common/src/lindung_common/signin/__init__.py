"""People signing in through OpenID Connect, for every service that has pages for people.

`oidc` speaks to the identity provider (discovery, PKCE, the code exchange, the ID
token's checks); `rules` are the pure rules (a secret's hash, CSRF tokens, timeouts);
`store` keeps sign-ins and sessions in a service's own tables; `sessions` is the flow;
`language` picks a page's language (Malay or English) for every service's pages, and
holds the words pages share (`Phrases`, `span`).
"""

from .language import LANGUAGES, Phrases, pick_language, span
from .oidc import IdentityProvider, SignInFailed, Tokens
from .rules import (
    SIGN_IN_WINDOW,
    SessionVerdict,
    csrf_matches,
    csrf_token,
    judge_session,
    loopback_http,
    secret_hash,
)
from .sessions import Holder, LiveSession, PeopleSessions, SignInRefused, SignInStart
from .store import SessionTables

__all__ = [
    "LANGUAGES",
    "SIGN_IN_WINDOW",
    "Holder",
    "IdentityProvider",
    "LiveSession",
    "PeopleSessions",
    "Phrases",
    "SessionTables",
    "SessionVerdict",
    "SignInFailed",
    "SignInRefused",
    "SignInStart",
    "Tokens",
    "csrf_matches",
    "csrf_token",
    "judge_session",
    "loopback_http",
    "pick_language",
    "secret_hash",
    "span",
]
