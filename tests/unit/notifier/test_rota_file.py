"""The rota file: validated at start, every bad entry named, no value repeated."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lindung_notifier
import pytest
from lindung_common import ConfigError
from lindung_contracts import MalaysianState
from lindung_notifier.adapters.rota_file import RotaFileError, load_rotas, parse_rotas
from lindung_notifier.domain import HolidayCalendar, Recipient, holders

GOOD: dict[str, Any] = {
    "hand_over_after_attempts": 2,
    "people": {
        "sbh-duty": {
            "name": "Aminah (duty coordinator)",
            "webhook_url": "https://jkm-sabah.example/duty",
            "sms": {"to": "+60198765432", "language": "ms"},
        },
        "sbh-lead": {"name": "Daniel (lead)", "email": {"address": "lead@jkm.example"}},
    },
    "rotas": {
        "case_coordinator": {
            "sabah": {
                "shifts": [
                    {
                        "person": "sbh-duty",
                        "days": ["sat", "sun", "public_holiday"],
                        "start": "20:00",
                        "end": "08:00",
                        "stand_ins": ["sbh-lead"],
                    }
                ]
            }
        }
    },
}


def parse(document: dict[str, Any]) -> Any:
    return parse_rotas(json.dumps(document), source="rotas.json")


def with_shift(**changes: Any) -> dict[str, Any]:
    document = json.loads(json.dumps(GOOD))
    document["rotas"]["case_coordinator"]["sabah"]["shifts"][0].update(changes)
    return document


def test_a_good_file_gives_each_role_and_state_its_rota_and_people_their_channels():
    rotas = parse(GOOD)

    rota = rotas.rota("case_coordinator", "sabah")
    assert rota is not None
    [shift] = rota.shifts
    assert (shift.person, shift.stand_ins, shift.covers_holidays()) == (
        "sbh-duty",
        ("sbh-lead",),
        True,
    )
    assert rotas.rota("case_coordinator", "selangor") is None
    assert rotas.hand_over_after_attempts == 2
    duty = rotas.person("sbh-duty")
    assert duty is not None
    assert [c.value for c in duty.channels()] == ["webhook", "sms"]


@pytest.mark.parametrize(
    ("document", "named"),
    [
        (with_shift(person="nobody"), "rotas.case_coordinator.sabah.shifts.0: no person 'nobody'"),
        (with_shift(stand_ins=["sbh-lead", "ghost"]), "shifts.0: no person 'ghost' in people"),
        (with_shift(start="25:00"), "rotas.case_coordinator.sabah.shifts.0.start"),
        (with_shift(end="08:00+08:00"), "shifts.0.end: Value error, a shift's times are"),
        (with_shift(days=["monday"]), "shifts.0.days.0"),
        (with_shift(days=[]), "shifts.0.days"),
        (with_shift(hours="always"), "shifts.0.hours: Extra inputs are not permitted"),
        ({**GOOD, "rotas": {"supervisors": {}}}, "rotas.supervisors.[key]"),
        ({**GOOD, "rotas": {"case_coordinator": {"sabahh": {}}}}, "case_coordinator.sabahh.[key]"),
        ({**GOOD, "rotas": {"provider": {}}}, "rotas.provider: providers are reached by"),
        ({**GOOD, "people": {"Sbh Duty": GOOD["people"]["sbh-duty"]}}, "people.Sbh Duty.[key]"),
        ({**GOOD, "people": {"x": {"name": "X"}}}, "people.x: Value error, give a webhook_url"),
        ({**GOOD, "hand_over_after_attempts": 0}, "hand_over_after_attempts"),
    ],
)
def test_a_bad_entry_stops_start_up_naming_it(document, named):
    with pytest.raises(RotaFileError) as raised:
        parse(document)

    assert isinstance(raised.value, ConfigError)  # exit code 2, one line on stderr
    assert str(raised.value).startswith("rota file rotas.json: ")
    assert named in str(raised.value)


def test_no_phone_or_address_is_repeated_in_the_reason():
    document = json.loads(json.dumps(GOOD))
    document["people"]["sbh-duty"]["sms"]["to"] = "0198765432"  # not E.164

    with pytest.raises(RotaFileError) as raised:
        parse(document)

    assert "people.sbh-duty.sms.to" in str(raised.value)
    assert "0198765432" not in str(raised.value)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(RotaFileError, match=r"rota file .*missing.json: cannot read"):
        load_rotas(tmp_path / "missing.json")


def test_a_person_is_a_recipient_of_their_own_kind():
    assert Recipient.person("sbh-duty").describe() == "person sbh-duty"


def test_the_example_file_is_valid_and_covers_a_sabah_holiday_night():
    example = Path(lindung_notifier.__file__).parents[2] / "rotas.example.json"
    rotas = load_rotas(example)

    night_of_kaamatan = datetime(2026, 5, 29, 18, 0, tzinfo=UTC)  # 02:00, 30 May, Malaysia
    chain = holders(
        rotas, "case_coordinator", MalaysianState.SABAH, night_of_kaamatan, HolidayCalendar()
    )
    assert [h.person_id for h in chain] == ["sbh-cc-holiday", "sbh-cc-night", "sbh-cc-lead", None]
