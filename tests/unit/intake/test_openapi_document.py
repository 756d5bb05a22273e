"""The OpenAPI document intake serves says where it is, who may call what, and how it refuses.

`make contracts-check` lints the same document with Redocly's recommended rules; these
tests say what a reader (a client generator, schemathesis, a gateway) relies on.
"""

from __future__ import annotations

import pytest
from lindung_contracts import OUTCOME_WORDS, REASON_WORDS, Outcome, ReasonCode
from lindung_intake.domain import NOTE_MAX_CHARACTERS, NOTE_PATTERN
from lindung_intake.entrypoints.openapi import served_document


@pytest.fixture(scope="module")
def document() -> dict:
    return served_document()


def _operations(document: dict) -> list[tuple[str, str, dict]]:
    return [
        (path, method, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


def test_the_document_names_its_server_and_claims_no_licence(document):
    assert document["servers"] == [
        {"url": "/", "description": "The intake server that serves this document."}
    ]
    assert "license" not in document["info"]  # none chosen yet: none claimed
    assert "bearer" in document["info"]["description"]


def test_every_api_operation_takes_a_bearer_key_and_health_and_metrics_none(document):
    schemes = document["components"]["securitySchemes"]
    (bearer,) = [name for name, scheme in schemes.items() if scheme["scheme"] == "bearer"]
    open_paths = {"/health/live", "/health/ready", "/metrics"}

    assert open_paths <= set(document["paths"])  # the runtime's routes are in it
    for path, method, operation in _operations(document):
        expected = [] if path in open_paths else [{bearer: []}]
        assert operation["security"] == expected, f"{method} {path}"
        assert path in open_paths or path.startswith("/v1/")


def test_every_operation_documents_a_refusal_in_the_one_error_shape(document):
    for path, method, operation in _operations(document):
        refusals = {c: r for c, r in operation["responses"].items() if str(c).startswith("4")}
        assert refusals, f"{method} {path}"
        for response in refusals.values():
            schema = response["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Problem"}, f"{method} {path}"


def test_the_document_is_the_same_every_time_and_its_operation_ids_unique(document):
    again = served_document()

    assert again == document
    assert len({op["operationId"] for _, _, op in _operations(document)}) == len(
        _operations(document)
    )


def test_every_reason_code_is_listed_with_its_meaning(document):
    codes = document["components"]["schemas"]["ReasonCode"]
    assert codes["enum"] == [code.value for code in ReasonCode]
    for code, words in REASON_WORDS.items():
        assert f"- `{code.value}`: {words['en']}" in codes["description"]
        assert words["ms"] in codes["description"]
        assert codes["x-enumDescriptions"][code.value] == words["en"]


def test_every_outcome_code_is_listed_with_its_meaning(document):
    codes = document["components"]["schemas"]["Outcome"]
    assert codes["enum"] == [code.value for code in Outcome]
    for code, words in OUTCOME_WORDS.items():
        assert f"- `{code.value}`: {words['en']}" in codes["description"]
        assert words["ms"] in codes["description"]
        assert codes["x-enumDescriptions"][code.value] == words["en"]


def test_answers_and_clock_changes_take_a_code_and_an_optional_note(document):
    schemas = document["components"]["schemas"]
    for name, required in (("Answer", []), ("ClockReason", ["reason"])):
        body = schemas[name]
        assert body.get("required", []) == required, name
        assert body["additionalProperties"] is False, name  # a misspelt `note` is refused
        reason = body["properties"]["reason"]
        refs = [r.get("$ref") for r in reason.get("anyOf", [reason])]
        assert "#/components/schemas/ReasonCode" in refs, name
        (words, _) = body["properties"]["note"]["anyOf"]
        assert (words["maxLength"], words["pattern"]) == (NOTE_MAX_CHARACTERS, NOTE_PATTERN)


def test_a_referral_s_notes_are_read_with_a_key_and_refused_as_not_found(document):
    operation = document["paths"]["/v1/referrals/{referral_id}/notes"]["get"]
    assert "404" in operation["responses"]
    view = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert view == {"$ref": "#/components/schemas/NotesView"}
