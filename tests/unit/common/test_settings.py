"""`load_settings`: one line naming each bad variable and why, never the secret itself."""

from __future__ import annotations

import os

import pytest
from lindung_common import ConfigError, ServiceSettings, client_options, load_settings, schema_field
from pydantic_settings import SettingsConfigDict

PREFIX = "LINDUNG_EXAMPLE_"
SECRET_URL = "postgresql://lindung:hunter2-s3cret@db.internal:5432/lindung"


class ExampleSettings(ServiceSettings):
    """A service's settings as every service declares them."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", frozen=True)

    db_schema: str = schema_field("example")


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    """Only what a test sets: a complete, valid configuration to start from."""
    for name in list(os.environ):
        if name.upper().startswith(PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.setenv(f"{PREFIX}KAFKA_BOOTSTRAP_SERVERS", "broker-1:9092,broker-2:9092")
    monkeypatch.setenv(f"{PREFIX}KAFKA_SASL_USERNAME", "example")
    monkeypatch.setenv(f"{PREFIX}KAFKA_SASL_PASSWORD", "kafka-s3cret-password")
    monkeypatch.setenv(f"{PREFIX}DATABASE_URL", SECRET_URL)
    monkeypatch.setenv(f"{PREFIX}HTTP_PORT", "8080")


def refusal() -> str:
    with pytest.raises(ConfigError) as raised:
        load_settings(ExampleSettings)
    message = str(raised.value)
    assert "\n" not in message
    assert SECRET_URL not in message
    assert "hunter2" not in message
    return message


def test_a_complete_environment_loads():
    settings = load_settings(ExampleSettings)

    assert settings.kafka_bootstrap_servers == "broker-1:9092,broker-2:9092"
    assert settings.database_url.get_secret_value() == SECRET_URL
    assert settings.http_port == 8080
    assert settings.db_schema == "example"


def test_a_missing_required_setting_names_the_variable(monkeypatch):
    monkeypatch.delenv(f"{PREFIX}KAFKA_BOOTSTRAP_SERVERS")

    assert refusal() == f"bad settings: {PREFIX}KAFKA_BOOTSTRAP_SERVERS: Field required"


def test_a_missing_database_url_is_named_too(monkeypatch):
    monkeypatch.delenv(f"{PREFIX}DATABASE_URL")

    assert refusal() == f"bad settings: {PREFIX}DATABASE_URL: Field required"


def test_the_unprefixed_variable_does_not_count(monkeypatch):
    monkeypatch.delenv(f"{PREFIX}KAFKA_BOOTSTRAP_SERVERS")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "broker:9092")

    assert f"{PREFIX}KAFKA_BOOTSTRAP_SERVERS: Field required" in refusal()


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("HTTP_PORT", "hunter2-not-a-port", "Input should be a valid integer"),
        ("CONSUME_BATCH_SIZE", "0", "Input should be greater than or equal to 1"),
        ("DB_STATEMENT_TIMEOUT_SECONDS", "-1", "Input should be greater than 0"),
        ("DB_SCHEMA", "example; DROP TABLE outbox", "String should match pattern"),
    ],
    ids=["not-a-number", "below-minimum", "negative-timeout", "not-a-schema-name"],
)
def test_a_bad_value_names_the_variable_and_why_without_echoing_it(
    monkeypatch, variable, value, reason
):
    monkeypatch.setenv(f"{PREFIX}{variable}", value)

    message = refusal()

    assert message.startswith(f"bad settings: {PREFIX}{variable}: {reason}")
    assert value not in message


def test_every_bad_variable_is_named_in_one_line(monkeypatch):
    monkeypatch.delenv(f"{PREFIX}KAFKA_BOOTSTRAP_SERVERS")
    monkeypatch.setenv(f"{PREFIX}HTTP_PORT", "x")

    message = refusal()

    assert f"{PREFIX}KAFKA_BOOTSTRAP_SERVERS: " in message
    assert f"{PREFIX}HTTP_PORT: " in message


def test_the_refusal_does_not_chain_pydantics_error_which_echoes_input(monkeypatch):
    monkeypatch.setenv(f"{PREFIX}HTTP_PORT", "hunter2-not-a-port")

    with pytest.raises(ConfigError) as raised:
        load_settings(ExampleSettings)

    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__


def test_the_settings_are_frozen_and_hide_the_database_url():
    settings = load_settings(ExampleSettings)

    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(settings.model_dump())
    with pytest.raises(ValueError, match="frozen"):
        settings.http_port = 1  # type: ignore[misc]


def test_the_defaults_are_what_production_can_start_from():
    settings = load_settings(ExampleSettings)

    timeouts = {name: value for name, value in settings if name.endswith("_seconds")}
    assert all(value > 0 for name, value in timeouts.items() if name != "outbox_linger_seconds")
    assert settings.outbox_linger_seconds >= 0
    assert settings.consume_batch_size >= 1
    assert settings.outbox_batch_size >= 1
    assert settings.consume_unknown_failure_tries >= 1
    assert settings.db_pool_size >= 2
    # A statement the server cancels must end before the client gives up on it.
    assert settings.db_statement_timeout_seconds < settings.db_command_timeout_seconds
    # Below Kafka's default message.max.bytes (1,048,588), with room for key and headers.
    assert settings.outbox_max_event_bytes < 1_048_588


def test_the_kafka_password_is_a_secret_and_every_client_authenticates_with_it():
    settings = load_settings(ExampleSettings)

    assert "kafka-s3cret-password" not in repr(settings)
    assert settings.kafka_security_protocol == "SASL_SSL"  # TLS unless told otherwise
    options = client_options(settings)
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "example"
    assert options["sasl_plain_password"] == "kafka-s3cret-password"
    assert options["ssl_context"] is not None


def test_a_missing_kafka_principal_is_named(monkeypatch):
    monkeypatch.delenv(f"{PREFIX}KAFKA_SASL_PASSWORD")

    assert refusal() == f"bad settings: {PREFIX}KAFKA_SASL_PASSWORD: Field required"


def test_only_authenticated_kafka_protocols_are_accepted(monkeypatch):
    monkeypatch.setenv(f"{PREFIX}KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")

    assert refusal().startswith(f"bad settings: {PREFIX}KAFKA_SECURITY_PROTOCOL: Input should be")
