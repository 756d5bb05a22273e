"""The published schemas say every rule the models enforce: what one accepts, so does the other.

A producer outside this code base knows Lindung only by its schemas. A document they
accept and the model refuses is a request schemathesis calls "schema-valid but rejected",
and an agency system's event dead-lettered for a rule it could not read anywhere. Three
checks hold the two together:

- every validator in the models is one of the rules below (a new one fails here until its
  rule is stated in the schema and given probes);
- each rule's probes, documents on both sides of it, get the same verdict from the
  committed schema and from the model;
- documents generated from each committed schema (schemathesis's generator, the one that
  found the first disagreement) are all accepted by the model.
"""

from __future__ import annotations

import json
from copy import deepcopy
from typing import TYPE_CHECKING, Any

import jsonschema_rs
import lindung_contracts
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from lindung_contracts import (
    PAYLOAD_TYPES,
    CaseOpened,
    Envelope,
    Identification,
    IdentificationReported,
)
from lindung_contracts.generate import CONTRACTS_DIR
from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

REPORTED = IdentificationReported.event_type
OPENED = CaseOpened.event_type
HTTP_BODY = "POST /v1/identifications"
# Every validator in the models, by where it is defined: each is a rule of the contract.
RULES = {
    "lindung_contracts._base._in_utc_range": "a time UTC can hold",
    "lindung_contracts._base._no_repeats": "items that must not repeat",
    "lindung_contracts.identification.ChildProfile._presumed_minor": "18 or more: age disputed",
    "lindung_contracts.identification.Consent._given_by_whom": "consent says who gave it",
    "lindung_contracts.identification.IdentificationReported._no_personal_details": (
        "no personal details on Kafka"
    ),
}


def _validators(node: Any, seen: set[int]) -> Iterator[str]:
    """Every function pydantic calls while validating, found in a core schema."""
    if isinstance(node, dict):
        if id(node) in seen:
            return
        seen.add(id(node))
        function = node.get("function")
        if isinstance(function, dict) and callable(function.get("function")):
            found = function["function"]
            yield f"{found.__module__}.{found.__qualname__}"
        for value in node.values():
            yield from _validators(value, seen)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _validators(value, seen)


def test_every_validator_in_the_models_is_a_rule_with_probes_here():
    models = [
        value
        for value in vars(lindung_contracts).values()
        if isinstance(value, type) and issubclass(value, BaseModel)
    ]
    models += [Envelope[payload] for payload in PAYLOAD_TYPES.values()]
    found = {v for model in models for v in _validators(model.__pydantic_core_schema__, set())}

    unknown = found - RULES.keys()
    assert not unknown, (
        f"{sorted(unknown)}: a model enforces a rule the schemas may not state. State it "
        "in the schema (`Distinct`, `stated(...)` beside the validator, a JSON Schema "
        "keyword) and add probes here, or stop enforcing it"
    )
    assert found == RULES.keys(), f"rules no model enforces any more: {RULES.keys() - found}"


# --- probes: documents on both sides of each rule ----------------------------------------


def _example(event_type: str) -> dict[str, Any]:
    return json.loads((CONTRACTS_DIR / "examples" / f"{event_type}.json").read_text())


def _data(event_type: str) -> dict[str, Any]:
    return _example(event_type)["data"]


def _http_body() -> dict[str, Any]:
    body = deepcopy(_data(REPORTED)["identification"])
    body["personal"] = {
        "name": "Test Child",
        "documents": [{"kind": "unhcr_card", "number": "MYS-17C01234"}],
    }
    return body


def _schema(target: str) -> dict[str, Any]:
    if target == HTTP_BODY:  # the body's schema as intake's OpenAPI document publishes it
        return Identification.model_json_schema()
    return json.loads((CONTRACTS_DIR / "schemas" / f"{target}.json").read_text())


def _model(target: str) -> Callable[[Any], object]:
    if target == HTTP_BODY:
        return Identification.model_validate
    if target == "envelope":
        return lambda document: Envelope[PAYLOAD_TYPES[document["type"]]].model_validate(document)
    return PAYLOAD_TYPES[target].model_validate


def _document(target: str) -> dict[str, Any]:
    if target == HTTP_BODY:
        return _http_body()
    if target == "envelope":
        return _example(OPENED)
    return _data(target)


def _facts(d: dict[str, Any]) -> dict[str, Any]:
    """The identification itself: the data of a report, or the HTTP body, or a case."""
    return d.get("identification", d)


def _child(d: dict[str, Any]) -> dict[str, Any]:
    return _facts(d)["child"]


def _situation(d: dict[str, Any]) -> dict[str, Any]:
    return _facts(d)["situation"]


def _consent(d: dict[str, Any]) -> dict[str, Any]:
    return _facts(d)["consent"]


def _set(place: Callable[[dict[str, Any]], dict[str, Any]], **values: Any):
    return lambda d: place(d).update(values)


def _drop(place: Callable[[dict[str, Any]], dict[str, Any]], name: str):
    return lambda d: place(d).pop(name, None)


def _both(*changes: Callable[[dict[str, Any]], object]):
    return lambda d: [change(d) for change in changes]


def _documents(*documents: dict[str, Any]):
    return lambda d: d.__setitem__("personal", {"documents": list(documents)})


def _at(name: str, value: str):
    return lambda d: d.__setitem__(name, value)


ADULT = 18
PASSPORT = {"kind": "passport", "number": "MA1234567", "issuing_country": "MMR"}
# (rule, what is sent, where, the change to a golden example, accepted?)
PROBES = [
    ("_presumed_minor", "17", OPENED, _set(_child, age_years=17, age_disputed=False), True),
    ("_presumed_minor", "18 undisputed", OPENED, _set(_child, age_years=ADULT), False),
    (
        "_presumed_minor",
        "18 absent",
        OPENED,
        _both(_set(_child, age_years=ADULT), _drop(_child, "age_disputed")),
        False,
    ),
    ("_presumed_minor", "18 disputed", OPENED, _set(_child, age_years=30, age_disputed=True), True),
    ("_presumed_minor", "unknown age", REPORTED, _set(_child, age_years=None), True),
    ("_presumed_minor", "19 on Kafka", REPORTED, _set(_child, age_years=19), False),
    ("_presumed_minor", "19 over HTTP", HTTP_BODY, _set(_child, age_years=19), False),
    (
        "_presumed_minor",
        "19 disputed over HTTP",
        HTTP_BODY,
        _set(_child, age_years=19, age_disputed=True),
        True,
    ),
    ("_given_by_whom", "by nobody", REPORTED, _drop(_consent, "given_by"), False),
    ("_given_by_whom", "by null", REPORTED, _set(_consent, given_by=None), False),
    ("_given_by_whom", "by the child", REPORTED, _set(_consent, given_by="child"), True),
    (
        "_given_by_whom",
        "no category",
        REPORTED,
        _both(_set(_consent, categories=[]), _drop(_consent, "given_by")),
        True,
    ),
    (
        "_given_by_whom",
        "none listed",
        REPORTED,
        _both(_drop(_consent, "categories"), _drop(_consent, "given_by")),
        True,
    ),
    (
        "_given_by_whom",
        "over HTTP",
        HTTP_BODY,
        _set(_consent, categories=["health"], given_by=None),
        False,
    ),
    (
        "_no_repeats",
        "category twice",
        REPORTED,
        _set(_consent, categories=["health", "health"]),
        False,
    ),
    (
        "_no_repeats",
        "indicator twice",
        OPENED,
        _set(_situation, indicators=["forced_labour", "forced_labour"]),
        False,
    ),
    (
        "_no_repeats",
        "indicators once",
        OPENED,
        _set(_situation, indicators=["forced_labour", "other"]),
        True,
    ),
    (
        "_no_repeats",
        "risk twice",
        REPORTED,
        _set(_situation, immediate_risks=["injuries", "injuries"]),
        False,
    ),
    # Documents may repeat: no JSON Schema could compare them as the linker does (by kind
    # and number, spaces and dots ignored), and the linker counts a repeat once.
    ("_no_repeats", "documents may repeat", HTTP_BODY, _documents(PASSPORT, PASSPORT), True),
    (
        "_in_utc_range",
        "before year 1 in UTC",
        OPENED,
        _at("opened_at", "0001-01-01T00:00:00+05:00"),
        False,
    ),
    ("_in_utc_range", "first day in UTC", OPENED, _at("opened_at", "0001-01-01T12:00:00Z"), False),
    ("_in_utc_range", "second day", OPENED, _at("opened_at", "0001-01-02T00:00:00+05:00"), True),
    (
        "_in_utc_range",
        "after 9999 in UTC",
        OPENED,
        _at("opened_at", "9999-12-31T22:00:00-05:00"),
        False,
    ),
    (
        "_in_utc_range",
        "last day but one",
        OPENED,
        _at("opened_at", "9999-12-30T22:00:00-01:00"),
        True,
    ),
    ("_in_utc_range", "leap second", OPENED, _at("opened_at", "2016-12-31T23:59:60Z"), False),
    ("_in_utc_range", "lower case", OPENED, _at("opened_at", "2016-12-31t23:59:59z"), True),
    ("_in_utc_range", "envelope time", "envelope", _at("time", "0001-01-01T01:00:00+02:00"), False),
    (
        "_in_utc_range",
        "nullable time",
        REPORTED,
        _set(_situation, sexual_violence_at="9999-12-31T23:00:00-01:00"),
        False,
    ),
    (
        "_no_personal_details",
        "personal on Kafka",
        REPORTED,
        lambda d: _facts(d).__setitem__("personal", {}),
        False,
    ),
]


@pytest.mark.parametrize(
    ("rule", "target", "change", "accepted"),
    [(rule, target, change, accepted) for rule, _, target, change, accepted in PROBES],
    ids=[f"{rule}-{name}" for rule, name, *_ in PROBES],
)
def test_schema_and_model_agree_on_each_rule(rule, target, change, accepted):
    assert any(known.endswith(f".{rule}") for known in RULES), rule
    document = _document(target)
    change(document)
    schema_says = jsonschema_rs.validator_for(_schema(target), validate_formats=True)
    try:
        _model(target)(document)
    except ValidationError:
        model_accepts = False
    else:
        model_accepts = True

    assert schema_says.is_valid(document) is accepted, "the schema"
    assert model_accepts is accepted, "the model"


def test_the_golden_examples_pass_both_before_the_probes_change_them():
    for target in (OPENED, REPORTED, HTTP_BODY, "envelope"):
        document = _document(target)
        assert jsonschema_rs.validator_for(_schema(target), validate_formats=True).is_valid(
            document
        ), target
        _model(target)(document)


# --- generated documents: whatever a schema accepts, the model accepts --------------------


def _as_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """One JSON Schema as the request body of an OpenAPI operation, for the generator."""
    body = {k: v for k, v in schema.items() if k not in {"$schema", "$id", "$defs"}}
    shared = json.dumps({**schema.get("$defs", {}), "Body": body})
    return {
        "openapi": "3.1.0",
        "info": {"title": "one schema", "version": "1"},
        "paths": {
            "/body": {
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Body"}}
                        },
                    },
                    "responses": {"200": {"description": "accepted"}},
                }
            }
        },
        "components": {
            "schemas": json.loads(shared.replace('"#/$defs/', '"#/components/schemas/'))
        },
    }


# The HTTP body is the largest and the one strangers send most: it gets more examples.
GENERATED = [(HTTP_BODY, 100), *((event_type, 20) for event_type in sorted(PAYLOAD_TYPES))]


@pytest.mark.parametrize(("target", "examples"), GENERATED, ids=[t for t, _ in GENERATED])
def test_every_document_a_schema_accepts_the_model_accepts(target, examples):
    operation = schemathesis.openapi.from_dict(_as_openapi(_schema(target)))["/body"]["POST"]
    validate = _model(target)
    refused: list[str] = []

    @settings(
        max_examples=examples,
        derandomize=True,  # the same documents on every run: a failure is reproducible
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy())
    def generated(case: Any) -> None:
        try:
            validate(case.body)
        except ValidationError as exc:
            refused.append(f"{json.dumps(case.body)[:2000]}\n  {exc.errors()[0]}")

    generated()

    assert not refused, "schema-valid, yet the model refuses:\n" + "\n".join(refused[:3])
