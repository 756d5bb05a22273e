"""Retention cutoffs: what may go at a given time, and the records a waiting dead letter holds."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from lindung_common import ConfigError, Keep, ServiceSettings, cutoffs, load_settings
from pydantic_settings import SettingsConfigDict

NOW = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)
KEEP = Keep(outbox=timedelta(days=7), handled=timedelta(days=30), dead_letters=timedelta(days=14))


def test_each_kind_is_cut_at_its_own_period_before_now():
    cut = cutoffs(NOW, KEEP, {})

    assert cut.outbox == NOW - timedelta(days=7)
    assert cut.handled == NOW - timedelta(days=30)
    assert cut.dead_letters == NOW - timedelta(days=14)
    assert cut.handled_for("router-cases") == NOW - timedelta(days=30)
    assert cut.handled_held == {}


def test_a_waiting_dead_letter_holds_its_consumer_s_records_from_the_period_before_it():
    set_aside = NOW - timedelta(days=45)
    cut = cutoffs(NOW, KEEP, {"router-cases": set_aside})

    # A copy of its event handled up to 30 days before it was set aside is still found.
    assert cut.handled_for("router-cases") == set_aside - timedelta(days=30)
    # Other consumers are not held.
    assert cut.handled_for("router-responses") == NOW - timedelta(days=30)
    # Nothing else moves.
    assert cut.outbox == NOW - timedelta(days=7)
    assert cut.dead_letters == NOW - timedelta(days=14)


def test_a_dead_letter_set_aside_just_now_holds_back_its_consumer_s_whole_period():
    # Any copy handled within the period before it was set aside (the last 30 days) must
    # stay, and the usual cutoff already keeps exactly those: nothing more is held.
    cut = cutoffs(NOW, KEEP, {"router-cases": NOW})

    assert cut.handled_for("router-cases") == NOW - timedelta(days=30)
    assert cut.handled_held == {}


def test_the_oldest_waiting_dead_letter_of_each_consumer_decides():
    cut = cutoffs(
        NOW,
        KEEP,
        {"a": NOW - timedelta(days=31), "b": NOW - timedelta(days=90)},
    )

    assert cut.handled_for("a") == NOW - timedelta(days=61)
    assert cut.handled_for("b") == NOW - timedelta(days=120)


def test_the_periods_come_from_the_settings_in_days():
    settings = ServiceSettings(
        kafka_bootstrap_servers="b:9092",
        kafka_sasl_username="svc",
        kafka_sasl_password="secret-password",
        database_url="postgresql://x@y/z",
        http_port=0,
        retention_outbox_days=0.5,
        retention_handled_days=10,
        retention_dead_letters_days=2,
    )

    assert Keep.of(settings) == Keep(
        outbox=timedelta(hours=12), handled=timedelta(days=10), dead_letters=timedelta(days=2)
    )


PREFIX = "LINDUNG_RETENTION_"


class _Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", frozen=True)


@pytest.fixture
def environment(monkeypatch):
    for name in list(os.environ):
        if name.upper().startswith(PREFIX):
            monkeypatch.delenv(name)
    for name, value in {
        "KAFKA_BOOTSTRAP_SERVERS": "b:9092",
        "KAFKA_SASL_USERNAME": "svc",
        "KAFKA_SASL_PASSWORD": "secret-password",
        "DATABASE_URL": "postgresql://x@y/z",
        "HTTP_PORT": "8080",
    }.items():
        monkeypatch.setenv(PREFIX + name, value)
    return monkeypatch


def test_the_defaults_keep_handled_records_well_beyond_a_week_of_topic_retention(environment):
    settings = load_settings(_Settings)

    assert settings.retention_prune_seconds == 3600
    assert settings.retention_outbox_days == 7
    assert settings.retention_handled_days == 30
    assert settings.retention_dead_letters_days == 30
    assert settings.retention_batch_size == 1000


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("RETENTION_HANDLED_DAYS", "0.5", "greater than or equal to 1"),
        ("RETENTION_OUTBOX_DAYS", "0", "greater than 0"),
        ("RETENTION_DEAD_LETTERS_DAYS", "-1", "greater than 0"),
        ("RETENTION_BATCH_SIZE", "0", "greater than or equal to 1"),
        ("RETENTION_PRUNE_SECONDS", "-1", "greater than or equal to 0"),
    ],
)
def test_a_retention_setting_out_of_range_is_refused_at_start(environment, variable, value, reason):
    environment.setenv(PREFIX + variable, value)

    with pytest.raises(ConfigError) as raised:
        load_settings(_Settings)

    assert f"{PREFIX}{variable}: Input should be {reason}" in str(raised.value)
