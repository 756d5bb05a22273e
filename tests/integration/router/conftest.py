"""The router wired to the real PostgreSQL and Kafka, in a schema of its own per test."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lindung_common import Runtime
from lindung_contracts import (
    CaseOpened,
    ChildProfile,
    Envelope,
    Gender,
    Location,
    MalaysianState,
    NationalityStatus,
    Outcome,
    ProviderResponded,
    ReasonCode,
    ResponseKind,
    Situation,
    decode,
)
from lindung_router.bootstrap import build
from lindung_router.settings import DEFAULT_POLICY_FILE, RouterSettings

IDENTIFIED = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
NOW = IDENTIFIED + timedelta(minutes=5)

# Two shelters in Selangor (a re-route has somewhere to go), one of everything else that a
# citizen child needs, and no UNHCR partner at all.
DIRECTORY = {
    "version": "test-directory-1",
    "providers": [
        {"id": "protector-sel", "name": "Protector", "services": ["child_protector"],
         "states": ["selangor"], "languages": ["ms"], "priority": 1},
        {"id": "shelter-a", "name": "Shelter A", "services": ["safe_shelter"],
         "states": ["selangor"], "languages": ["ms"], "priority": 1},
        {"id": "shelter-b", "name": "Shelter B", "services": ["safe_shelter"],
         "states": ["selangor", "johor"], "districts": ["klang"], "languages": ["ms"],
         "priority": 2},
        {"id": "clinic-1", "name": "Clinic", "services": ["health"], "states": ["*"]},
        {"id": "legal-1", "name": "Legal aid", "services": ["legal_aid"], "states": ["*"]},
    ],
}  # fmt: skip


class FixedClock:
    """A clock that says what the test tells it."""

    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


# The default policy offers an urgent shelter to three shelters at once; these tests ask
# one provider at a time (as for every other service), offers have tests of their own.
ONE_AT_A_TIME = DEFAULT_POLICY_FILE.read_text().replace("offer_to = 3\n", "offer_to = 1\n")


@pytest.fixture
async def router(stack, schema, tmp_path, clock):
    """The router started without Faust: `deliver` hands it events as its consumer would."""
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(ONE_AT_A_TIME)
    async for runtime in _started(stack, schema, tmp_path, clock, policy_file, DIRECTORY):
        yield runtime


@pytest.fixture
async def offering(stack, schema, tmp_path, clock):
    """The router with the default policy (urgent shelter offered to three at once)."""
    async for runtime in _started(
        stack, schema, tmp_path, clock, DEFAULT_POLICY_FILE, OFFER_DIRECTORY
    ):
        yield runtime


# Four shelters in Selangor: an offer to three, and one left for the next offer.
OFFER_DIRECTORY = {
    "version": "test-directory-offers",
    "providers": [
        *DIRECTORY["providers"],
        {"id": "shelter-c", "name": "Shelter C", "services": ["safe_shelter"],
         "states": ["selangor"], "languages": ["ms"], "priority": 3},
        {"id": "shelter-d", "name": "Shelter D", "services": ["safe_shelter"],
         "states": ["selangor"], "languages": ["ms"], "priority": 4},
    ],
}  # fmt: skip


async def _started(stack, schema, tmp_path, clock, policy_file, directory):
    directory_file = tmp_path / "directory.json"
    directory_file.write_text(json.dumps(directory))
    settings = RouterSettings(
        **stack.kafka_settings("router"),
        database_url=stack.database_url,
        directory_file=directory_file,
        policy_file=policy_file,
    )
    runtime = Runtime(build(settings, schema=schema, clock=clock))
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


def _case_opened(case_id: uuid.UUID | None = None, **situation: Any) -> Envelope[CaseOpened]:
    """A CaseOpened from intake for a 12-year-old citizen girl in Selangor."""
    fields: dict[str, Any] = {"location": Location.COMMUNITY, "state": MalaysianState.SELANGOR}
    payload = CaseOpened(
        case_id=case_id or uuid.uuid4(),
        agency_id="pdrm-selangor",
        identified_at=IDENTIFIED,
        opened_at=IDENTIFIED + timedelta(minutes=1),
        child=ChildProfile(
            age_years=12,
            gender=Gender.FEMALE,
            nationality_status=situation.pop("nationality_status", NationalityStatus.CITIZEN),
            languages=("ms",),
        ),
        situation=Situation(**(fields | situation)),
    )
    return Envelope.wrap(payload, event_id=uuid.uuid4(), time=NOW, source="/lindung/intake")


def _provider_responded(
    referral: Any,
    response: ResponseKind,
    *,
    provider_id: str | None = None,
    reason: ReasonCode | None = None,
    at: datetime | None = None,
    outcome: Outcome | None = None,
    outcome_reason: ReasonCode | None = None,
) -> Envelope[ProviderResponded]:
    """A provider's answer to a referral, as intake publishes it."""
    payload = ProviderResponded(
        response_id=uuid.uuid4(),
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        provider_id=provider_id or referral.provider_id,
        response=response,
        reason=reason,
        responded_at=at or NOW + timedelta(minutes=10),
        outcome=outcome,
        outcome_reason=outcome_reason,
    )
    return Envelope.wrap(payload, event_id=uuid.uuid4(), time=NOW, source="/lindung/intake")


async def _outbox(wired) -> list[tuple[bytes, Any]]:
    """Every event the router queued, in order: (Kafka key, decoded payload)."""
    async with wired.service.db.pool.acquire() as conn:
        rows = await conn.fetch("SELECT key, value FROM outbox ORDER BY id")
    return [(bytes(row["key"]), decode(bytes(row["value"])).data) for row in rows]


async def _referrals(wired) -> list[dict[str, Any]]:
    """Every stored referral, in the order they were made."""
    async with wired.service.db.pool.acquire() as conn:
        rows = await conn.fetch("SELECT * FROM referrals ORDER BY created_at, service, attempt")
    return [dict(row) for row in rows]


# Builders as fixtures: test modules are imported by path, so they cannot import this file.
@pytest.fixture
def case_opened():
    return _case_opened


@pytest.fixture
def provider_responded():
    return _provider_responded


@pytest.fixture
def outbox():
    return _outbox


@pytest.fixture
def referrals():
    return _referrals
