"""The vendored HSDS 3.1 schemas and OpenAPI document, and validators over them."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

__all__ = [
    "HSDS_VERSION",
    "OPENAPI_URI",
    "TABLES",
    "openapi",
    "response_validator",
    "service_validator",
    "table_schema",
]

HSDS_VERSION = "3.1"
OPENAPI_URI = "urn:lindung:hsds:openapi"
_HERE = Path(__file__).parent / "schemas"
# Where the OpenAPI document points for its compiled schemas, and the copies here.
_PUBLISHED = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/compiled/"
TABLES = (
    "service",
    "organization",
    "location",
    "address",
    "service_at_location",
    "service_area",
    "language",
    "attribute",
    "taxonomy_term",
    "service_capacity",
    "unit",
)


def _read(name: str) -> Any:
    return json.loads((_HERE / name).read_text(encoding="utf-8"))


@cache
def openapi() -> dict[str, Any]:
    """The HSDS 3.1 OpenAPI document, as published."""
    document: dict[str, Any] = _read("openapi.json")
    return document


@cache
def table_schema(table: str) -> dict[str, Any]:
    """The schema of one table of the tabular form (`service`, `language`, ...)."""
    schema: dict[str, Any] = _read(f"tables/{table}.json")
    return schema


@cache
def _registry() -> Registry[Any]:
    def resource(document: Any) -> Resource[Any]:
        return Resource.from_contents(document, default_specification=DRAFT202012)

    return Registry().with_resources(
        [
            (OPENAPI_URI, resource(openapi())),
            (f"{_PUBLISHED}service.json", resource(_read("service.json"))),
            (f"{_PUBLISHED}service_list.json", resource(_read("service_list.json"))),
        ]
    )


@cache
def service_validator() -> Draft202012Validator:
    """Validates one fully nested HSDS service (formats such as `uuid` checked too)."""
    return Draft202012Validator(_read("service.json"), format_checker=FormatChecker())


def response_validator(path: str, method: str = "get", status: str = "200") -> Draft202012Validator:
    """Validates a response body against the OpenAPI document's schema for that operation."""
    pointer = "/".join(
        part.replace("~", "~0").replace("/", "~1")
        for part in ("paths", path, method, "responses", status, "content", "application/json")
    )
    return Draft202012Validator(
        {"$ref": f"{OPENAPI_URI}#/{pointer}/schema"},
        registry=_registry(),
        format_checker=FormatChecker(),
    )
