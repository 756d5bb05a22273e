from __future__ import annotations

import pytest
from lindung_notifier.settings import NotifierSettings
from pydantic import ValidationError

BASE = {
    "kafka_bootstrap_servers": "127.0.0.1:9092",
    "kafka_sasl_username": "notifier",
    "kafka_sasl_password": "secret",
    "database_url": "postgresql://x@127.0.0.1/lindung",
    "endpoints_file": "/etc/lindung/endpoints.json",
}


def test_defaults_match_the_delivery_policy():
    settings = NotifierSettings(**BASE)

    assert settings.http_port == 8082
    assert settings.db_schema == "notifier"
    assert settings.max_attempts == 24
    assert settings.backoff_base_seconds == 1.0
    assert settings.backoff_cap_seconds == 900.0
    assert settings.request_timeout_seconds == 10.0
    assert settings.connect_timeout_seconds == 5.0
    assert settings.dispatcher_idle_seconds == 0.5
    assert settings.desk_url is None  # notices give their reference only


def test_settings_are_read_from_notifier_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("NOTIFIER_KAFKA_BOOTSTRAP_SERVERS", "broker:9092")
    monkeypatch.setenv("NOTIFIER_KAFKA_SASL_USERNAME", "notifier")
    monkeypatch.setenv("NOTIFIER_KAFKA_SASL_PASSWORD", "secret")
    monkeypatch.setenv("NOTIFIER_DATABASE_URL", "postgresql://x@db/lindung")
    monkeypatch.setenv("NOTIFIER_ENDPOINTS_FILE", str(tmp_path / "endpoints.json"))
    monkeypatch.setenv("NOTIFIER_MAX_ATTEMPTS", "3")

    settings = NotifierSettings()

    assert settings.kafka_bootstrap_servers == "broker:9092"
    assert settings.endpoints_file == tmp_path / "endpoints.json"
    assert settings.max_attempts == 3


@pytest.mark.parametrize(
    "changes",
    [
        {"backoff_base_seconds": 10, "backoff_cap_seconds": 5},
        {"request_timeout_seconds": 60, "lease_seconds": 30},
        {"request_timeout_seconds": 3},
        {"connect_timeout_seconds": 0},
        {"max_attempts": 0},
        {"db_schema": "notifier; drop"},
        {"desk_url": "https://lindung.example.gov.my/" + "d" * 40},
        {"desk_url": "lindung.example.gov.my/desk"},
        {"desk_url": "https://lindung.example.gov.my/m\u00e9ja"},
    ],
    ids=[
        "cap below base",
        "lease shorter than a request",
        "connect timeout beyond the request timeout",
        "no connect timeout",
        "no attempts",
        "not a schema name",
        "a desk address too long for an SMS",
        "a desk address that is not http",
        "a desk address that is not ascii",
    ],
)
def test_incoherent_settings_are_refused(changes):
    with pytest.raises(ValidationError):
        NotifierSettings(**{**BASE, **changes})
