"""The policy and directory files: what they accept, and how clearly they refuse."""

from __future__ import annotations

import json
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from lindung_contracts import MalaysianState, ServiceType
from lindung_router.adapters.config_files import ConfigFileError, load_directory, load_policy
from lindung_router.domain import Directory, Policy, choose_provider, parse_duration
from lindung_router.settings import DEFAULT_POLICY_FILE, RouterSettings
from pydantic import ValidationError

DEMO = Path(__file__).parents[3] / "deploy" / "demo"
S = ServiceType


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("15m", timedelta(minutes=15)),
        ("1h", timedelta(hours=1)),
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("1h30m", timedelta(minutes=90)),
        ("0s", timedelta(0)),
    ],
)
def test_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "15", "1 h", "2 hours", "1.5h", "-1h", "1w", "h", 60, None])
def test_bad_durations_are_refused_with_an_example(text):
    with pytest.raises(ValueError, match=r"write e\.g\. '30s', '15m'"):
        parse_duration(text)


def policy_document(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "version": "p-1",
        "windows": {s.value: {"normal": "24h", "urgent": "4h"} for s in ServiceType},
        "ladder": {
            "warning_percents": [50, 75],
            "level2_after_percent": 50,
            "level2_min_gap": "1h",
            "level3_after_percent": 100,
        },
    }
    return document | overrides


def with_window(service: str, **window: str) -> dict[str, Any]:
    document = policy_document()
    document["windows"][service] = window
    return document


def with_ladder(**ladder: Any) -> dict[str, Any]:
    document = policy_document()
    document["ladder"] = document["ladder"] | ladder
    return document


@pytest.mark.parametrize(
    ("document", "where", "says"),
    [
        pytest.param(
            {k: v for k, v in policy_document().items() if k != "version"},
            "version",
            "Field required",
            id="no version",
        ),
        pytest.param(
            policy_document(
                windows={
                    s.value: {"normal": "1h", "urgent": "15m"}
                    for s in ServiceType
                    if s is not S.PSYCHOSOCIAL
                }
            ),
            "windows",
            "windows missing for: psychosocial",
            id="a service without a window",
        ),
        pytest.param(
            with_window("health", normal="2 days", urgent="2h"),
            "windows.health.normal",
            "not a duration: '2 days'",
            id="unreadable duration",
        ),
        pytest.param(
            with_window("health", normal="2h", urgent="48h"),
            "windows.health",
            "urgent (2d) is longer than normal (2h)",
            id="urgent longer than normal",
        ),
        pytest.param(
            with_window("health", normal="0s", urgent="0s"),
            "windows.health",
            "longer than 0s",
            id="empty window",
        ),
        pytest.param(
            with_window("health", normal="48h", urgent="2h", urgnet="1h"),
            "windows.health.urgnet",
            "Extra inputs are not permitted",
            id="misspelt key",
        ),
        pytest.param(
            policy_document(windows={"counselling": {"normal": "1h", "urgent": "1h"}}),
            "windows.counselling",
            "Input should be",
            id="unknown service",
        ),
        pytest.param(
            with_ladder(warning_percents=[75, 50]),
            "ladder",
            "strictly increasing",
            id="warnings out of order",
        ),
        pytest.param(
            with_ladder(warning_percents=[50, 100]),
            "ladder",
            "between 1 and 99",
            id="warning at the deadline",
        ),
        pytest.param(
            with_ladder(level3_after_percent=50),
            "ladder",
            "level3_after_percent must be greater",
            id="level 3 not after level 2",
        ),
        pytest.param(
            policy_document(package_window="0s"),
            "package_window",
            "longer than 0s",
            id="empty package window",
        ),
    ],
)
def test_a_bad_policy_is_refused_naming_the_field(document, where, says):
    with pytest.raises(ValidationError) as caught:
        Policy.model_validate(document)
    errors = caught.value.errors()
    assert any(".".join(map(str, e["loc"])).startswith(where) and says in e["msg"] for e in errors)


def test_the_ladder_may_be_left_to_its_defaults():
    document = policy_document()
    del document["ladder"]
    ladder = Policy.model_validate(document).ladder
    assert ladder.warning_percents == (50, 75)
    assert ladder.level2_min_gap == timedelta(hours=1)
    assert (ladder.level2_after_percent, ladder.level3_after_percent) == (50, 100)
    # PagerDuty's default acknowledgement timeout.
    assert ladder.acknowledgement_window == timedelta(minutes=30)


def test_an_acknowledgement_window_under_a_second_is_refused():
    document = policy_document()
    document["ladder"] = {"acknowledgement_window": "0s"}
    with pytest.raises(ValidationError, match="acknowledgement_window must be at least 1s"):
        Policy.model_validate(document)


def provider(**overrides: Any) -> dict[str, Any]:
    return {
        "id": "shelter-sel-1",
        "name": "Shelter",
        "services": ["safe_shelter"],
        "states": ["selangor"],
        "languages": ["ms"],
        "accepting": True,
        "priority": 1,
    } | overrides


@pytest.mark.parametrize(
    ("providers", "where", "says"),
    [
        pytest.param([provider(), provider()], "", "provider ids repeat: shelter-sel-1", id="dupe"),
        pytest.param([provider(id="Shelter 1")], "providers.0.id", "pattern", id="bad slug"),
        pytest.param(
            [provider(services=["massage"])], "providers.0.services.0", "Input should be", id="svc"
        ),
        pytest.param([provider(services=[])], "providers.0.services", "at least 1", id="none"),
        pytest.param(
            [provider(states=["singapore"])], "providers.0.states.0", "Input should be", id="state"
        ),
        pytest.param(
            [provider(states=["*", "johor"])], "providers.0", "`*` already means", id="star+"
        ),
        pytest.param(
            [provider(languages=["Burmese"])], "providers.0.languages.0", "pattern", id="lang"
        ),
        pytest.param([provider(priority=-1)], "providers.0.priority", "greater", id="priority"),
        pytest.param(
            [provider(acepting=False)], "providers.0.acepting", "Extra inputs", id="misspelt"
        ),
    ],
)
def test_a_bad_directory_is_refused_naming_the_field(providers, where, says):
    with pytest.raises(ValidationError) as caught:
        Directory.model_validate({"version": "d-1", "providers": providers})
    errors = caught.value.errors()
    assert any(".".join(map(str, e["loc"])).startswith(where) and says in e["msg"] for e in errors)


def test_a_bad_policy_file_fails_with_the_file_and_the_field(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(DEFAULT_POLICY_FILE.read_text().replace('urgent = "15m"', 'urgent = "soon"'))
    with pytest.raises(ConfigFileError) as caught:
        load_policy(path)
    message = str(caught.value)
    assert str(path) in message
    assert "windows.child_protector.urgent" in message
    assert "'soon'" in message


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("version = [", "not valid TOML"),
        (None, "cannot be read"),
    ],
)
def test_an_unreadable_policy_file_says_why(tmp_path, content, says):
    path = tmp_path / "policy.toml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigFileError, match=says):
        load_policy(path)


def test_a_bad_directory_file_fails_with_the_file_and_the_reason(tmp_path):
    path = tmp_path / "directory.json"
    path.write_text('{"version": "d", "providers": [}')
    with pytest.raises(ConfigFileError, match=r"directory file .*directory\.json: not valid JSON"):
        load_directory(path)


def test_settings_default_to_the_packaged_policy_and_port():
    settings = RouterSettings(
        kafka_bootstrap_servers="localhost:9092",
        kafka_sasl_username="router",
        kafka_sasl_password="secret",
        database_url="postgresql://x@localhost/x",
        directory_file=DEMO / "directory.hsds.json",
    )
    assert settings.policy_file == DEFAULT_POLICY_FILE
    assert settings.http_port == 8081
    assert settings.db_schema == "router"


def test_settings_require_a_directory_file(monkeypatch):
    monkeypatch.delenv("ROUTER_DIRECTORY_FILE", raising=False)
    with pytest.raises(ValidationError, match="directory_file"):
        RouterSettings(
            kafka_bootstrap_servers="k:1",
            kafka_sasl_username="router",
            kafka_sasl_password="secret",
            database_url="postgresql://x@h/x",
        )


def test_every_window_in_the_default_policy_cites_its_source():
    # Each [windows.*] table is preceded by a comment saying where its numbers come from.
    lines = DEFAULT_POLICY_FILE.read_text().splitlines()
    for service in ServiceType:
        header = lines.index(f"[windows.{service.value}]")
        assert lines[header + 1].startswith("# "), service
    assert tomllib.loads(DEFAULT_POLICY_FILE.read_text())["version"]


def test_the_demo_policy_escalates_within_seconds():
    demo = load_policy(DEMO / "policy.toml")
    assert demo.version == "demo-seconds-1"
    assert demo.ladder.level2_min_gap == timedelta(0)
    assert max(w.normal for w in demo.windows.values()) <= timedelta(minutes=1)


DEMO_STATES = [
    MalaysianState.SELANGOR,
    MalaysianState.KUALA_LUMPUR,
    MalaysianState.JOHOR,
    MalaysianState.SABAH,
    MalaysianState.PERAK,
]


@pytest.mark.parametrize("state", DEMO_STATES)
@pytest.mark.parametrize("service", list(ServiceType))
def test_the_demo_directory_covers_every_service_in_every_demo_state(service, state):
    directory = load_directory(DEMO / "directory.hsds.json")
    choice = choose_provider(directory, service, state=state, languages=())
    assert choice.provider is not None


def test_the_demo_directory_has_somewhere_to_reroute_to_and_the_providers_the_demo_needs():
    directory = load_directory(DEMO / "directory.hsds.json")
    raw = json.loads((DEMO / "directory.hsds.json").read_text())
    assert len(raw) == len(directory.providers)  # every HSDS service is a provider routed to

    def offering(service, state):
        return [
            p
            for p in directory.providers
            if service in p.services and p.accepting and p.serves(state)
        ]

    for state in (MalaysianState.SELANGOR, MalaysianState.KUALA_LUMPUR):
        assert len(offering(S.SAFE_SHELTER, state)) >= 2
        assert len(offering(S.LEGAL_AID, state)) >= 2
    assert any(p.states == ("*",) for p in directory.providers if S.UNHCR in p.services)
    interpreters = [p for p in directory.providers if S.INTERPRETATION in p.services]
    assert {"my", "rhg"} <= {lang for p in interpreters for lang in p.languages}
    protectors = {
        state
        for p in directory.providers
        if S.CHILD_PROTECTOR in p.services and p.states != ("*",)
        for state in p.states
    }
    assert set(DEMO_STATES) <= protectors
