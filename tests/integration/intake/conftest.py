"""Intake wired to the real PostgreSQL and Kafka, in a schema of its own per test."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from lindung_common import Runtime
from lindung_common.keys import hash_key
from lindung_contracts import (
    ChildSummary,
    EscalationStep,
    Gender,
    RecipientRole,
    ReferralRequested,
    ServiceType,
    StepKind,
    decode,
)
from lindung_contracts import Envelope as _Envelope
from lindung_intake.bootstrap import build
from lindung_intake.settings import IntakeSettings

if TYPE_CHECKING:
    from fastapi import FastAPI
    from lindung_intake.use_cases import Intake

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
IDENTIFIED = NOW - timedelta(minutes=40)

# The keys callers present; the file holds only their hashes.
AGENCY, OTHER_AGENCY = "pdrm-kl", "jtk-johor"
PROVIDER, OTHER_PROVIDER = "shelter-kl-1", "shelter-kl-2"
COORDINATOR = "coordinator-kl"
OPERATIONS = "ops-secretariat"
KEYS = {
    "key-of-pdrm-kl-3f9a": ("agency", AGENCY),
    "key-of-jtk-johor-77c1": ("agency", OTHER_AGENCY),
    "key-of-shelter-kl-1-0b2e": ("provider", PROVIDER),
    "key-of-shelter-kl-2-d4a8": ("provider", OTHER_PROVIDER),
    "key-of-coordinator-kl-5e61": ("coordinator", COORDINATOR),
    "key-of-ops-secretariat-a1c9": ("operations", OPERATIONS),
}


def _bearer(holder: str) -> dict[str, str]:
    key = next(k for k, (_, who) in KEYS.items() if who == holder)
    return {"Authorization": f"Bearer {key}"}


@dataclass(frozen=True)
class Callers:
    """Authorization headers for each key holder."""

    agency: dict[str, str]
    other_agency: dict[str, str]
    provider: dict[str, str]
    other_provider: dict[str, str]
    coordinator: dict[str, str]
    operations: dict[str, str]


class FixedClock:
    """A clock that says what the test tells it."""

    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


@dataclass(frozen=True)
class Wired:
    """Intake as `bootstrap.build` wires it, started."""

    runtime: Runtime
    intake: Intake
    api: FastAPI
    settings: IntakeSettings


# The secret the test keys are hashed under; intake's `key_secret`.
KEY_SECRET = "test-key-secret-0123456789abcdef-0123456789"
# The key intake seals personal details under; intake's `data_keys`.
DATA_KEYS = "test-1:" + base64.b64encode(bytes(range(32))).decode()


def write_keys_file(path) -> None:
    """The API keys file for KEYS: keyed hashes only."""
    entries = [
        {
            "key_id": f"k_{who}",
            "hmac_sha256": hash_key(key, KEY_SECRET.encode()),
            "kind": kind,
            "id": who,
        }
        for key, (kind, who) in KEYS.items()
    ]
    path.write_text(json.dumps({"keys": entries}))


@pytest.fixture
def callers() -> Callers:
    return Callers(
        agency=_bearer(AGENCY),
        other_agency=_bearer(OTHER_AGENCY),
        provider=_bearer(PROVIDER),
        other_provider=_bearer(OTHER_PROVIDER),
        coordinator=_bearer(COORDINATOR),
        operations=_bearer(OPERATIONS),
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def keys_file(tmp_path):
    path = tmp_path / "keys.json"
    write_keys_file(path)
    return path


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Settings a test module changes (override this fixture there)."""
    return {}


@pytest.fixture
async def wired(stack, schema, keys_file, clock, settings_overrides):
    chosen: dict[str, Any] = {
        **stack.kafka_settings("intake"),
        "database_url": stack.database_url,
        "api_keys_file": keys_file,
        "key_secret": KEY_SECRET,
        "data_keys": DATA_KEYS,
        "http_port": 0,
        # An unknown referral's 404 comes after this wait: short, so the tests move on.
        "answer_wait_seconds": 0.5,
        # The door reads these agencies' own topics (made for the run's stack).
        "kafka_agencies": (AGENCY, OTHER_AGENCY),
    }
    settings = IntakeSettings(**(chosen | settings_overrides))
    service = build(settings, schema=schema, clock=clock, ids=uuid.uuid4)
    runtime = Runtime(service)
    await runtime.start()
    assert service.api is not None
    try:
        yield Wired(runtime, service.api.state.intake, runtime.web(), settings)
    finally:
        await runtime.stop()


@pytest.fixture
async def client(wired):
    transport = httpx.ASGITransport(app=wired.api)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        yield http


def _identification(**changes: Any) -> dict[str, Any]:
    """A valid identification body with a reference of its own; `child`/`situation` merge."""
    body: dict[str, Any] = {
        "agency_reference": f"PDRM/KL/2026/{uuid.uuid4().hex[:10]}",
        "identified_at": IDENTIFIED.isoformat(),
        "child": {
            "age_years": 15,
            "gender": "female",
            "nationality_status": "refugee",
            "languages": ["rhg", "ms"],
        },
        "situation": {
            "indicators": ["sexual_exploitation", "sexual_violence"],
            "sexual_violence_at": (IDENTIFIED - timedelta(hours=10)).isoformat(),
            "location": "police_lockup",
            "state": "kuala_lumpur",
            "safe_place_tonight": False,
            "interview_scheduled": True,
        },
    }
    for name in ("child", "situation"):
        body[name] |= changes.pop(name, {})
    return body | changes


def _referral_requested(
    *, provider_id: str = PROVIDER, case_id: uuid.UUID | None = None
) -> _Envelope[ReferralRequested]:
    """A ReferralRequested from the router, addressed to one provider."""
    due = NOW + timedelta(hours=4)
    payload = ReferralRequested(
        referral_id=uuid.uuid4(),
        case_id=case_id or uuid.uuid4(),
        agency_id=AGENCY,
        service=ServiceType.SAFE_SHELTER,
        provider_id=provider_id,
        attempt=1,
        urgent=True,
        reasons=("every identified child is referred to a safe shelter",),
        requested_at=NOW,
        due_at=due,
        escalation=(
            EscalationStep(
                kind=StepKind.ESCALATION,
                level=1,
                percent_of_window=100,
                at=due,
                notify=RecipientRole.CASE_COORDINATOR,
            ),
        ),
        policy_version="test-1",
        child=ChildSummary(
            age_years=15, age_disputed=False, gender=Gender.FEMALE, languages=("ms",)
        ),
    )
    return _Envelope.wrap(payload, event_id=uuid.uuid4(), time=NOW, source="/lindung/router")


async def _outbox(runtime) -> list[dict[str, Any]]:
    """Every event intake queued, in order, decoded (`event`) beside the raw row."""
    async with runtime.service.db.pool.acquire() as conn:
        rows = await conn.fetch("SELECT * FROM outbox ORDER BY id")
    return [dict(row) | {"event": decode(bytes(row["value"]))} for row in rows]


# Helpers as fixtures: test modules are imported by path, so they cannot import this file.
@pytest.fixture
def identification():
    return _identification


@pytest.fixture
def referral_requested():
    return _referral_requested


@pytest.fixture
def outbox(wired):
    """`await outbox()`: every event this intake queued, in order."""

    async def read() -> list[dict[str, Any]]:
        return await _outbox(wired.runtime)

    return read


@pytest.fixture
def keys():
    """The raw keys by holder, for tests that must present them over real HTTP."""
    return {who: key for key, (_, who) in KEYS.items()}


@pytest.fixture
def key_secret() -> str:
    """The secret the test keys file is hashed under."""
    return KEY_SECRET


@pytest.fixture
def data_keys() -> str:
    """Intake's `data_keys` in these tests."""
    return DATA_KEYS
