"""The contract checks intake relies on to refuse an identification, field by field."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from lindung_contracts import MOST_ERRORS, Identification, field_errors
from pydantic import ValidationError

VALID: dict[str, Any] = {
    "agency_reference": "PDRM/KL/2026/000731",
    "identified_at": "2026-03-02T09:30:00+08:00",
    "child": {
        "age_years": 15,
        "gender": "female",
        "nationality_status": "refugee",
        "languages": ["rhg", "ms"],
    },
    "situation": {
        "indicators": ["sexual_exploitation", "sexual_violence"],
        "sexual_violence_at": "2026-03-01T22:00:00+08:00",
        "location": "police_lockup",
        "state": "kuala_lumpur",
    },
}


def _with(path: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    target = body
    for part in parents:
        target = target[part]
    target[last] = value
    return body


def _refusals(body: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        Identification.model_validate(body)
    return [(e.field, e.reason) for e in field_errors(caught.value)]


def test_the_example_identification_is_valid():
    identification = Identification.model_validate(VALID)
    assert identification.child.age_years == 15


def test_an_adult_age_that_is_not_disputed_is_refused_naming_age_years():
    refusals = _refusals(_with("child.age_years", 19))
    assert len(refusals) == 1
    field, reason = refusals[0]
    assert field.startswith("child")
    assert "age_years" in reason
    assert "age_disputed" in reason  # tells the agency how to report a disputed age


def test_eighteen_undisputed_is_already_an_adult_and_refused():
    assert _refusals(_with("child.age_years", 18))


@pytest.mark.parametrize("age", [17, None, 0])
def test_a_child_age_or_an_unknown_age_is_accepted(age):
    assert Identification.model_validate(_with("child.age_years", age)).child.age_years == age


def test_a_disputed_adult_age_is_accepted_and_treated_as_a_child():
    body = _with("child.age_years", 19)
    body["child"]["age_disputed"] = True
    child = Identification.model_validate(body).child
    assert (child.age_years, child.age_disputed) == (19, True)


def test_sexual_violence_after_identification_is_accepted():
    # Violence after the child was identified (in custody, say) is reported like any other:
    # the post-exposure clock runs from it. No published schema could say otherwise.
    body = _with("situation.sexual_violence_at", "2026-03-02T09:31:00+08:00")
    assert Identification.model_validate(body).situation.sexual_violence_at is not None


def test_sexual_violence_at_the_moment_of_identification_is_accepted():
    body = _with("situation.sexual_violence_at", VALID["identified_at"])
    assert Identification.model_validate(body).situation.sexual_violence_at is not None


def test_repeated_indicators_are_refused():
    refusals = _refusals(_with("situation.indicators", ["forced_labour", "forced_labour"]))
    assert [field for field, _ in refusals] == ["situation.indicators"]
    assert "repeat" in refusals[0][1]


@pytest.mark.parametrize("code", ["MS", "english", "m", "r1g", "ms-MY", ""])
def test_a_bad_language_code_is_refused_naming_its_place(code):
    refusals = _refusals(_with("child.languages", ["ms", code]))
    assert [field for field, _ in refusals] == ["child.languages.1"]


def test_a_bad_agency_language_code_is_refused_too():
    refusals = _refusals(_with("situation.agency_languages", ["BM"]))
    assert [field for field, _ in refusals] == ["situation.agency_languages.0"]


@pytest.mark.parametrize("code", ["ms", "rhg", "my"])
def test_two_and_three_letter_lower_case_codes_are_accepted(code):
    identification = Identification.model_validate(_with("child.languages", [code]))
    assert identification.child.languages == (code,)


def test_every_bad_field_is_reported_at_once_without_its_value():
    body = _with("situation.state", "atlantis_sentinel")
    del body["identified_at"]
    body["child"]["gender"] = "sentinel-gender"
    refusals = _refusals(body)
    assert {field for field, _ in refusals} == {"identified_at", "situation.state", "child.gender"}
    assert not any("sentinel" in reason for _, reason in refusals)


def test_a_time_without_a_timezone_is_refused():
    refusals = _refusals(_with("identified_at", "2026-03-02T09:30:00"))
    assert [field for field, _ in refusals] == ["identified_at"]


def test_an_unknown_field_is_refused_rather_than_ignored():
    refusals = _refusals(_with("child.name", "sentinel name"))
    # A key the model does not declare under `child` is never repeated, whatever it is.
    assert refusals == [("child.<key>", "Extra inputs are not permitted")]


@pytest.mark.parametrize("made_up", ["AyeAyeMon", "MMR17C01234", "agency_reference", "x"])
def test_a_made_up_key_is_never_echoed_however_much_it_looks_like_a_field(made_up):
    body = _with(f"child.{made_up}", 1)
    body["personal"] = {"documents": [{"kind": "passport", "number": "A1", made_up: 2}]}

    refusals = _refusals(body)

    assert sorted(field for field, _ in refusals) == [
        "child.<key>",
        "personal.documents.0.<key>",
    ]


def test_at_most_a_few_dozen_errors_are_listed_and_the_rest_counted():
    body = copy.deepcopy(VALID)
    body["child"] |= {f"k{n}": n for n in range(5000)}
    with pytest.raises(ValidationError) as caught:
        Identification.model_validate(body)

    errors = field_errors(caught.value, whole="body")

    assert len(errors) == MOST_ERRORS + 1
    assert {e.field for e in errors[:-1]} == {"child.<key>"}
    assert (errors[-1].field, errors[-1].reason) == (
        "body",
        f"{5000 - MOST_ERRORS} more errors not listed",
    )
