"""The `lindung` realm as generated for Keycloak: who is who, and no password in clear."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import TYPE_CHECKING

from lindung_devstack.keycloak_dist import THEMES
from lindung_devstack.realm import (
    CLAIMS,
    CLIENT_ID,
    LOCALES,
    LOGIN_THEME,
    PEOPLE,
    People,
    realm_representation,
)

if TYPE_CHECKING:
    from pathlib import Path


def test_every_demo_person_has_a_password_and_the_realm_file_holds_none_in_clear():
    people = People()
    realm = realm_representation(people)
    text = json.dumps(realm)

    assert set(people.passwords) == {p.username for p in PEOPLE}
    assert len(set(people.passwords.values())) == len(PEOPLE)
    for password in (*people.passwords.values(), people.client_secret):
        assert len(password) >= 24
    assert not any(password in text for password in people.passwords.values())

    for user in realm["users"]:
        (credential,) = user["credentials"]
        secret = json.loads(credential["secretData"])
        data = json.loads(credential["credentialData"])
        password = people.passwords[user["username"]].encode()
        key = hashlib.pbkdf2_hmac(
            "sha512", password, base64.b64decode(secret["salt"]), data["hashIterations"], 64
        )
        assert base64.b64encode(key).decode() == secret["value"]
        assert data["algorithm"] == "pbkdf2-sha512"


def test_each_run_gets_new_passwords_and_a_new_client_secret():
    first, second = People(), People()
    assert first.client_secret != second.client_secret
    assert not set(first.passwords.values()) & set(second.passwords.values())


def test_the_people_are_the_ones_the_desk_expects():
    users = {u["username"]: u["attributes"] for u in realm_representation(People())["users"]}
    assert users == {
        "shelter-sel-1": {
            "lindung_role": ["provider_staff"],
            "lindung_provider": ["shelter-sel-1"],
        },
        "shelter-sel-2": {
            "lindung_role": ["provider_staff"],
            "lindung_provider": ["shelter-sel-2"],
        },
        "legal-aid-sel-1": {
            "lindung_role": ["provider_staff"],
            "lindung_provider": ["legal-aid-sel-1"],
        },
        "coordinator-sel": {
            "lindung_role": ["coordinator"],
            "lindung_states": ["selangor kuala_lumpur"],
        },
        "coordinator-jhr": {"lindung_role": ["coordinator"], "lindung_states": ["johor"]},
        "supervisor": {"lindung_role": ["supervisor"], "lindung_states": ["*"]},
        "operations": {"lindung_role": ["operations"]},
    }


def test_the_desk_client_is_confidential_code_flow_only_with_pkce_s256():
    (client,) = realm_representation(People())["clients"]
    assert client["clientId"] == CLIENT_ID
    assert client["publicClient"] is False
    assert client["standardFlowEnabled"] is True
    assert client["implicitFlowEnabled"] is False
    assert client["directAccessGrantsEnabled"] is False
    assert client["serviceAccountsEnabled"] is False
    assert client["attributes"]["pkce.code.challenge.method"] == "S256"
    mapped = {m["config"]["claim.name"] for m in client["protocolMappers"]}
    assert mapped == set(CLAIMS)


def _entries(path: Path) -> list[tuple[str, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    pairs = [line.split("=", 1) for line in lines if line.strip() and line[0] not in "#!"]
    return [(key.strip(), value.strip()) for key, value in pairs]


def test_the_sign_in_pages_are_lindungs_own_in_english_and_malay_english_first():
    realm = realm_representation(People())
    assert realm["loginTheme"] == LOGIN_THEME == "lindung"
    assert realm["internationalizationEnabled"] is True
    assert realm["supportedLocales"] == ["en", "ms"] == list(LOCALES)
    assert realm["defaultLocale"] == "en"
    assert realm["displayName"] == realm["displayNameHtml"] == "Lindung"

    theme = THEMES / LOGIN_THEME / "login"
    settings = dict(_entries(theme / "theme.properties"))
    assert settings["parent"] == "keycloak.v2"  # Keycloak 26's default login theme
    assert settings["locales"].split(",") == list(LOCALES)
    for locale in LOCALES:
        entries = _entries(theme / "messages" / f"messages_{locale}.properties")
        keys = [key for key, _ in entries]
        assert len(keys) == len(set(keys)), f"a key given twice in {locale}"
        assert all(value for _, value in entries), f"an empty message in {locale}"
