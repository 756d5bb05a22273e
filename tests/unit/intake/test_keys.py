"""The API keys file: who holds which key, revoked keys, reloads, and the keys command."""

from __future__ import annotations

import json
import os
import time

import pytest
from lindung_common import ConfigError
from lindung_common import keys as keys_module
from lindung_common.keys import KeyHolder, hash_key, load_keys, read_keys_file
from lindung_intake.keys_command import issue_key, revoke_key

SECRET = b"unit-test-secret-0123456789abcdefghij"
AGENCY = KeyHolder("agency", "pdrm-kl", "k_pdrm-kl")
PROVIDER = KeyHolder("provider", "shelter-kl-1", "k_shelter-kl-1")


def _entry(key: str, kind: str, holder: str, **extra: object) -> dict[str, object]:
    return {
        "key_id": f"k_{holder}",
        "hmac_sha256": hash_key(key, SECRET),
        "kind": kind,
        "id": holder,
    } | extra


def _write(tmp_path, content: object):
    path = tmp_path / "keys.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


@pytest.fixture
def ring(tmp_path):
    entries = [
        _entry("agency-key", "agency", "pdrm-kl"),
        _entry("shelter-key", "provider", "shelter-kl-1"),
        _entry("old-key", "agency", "jim-johor", revoked_at="2026-01-01T00:00:00Z"),
    ]
    return load_keys(_write(tmp_path, {"keys": entries}), SECRET)


def test_a_key_finds_its_holder_and_its_id(ring):
    assert ring.find("agency-key") == AGENCY
    assert ring.find("shelter-key") == PROVIDER


def test_an_unknown_or_revoked_key_finds_nobody(ring):
    assert ring.find("guessed-key") is None
    assert ring.find("old-key") is None
    assert not ring.is_agency("jim-johor")


def test_the_stored_hash_is_not_a_valid_key(ring):
    assert ring.find(hash_key("agency-key", SECRET)) is None


def test_the_same_file_under_another_secret_admits_nobody(tmp_path):
    path = _write(tmp_path, {"keys": [_entry("agency-key", "agency", "pdrm-kl")]})
    assert load_keys(path, b"another-secret-0123456789abcdefghijk").find("agency-key") is None


def test_only_agencies_holding_a_key_may_publish_on_the_kafka_door(ring):
    assert ring.is_agency("pdrm-kl")
    # A provider id is not an agency, even though both are directory slugs.
    assert not ring.is_agency("shelter-kl-1")


def test_a_changed_file_is_read_again_and_a_bad_one_keeps_the_keys_before(tmp_path, monkeypatch):
    monkeypatch.setattr(keys_module, "_RELOAD_EVERY_SECONDS", 0.0)
    path = _write(tmp_path, {"keys": [_entry("agency-key", "agency", "pdrm-kl")]})
    ring = load_keys(path, SECRET)

    path.write_text(json.dumps({"keys": [_entry("new-key", "agency", "pdrm-kl")]}))
    os.utime(path, (time.time() + 5, time.time() + 5))
    assert ring.find("agency-key") is None
    assert ring.find("new-key") == AGENCY

    path.write_text("not json")
    os.utime(path, (time.time() + 10, time.time() + 10))
    assert ring.find("new-key") == AGENCY


def test_issue_and_revoke_write_keyed_hashes_only(tmp_path):
    path = _write(tmp_path, {"keys": []})

    key_id, key = issue_key(path, SECRET, "coordinator", "coordinator-sel")
    ring = load_keys(path, SECRET)
    assert ring.find(key) == KeyHolder("coordinator", "coordinator-sel", key_id)
    assert key not in path.read_text()
    assert oct(path.stat().st_mode & 0o777) == "0o600"

    revoked = revoke_key(path, key_id)
    assert revoked.revoked_at is not None
    assert load_keys(path, SECRET).find(key) is None
    assert [k.key_id for k in read_keys_file(path).keys] == [key_id]  # still listed
    with pytest.raises(LookupError):
        revoke_key(path, "k_unknown-id")


def test_a_coordinator_s_key_may_be_bound_to_the_states_whose_alerts_it_sees(tmp_path):
    path = _write(tmp_path, {"keys": []})

    _, key = issue_key(path, SECRET, "coordinator", "coordinator-sel", ["selangor", "kuala_lumpur"])
    _, everywhere = issue_key(path, SECRET, "coordinator", "supervisor", ["*"])
    _, unbound = issue_key(path, SECRET, "coordinator", "coordinator-api")

    ring = load_keys(path, SECRET)
    found = ring.find(key)
    assert found is not None
    assert found.states == frozenset({"selangor", "kuala_lumpur"})
    assert ring.find(everywhere).states == frozenset({"*"})
    assert ring.find(unbound).states is None  # bound to none: every state
    assert "states" not in json.loads(path.read_text())["keys"][2]  # files stay as they were
    with pytest.raises(ValueError, match="states"):
        issue_key(path, SECRET, "coordinator", "nowhere", ["atlantis"])


GOOD = _entry("k", "agency", "pdrm-kl")


@pytest.mark.parametrize(
    "content",
    [
        "not json at all",
        {"keys": [GOOD | {"hmac_sha256": str(GOOD["hmac_sha256"]).upper()}]},
        {"keys": [GOOD | {"hmac_sha256": str(GOOD["hmac_sha256"])[:-1]}]},
        {"keys": [GOOD | {"kind": "supervisor"}]},
        {"keys": [GOOD | {"id": "PDRM KL"}]},
        {"keys": [{k: v for k, v in GOOD.items() if k != "id"}]},
        {"keys": [GOOD | {"key": "x"}]},
        {"keys": [{k: v for k, v in GOOD.items() if k != "key_id"}]},
        {"keys": [{"sha256": GOOD["hmac_sha256"], "kind": "agency", "id": "pdrm-kl"}]},
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
        "missing-key-id",
        "plain-sha256-entry",
        "extra-top-level",
        "no-keys",
        "a-list",
    ],
)
def test_a_bad_keys_file_stops_start_up_naming_the_file(tmp_path, content):
    path = _write(tmp_path, content)
    with pytest.raises(ConfigError) as stopped:
        load_keys(path, SECRET)
    message = str(stopped.value)
    assert str(path) in message
    assert "INTAKE_API_KEYS_FILE" in message
    assert str(GOOD["hmac_sha256"]) not in message


def test_a_missing_keys_file_stops_start_up_naming_the_file(tmp_path):
    path = tmp_path / "nowhere" / "keys.json"
    with pytest.raises(ConfigError) as stopped:
        load_keys(path, SECRET)
    assert str(path) in str(stopped.value)
