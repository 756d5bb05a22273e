"""The `lindung` realm of the devstack's Keycloak: the desk's client and the demo people.

The realm is a Keycloak realm representation (JSON) generated here, imported when the
server starts. Each person carries the attributes the desk authorises with, declared in
the realm's user profile and mapped into the ID token, the access token and userinfo as
claims of the same name:

- `lindung_role`: `provider_staff`, `coordinator`, `supervisor` or `operations`;
- `lindung_provider`: the provider id (provider staff only);
- `lindung_states`: space-separated state codes (coordinators, supervisors; `*` is all).

Its sign-in pages use Lindung's login theme (`deploy/keycloak/themes/lindung`), in English
or Malay. Keycloak picks the language in this order: the one chosen on the page, the
person's `locale` attribute, the `ui_locales` of the desk's authorization request, its
`KEYCLOAK_LOCALE` cookie, the browser's `Accept-Language`, else English.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CLAIMS",
    "CLIENT_ID",
    "LOCALES",
    "LOGIN_THEME",
    "LOOPBACK_REDIRECTS",
    "PEOPLE",
    "REALM",
    "REALM_ADMIN",
    "People",
    "Person",
    "realm_representation",
]

REALM = "lindung"
REALM_ADMIN = "lindung-admin"
CLIENT_ID = "lindung-desk"
CLAIMS = ("lindung_role", "lindung_provider", "lindung_states")
LOGIN_THEME = "lindung"
LOCALES = ("en", "ms")  # the desk's languages; the first is the default
# Keycloak matches a redirect URI ending in `*` as a prefix, so these let the desk run
# on any loopback port (its port is chosen at start). Never used outside the devstack.
LOOPBACK_REDIRECTS = ("http://127.0.0.1:*", "http://localhost:*")
# Passwords are imported already hashed, as Keycloak's `pbkdf2-sha512` provider stores
# them: hashing seven passwords with its default (argon2) at import takes seconds on a
# small machine. The realm's policy names the same hash, so nothing is hashed again at
# sign-in. These are random passwords of a loopback test realm, never real accounts.
HASH_ALGORITHM = "pbkdf2-sha512"
HASH_ITERATIONS = 27_500


@dataclass(frozen=True)
class Person:
    """A demo person: user name, role, and the provider or states they act for."""

    username: str
    role: str
    provider: str = ""
    states: tuple[str, ...] = ()
    name: tuple[str, str] = ("", "")  # first and last name, shown at Keycloak and the desk

    def describe(self) -> str:
        """Who the person acts as, in a few words (`provider staff of shelter-sel-1`)."""
        role = self.role.replace("_", " ")
        if self.provider:
            return f"{role} of {self.provider}"
        if self.states == ("*",):
            return f"{role} for all states"
        return f"{role} for {', '.join(self.states)}" if self.states else role

    def attributes(self) -> dict[str, list[str]]:
        """The person's Lindung attributes, as Keycloak stores them (lists of strings)."""
        values = {
            "lindung_role": self.role,
            "lindung_provider": self.provider,
            "lindung_states": " ".join(self.states),
        }
        return {name: [value] for name, value in values.items() if value}


PEOPLE: tuple[Person, ...] = (
    Person("shelter-sel-1", "provider_staff", provider="shelter-sel-1",
           name=("Aminah", "Yusof")),
    Person("shelter-sel-2", "provider_staff", provider="shelter-sel-2",
           name=("Priya", "Raman")),
    Person("legal-aid-sel-1", "provider_staff", provider="legal-aid-sel-1",
           name=("Farid", "Osman")),
    Person("coordinator-sel", "coordinator", states=("selangor", "kuala_lumpur"),
           name=("Mei Ling", "Tan")),
    Person("coordinator-jhr", "coordinator", states=("johor",), name=("Hafiz", "Rahim")),
    Person("supervisor", "supervisor", states=("*",), name=("Zarina", "Ahmad")),
    Person("operations", "operations", name=("Kumar", "Selvam")),
)  # fmt: skip


def _new_secret() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class People:
    """The realm's secrets for one run: the client secret and each person's password."""

    client_secret: str = field(default_factory=_new_secret)
    passwords: dict[str, str] = field(
        default_factory=lambda: {p.username: _new_secret() for p in PEOPLE}
    )
    # With a password, the realm also has its administrator, `REALM_ADMIN`: it manages the
    # realm's people in Keycloak's admin console (`/admin/lindung/console/`), nothing else.
    admin_password: str = field(default="", repr=False)

    def text(self) -> str:
        """The passwords as `user name  password` lines, for the file the demo prints."""
        width = max(len(name) for name in self.passwords)
        return "".join(f"{name:<{width}}  {pw}\n" for name, pw in self.passwords.items())


def _user_profile() -> dict[str, Any]:
    """Keycloak's default user profile, none of it required, plus the Lindung attributes.

    Declared (not unmanaged) attributes: Keycloak 26 drops undeclared ones by default.
    Only administrators see or change them, so nobody can give themselves a role.
    """
    anyone = {"view": ["admin", "user"], "edit": ["admin", "user"]}
    admin_only = {"view": ["admin"], "edit": ["admin"]}
    attributes: list[dict[str, Any]] = [
        {
            "name": "username",
            "displayName": "${username}",
            "validations": {
                "length": {"min": 3, "max": 255},
                "username-prohibited-characters": {},
                "up-username-not-idn-homograph": {},
            },
            "permissions": anyone,
            "multivalued": False,
        },
        {
            "name": "email",
            "displayName": "${email}",
            "validations": {"email": {}, "length": {"max": 255}},
            "permissions": anyone,
            "multivalued": False,
        },
        *(
            {
                "name": name,
                "displayName": display,
                "validations": {"length": {"max": 255}, "person-name-prohibited-characters": {}},
                "permissions": anyone,
                "multivalued": False,
            }
            for name, display in (("firstName", "${firstName}"), ("lastName", "${lastName}"))
        ),
        *(
            {"name": claim, "displayName": claim, "permissions": admin_only, "multivalued": False}
            for claim in CLAIMS
        ),
    ]
    return {"attributes": attributes, "groups": []}


def _hashed(password: str) -> dict[str, Any]:
    """A password credential as Keycloak exports one: PBKDF2-SHA512, 512-bit key."""
    salt = secrets.token_bytes(16)
    key = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, HASH_ITERATIONS, dklen=64)
    secret = {
        "value": base64.b64encode(key).decode(),
        "salt": base64.b64encode(salt).decode(),
        "additionalParameters": {},
    }
    data = {"hashIterations": HASH_ITERATIONS, "algorithm": HASH_ALGORITHM,
            "additionalParameters": {}}  # fmt: skip
    return {
        "type": "password",
        "temporary": False,
        "secretData": json.dumps(secret),
        "credentialData": json.dumps(data),
    }


def _realm_admin(password: str) -> dict[str, Any]:
    """The realm's own administrator: the realm's `realm-admin` role, in no other realm."""
    return {
        "username": REALM_ADMIN,
        "enabled": True,
        "firstName": "Lindung",
        "lastName": "administrator",
        "credentials": [_hashed(password)],
        "clientRoles": {"realm-management": ["realm-admin"]},
    }


def _claim_mapper(claim: str) -> dict[str, Any]:
    return {
        "name": claim,
        "protocol": "openid-connect",
        "protocolMapper": "oidc-usermodel-attribute-mapper",
        "consentRequired": False,
        "config": {
            "user.attribute": claim,
            "claim.name": claim,
            "jsonType.label": "String",
            "id.token.claim": "true",
            "access.token.claim": "true",
            "userinfo.token.claim": "true",
            "introspection.token.claim": "true",
            "multivalued": "false",
        },
    }


def realm_representation(
    people: People, redirects: tuple[str, ...] = LOOPBACK_REDIRECTS
) -> dict[str, Any]:
    """The realm as Keycloak imports it: the desk's client and its people.

    Its people are each person in `PEOPLE` with a password in `people`, and the realm's
    administrator if `people` has a password for one.
    """
    client = {
        "clientId": CLIENT_ID,
        "name": "Lindung desk",
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": False,
        "clientAuthenticatorType": "client-secret",
        "secret": people.client_secret,
        "standardFlowEnabled": True,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "serviceAccountsEnabled": False,
        "frontchannelLogout": False,
        "redirectUris": list(redirects),
        "webOrigins": [],
        "attributes": {
            "pkce.code.challenge.method": "S256",
            "post.logout.redirect.uris": "##".join(redirects),
        },
        "protocolMappers": [_claim_mapper(claim) for claim in CLAIMS],
    }
    users = [
        {
            "username": person.username,
            "enabled": True,
            "email": f"{person.username}@demo.lindung.invalid",
            "emailVerified": True,
            "firstName": person.name[0],
            "lastName": person.name[1],
            "attributes": person.attributes(),
            "credentials": [_hashed(people.passwords[person.username])],
        }
        for person in PEOPLE
        if person.username in people.passwords  # none: a realm without the demo people
    ]
    if people.admin_password:
        users.append(_realm_admin(people.admin_password))
    profile = {"kc.user.profile.config": [json.dumps(_user_profile())]}
    return {
        "realm": REALM,
        "enabled": True,
        "displayName": "Lindung",
        "displayNameHtml": "Lindung",  # the sign-in pages' header
        "loginTheme": LOGIN_THEME,
        "internationalizationEnabled": True,
        "supportedLocales": list(LOCALES),
        "defaultLocale": LOCALES[0],
        # Plain HTTP is allowed from loopback and private addresses only.
        "sslRequired": "external",
        "passwordPolicy": f"hashAlgorithm({HASH_ALGORITHM}) and hashIterations({HASH_ITERATIONS})",
        "registrationAllowed": False,
        "resetPasswordAllowed": False,
        "rememberMe": False,
        "bruteForceProtected": False,
        "clients": [client],
        "users": users,
        "components": {
            "org.keycloak.userprofile.UserProfileProvider": [
                {"providerId": "declarative-user-profile", "subComponents": {}, "config": profile}
            ]
        },
    }
