"""The API keys file: who holds which key, and a bad file stops start-up naming itself."""

from __future__ import annotations

import json

import pytest
from lindung_common import ConfigError
from lindung_intake.adapters.keys import load_keys
from lindung_intake.domain import Principal, PrincipalKind, hash_key

AGENCY = Principal(PrincipalKind.AGENCY, "pdrm-kl")
PROVIDER = Principal(PrincipalKind.PROVIDER, "shelter-kl-1")


def _write(tmp_path, content: object) -> object:
    path = tmp_path / "keys.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


@pytest.fixture
def ring(tmp_path):
    return load_keys(
        _write(
            tmp_path,
            {
                "keys": [
                    {"sha256": hash_key("agency-key"), "kind": "agency", "id": "pdrm-kl"},
                    {"sha256": hash_key("shelter-key"), "kind": "provider", "id": "shelter-kl-1"},
                ]
            },
        )
    )


def test_a_key_finds_its_holder(ring):
    assert ring.find(hash_key("agency-key")) == AGENCY
    assert ring.find(hash_key("shelter-key")) == PROVIDER


def test_an_unknown_key_finds_nobody(ring):
    assert ring.find(hash_key("guessed-key")) is None


def test_the_key_itself_is_not_a_valid_lookup(ring):
    assert ring.find("agency-key") is None


def test_only_agencies_holding_a_key_may_publish_on_the_kafka_door(ring):
    assert ring.is_agency("pdrm-kl")
    assert not ring.is_agency("jim-johor")
    # A provider id is not an agency, even though both are directory slugs.
    assert not ring.is_agency("shelter-kl-1")


def test_an_empty_key_list_is_valid_and_admits_nobody(tmp_path):
    ring = load_keys(_write(tmp_path, {"keys": []}))
    assert ring.find(hash_key("anything")) is None


GOOD_HASH = hash_key("k")


@pytest.mark.parametrize(
    "content",
    [
        "not json at all",
        {"keys": [{"sha256": GOOD_HASH.upper(), "kind": "agency", "id": "pdrm-kl"}]},
        {"keys": [{"sha256": GOOD_HASH[:-1], "kind": "agency", "id": "pdrm-kl"}]},
        {"keys": [{"sha256": GOOD_HASH, "kind": "supervisor", "id": "pdrm-kl"}]},
        {"keys": [{"sha256": GOOD_HASH, "kind": "agency", "id": "PDRM KL"}]},
        {"keys": [{"sha256": GOOD_HASH, "kind": "agency"}]},
        {"keys": [{"sha256": GOOD_HASH, "kind": "agency", "id": "pdrm-kl", "key": "x"}]},
        {"keys": [], "comment": "unknown top-level field"},
        {"agencies": []},
        [],
    ],
    ids=[
        "not-json",
        "upper-case-hash",
        "short-hash",
        "unknown-kind",
        "bad-id",
        "missing-id",
        "extra-field",
        "extra-top-level",
        "no-keys",
        "a-list",
    ],
)
def test_a_bad_keys_file_stops_start_up_naming_the_file(tmp_path, content):
    path = _write(tmp_path, content)
    with pytest.raises(ConfigError) as stopped:
        load_keys(path)
    message = str(stopped.value)
    assert str(path) in message
    assert "INTAKE_API_KEYS_FILE" in message


def test_a_missing_keys_file_stops_start_up_naming_the_file(tmp_path):
    path = tmp_path / "nowhere" / "keys.json"
    with pytest.raises(ConfigError) as stopped:
        load_keys(path)
    assert str(path) in str(stopped.value)
