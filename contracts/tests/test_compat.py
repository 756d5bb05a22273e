"""The compatibility guard on small synthetic schema pairs."""

from __future__ import annotations

import copy

import pytest
from lindung_contracts.compat import breaking_changes

COMMITTED = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "case_id": {"type": "string", "format": "uuid"},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        "service": {"$ref": "#/$defs/ServiceType"},
        "child": {"$ref": "#/$defs/Child"},
        "steps": {"type": "array", "items": {"$ref": "#/$defs/Step"}},
    },
    "required": ["case_id", "service", "child", "steps"],
    "$defs": {
        "ServiceType": {"type": "string", "enum": ["shelter", "health"]},
        "Child": {
            "type": "object",
            "properties": {"gender": {"type": "string"}, "age": {"type": "integer"}},
            "required": ["gender"],
        },
        "Step": {
            "type": "object",
            "properties": {"level": {"type": "integer"}},
            "required": ["level"],
        },
    },
}


def unchanged(schema):
    pass


def changed(edit):
    current = copy.deepcopy(COMMITTED)
    edit(current)
    return current


def remove_required(schema):
    del schema["properties"]["case_id"]
    schema["required"].remove("case_id")


def add_required(schema):
    schema["properties"]["urgent"] = {"type": "boolean"}
    schema["required"].append("urgent")


def add_optional(schema):
    schema["properties"]["urgent"] = {"type": "boolean", "default": False}


def make_required(schema):
    schema["required"].append("note")


def make_optional(schema):
    schema["required"].remove("case_id")


def remove_optional(schema):
    del schema["properties"]["note"]


def retype(schema):
    schema["properties"]["case_id"] = {"type": "integer"}


def drop_null(schema):
    schema["properties"]["note"] = {"type": "string"}


def remove_enum_value(schema):
    schema["$defs"]["ServiceType"]["enum"] = ["shelter"]


def add_enum_value(schema):
    schema["$defs"]["ServiceType"]["enum"] = ["shelter", "health", "legal_aid"]


def remove_nested_required(schema):
    del schema["$defs"]["Child"]["properties"]["gender"]
    schema["$defs"]["Child"]["required"] = []


def require_nested_in_array(schema):
    schema["$defs"]["Step"]["properties"]["at"] = {"type": "string"}
    schema["$defs"]["Step"]["required"].append("at")


def inline_the_nested_model(schema):
    # Same shape written without a $ref: not a change for any event.
    schema["properties"]["child"] = copy.deepcopy(schema["$defs"]["Child"])


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (unchanged, []),
        (remove_required, ["required field `case_id` was removed"]),
        (add_required, ["new required field `urgent`"]),
        (add_optional, []),
        (make_required, ["`note` became required"]),
        (make_optional, ["`case_id` is no longer required"]),
        (remove_optional, ["optional field `note` was removed"]),
        (retype, ["`case_id`: JSON type changed from string to integer"]),
        (drop_null, ["`note`: JSON type changed from null, string to string"]),
        (remove_enum_value, ['`service`: enum values removed: "health"']),
        (add_enum_value, []),
        (remove_nested_required, ["required field `child.gender` was removed"]),
        (require_nested_in_array, ["new required field `steps[].at`"]),
        (inline_the_nested_model, []),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_guard_reports_exactly_the_breaking_changes(edit, expected):
    assert breaking_changes(COMMITTED, changed(edit)) == expected


def test_guard_reports_every_break_at_once():
    def both(schema):
        remove_required(schema)
        add_required(schema)

    assert breaking_changes(COMMITTED, changed(both)) == [
        "required field `case_id` was removed",
        "new required field `urgent`",
    ]


def test_guard_survives_a_recursive_model():
    node = {
        "type": "object",
        "properties": {"parent": {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}]}},
        "required": ["parent"],
    }
    schema = {"$ref": "#/$defs/Node", "$defs": {"Node": node}}

    assert breaking_changes(schema, copy.deepcopy(schema)) == []
