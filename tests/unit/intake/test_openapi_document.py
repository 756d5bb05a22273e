"""The OpenAPI document intake serves says where it is, who may call what, and how it refuses.

`make contracts-check` lints the same document with Redocly's recommended rules; these
tests say what a reader (a client generator, schemathesis, a gateway) relies on.
"""

from __future__ import annotations

import pytest
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
