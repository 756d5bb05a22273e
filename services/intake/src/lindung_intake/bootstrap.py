"""The one place where intake's adapters, use cases and entry points are wired together."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from lindung_common import Concern, ConfigError, Service, Units, foundations
from lindung_common.keys import load_keys
from lindung_common.signin import IdentityProvider

from .adapters.news import ReferralNews
from .adapters.sealing import DataKeys
from .audit import audit_command
from .data_keys_command import data_keys_command
from .entrypoints.desk import create_desk
from .entrypoints.http import create_api
from .keys_command import keys_command
from .use_cases import (
    Alerts,
    Arrivals,
    Capacities,
    Cases,
    Closings,
    Coordination,
    Intake,
    KafkaDoor,
    Milestones,
    Mirror,
    Notes,
    OldWords,
    Reassignments,
    Referrals,
)
from .use_cases.desk import DeskSessions

if TYPE_CHECKING:
    from fastapi import FastAPI
    from lindung_common import Clock, Consumer, IdFactory

    from .settings import IntakeSettings

__all__ = ["MIGRATIONS", "SERVICE", "build"]

SERVICE = "intake"
MIGRATIONS = Path(__file__).parent / "migrations"
log = structlog.get_logger(__name__)


def build(
    settings: IntakeSettings,
    *,
    schema: str | None = None,
    clock: Clock | None = None,
    ids: IdFactory | None = None,
) -> Service:
    """Intake as a service: the HTTP API, the agency door and the referral mirror."""
    db, events = foundations(SERVICE, settings, MIGRATIONS, schema=schema, clock=clock, ids=ids)
    data_keys = _data_keys(settings)
    secret = settings.key_secret.get_secret_value().encode()
    keys = load_keys(settings.api_keys_file, secret)
    units = Units(db, events, max_event_bytes=settings.outbox_max_event_bytes)
    news = ReferralNews(db, backoff_cap_seconds=settings.retry_backoff_cap_seconds)
    arrivals = Arrivals(
        news,
        wait_seconds=settings.answer_wait_seconds,
        per_key=settings.answer_waits_per_key,
        overall=settings.answer_waits_overall,
    )
    cases = Cases(
        units,
        secret=secret,
        data_keys=data_keys,
        clock_skew_seconds=settings.clock_skew_seconds,
        oldest_identification_days=settings.oldest_identification_days,
    )
    referrals = Referrals(units, arrivals, data_keys=data_keys)
    intake = Intake(
        keys,
        cases,
        referrals,
        Notes(units, data_keys=data_keys),
        Alerts(units),
        reassignments=Reassignments(units, arrivals, data_keys=data_keys),
        closings=Closings(units, data_keys=data_keys),
        coordination=Coordination(units, cases, data_keys=data_keys),
        capacities=Capacities(units),
        milestones=Milestones(
            units,
            clock_skew_seconds=settings.clock_skew_seconds,
            oldest_days=settings.oldest_identification_days,
        ),
    )
    # Words an older version stored as reasons, sealed into notes once the database is up.
    old_words = OldWords(units, data_keys, backoff_cap_seconds=settings.retry_backoff_cap_seconds)
    door = KafkaDoor(cases, keys, settings.kafka_agencies).consumer()
    consumers: list[Consumer] = [*([door] if door else []), Mirror(news.channel).consumer()]
    return Service(
        name=SERVICE,
        settings=settings,
        db=db,
        events=events,
        consumers=consumers,
        tasks=(news, old_words),
        # While PostgreSQL answers, identifications and answers go into the outbox and
        # out once the broker is back: the broker, the outbox and the consumers degrade
        # intake, they never turn agencies away.
        degrade_only=frozenset({Concern.BROKER, Concern.OUTBOX, Concern.CONSUMER}),
        api=create_api(
            intake,
            max_body_bytes=settings.max_body_bytes,
            rate_limit_per_minute=settings.rate_limit_per_minute,
            desk=_desk(settings, units, intake),
        ),
        commands={"audit": audit_command, "keys": keys_command, "data-keys": data_keys_command},
    )


def _desk(settings: IntakeSettings, units: Units, intake: Intake) -> FastAPI | None:
    """The desk, when an identity provider is set; else none (`/desk` answers 404)."""
    if settings.oidc_issuer is None:
        return None
    if settings.desk_url is None:
        raise ConfigError(
            "INTAKE_DESK_URL: the desk's public address (e.g. https://lindung.example/desk) is "
            "required with INTAKE_OIDC_ISSUER: the identity provider sends people back to it"
        )
    desk_url = str(settings.desk_url).rstrip("/")
    idp = IdentityProvider(
        str(settings.oidc_issuer),
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret.get_secret_value(),
    )
    sessions = DeskSessions(
        units,
        idp,
        redirect_uri=f"{desk_url}/callback",
        idle=timedelta(minutes=settings.desk_idle_minutes),
        longest=timedelta(hours=settings.desk_max_hours),
    )
    return create_desk(intake, sessions, desk_url=desk_url)


def _data_keys(settings: IntakeSettings) -> DataKeys:
    """The data keys; the published demo key may seal only in demo mode."""
    data_keys = DataKeys.parse(settings.data_keys.get_secret_value())
    if data_keys.current in data_keys.published and not settings.demo_mode:
        raise ConfigError(
            "INTAKE_DATA_KEYS: its first key is the published demo key, so anyone could read "
            "what it seals; put a key of your own first (`id:` then 32 random bytes in base64, "
            "e.g. from `openssl rand -base64 32`), or set INTAKE_DEMO_MODE=true to try Lindung"
        )
    if data_keys.published and data_keys.current not in data_keys.published:
        log.warning(
            "a data key is the published demo key; re-seal with `data-keys rotate`, then "
            "remove it from INTAKE_DATA_KEYS",
            key_ids=list(data_keys.published),
        )
    return data_keys
