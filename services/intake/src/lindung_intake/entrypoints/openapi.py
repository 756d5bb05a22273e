"""The OpenAPI document intake serves, completed with what FastAPI cannot derive.

FastAPI builds the document from the routes, the health and metrics routes included once
the service's runtime adds them; `install` completes it the first time it is asked for:

- `servers`: the API answers at the root of the host that serves the document;
- `security`: every `/v1` operation already names the bearer key scheme (its caller
  dependency says so); every other operation (health, metrics) is open and says so
  with `security: []`, rather than leaving a reader to guess;
- a `4XX` response, in the one error shape, on an operation that documents none;
- the reason and outcome codes: what each means, in English and Malay
  (`x-enumDescriptions` too);
- `info`: what the API is, and its licence.

`python -m lindung_intake.entrypoints.openapi` prints the document intake serves, built
without a database or a broker: `make contracts-check` lints it with Redocly's
recommended rules.
"""

from __future__ import annotations

import base64
import json
import secrets
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from lindung_contracts import OUTCOME_WORDS, REASON_WORDS

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["complete", "install", "served_document"]

_DESCRIPTION: Final = (
    "The only door into Lindung, which refers children identified as possible trafficking "
    "survivors to the services they need, on time. Agencies report identifications; "
    "providers read the referrals addressed to them and answer them; case coordinators "
    "pause and resume a referral's clock; operations read who read what. Every `/v1` call "
    "carries its caller's API key as a bearer token; every refusal is "
    '`{"errors": [{"field", "reason"}]}` with its HTTP status.'
)
_SERVER: Final = {"url": "/", "description": "The intake server that serves this document."}
_BEARER: Final = (
    "An API key issued to one agency, provider, case coordinator or operations team "
    "(`python -m lindung_intake keys`), sent as `Authorization: Bearer <key>`."
)
_REFUSED: Final = (
    "The endpoint refuses nothing itself; a request the server turns away before it "
    "(malformed, too large) gets the one error shape."
)
_PROBLEM: Final = "Problem"
_REASONS: Final = (
    "Why a provider declines or could not deliver, or why a coordinator pauses or resumes "
    "a referral's clock, as a code: events and webhooks carry the code, never words. Words "
    "a person adds go in `note`, which intake seals. The codes:\n\n"
    + "\n".join(
        f"- `{code.value}`: {words['en']} (_{words['ms']}_)" for code, words in REASON_WORDS.items()
    )
)
_OUTCOMES: Final = (
    "What a completed referral did for the child, as a code (the closed loop): passed on "
    "to the router and counted in the operations dashboard. The codes:\n\n"
    + "\n".join(
        f"- `{code.value}`: {words['en']} (_{words['ms']}_)"
        for code, words in OUTCOME_WORDS.items()
    )
)


def install(api: FastAPI) -> None:
    """Serve the completed document at `/openapi.json` (and `/docs`), built on first use."""
    derive = api.openapi

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            api.openapi_schema = complete(derive())
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """The document FastAPI derived, with servers, security, 4XX responses, a description."""
    document.setdefault("servers", [_SERVER])
    info = document.setdefault("info", {})
    info.setdefault("description", _DESCRIPTION)
    schemes = document.get("components", {}).get("securitySchemes", {})
    for scheme in schemes.values():
        if scheme.get("scheme") == "bearer":
            scheme.setdefault("description", _BEARER)
    schemas = document.get("components", {}).get("schemas", {})
    if "ReasonCode" in schemas:
        schemas["ReasonCode"]["description"] = _REASONS
        schemas["ReasonCode"]["x-enumDescriptions"] = {
            code.value: words["en"] for code, words in REASON_WORDS.items()
        }
    if "Outcome" in schemas:
        schemas["Outcome"]["description"] = _OUTCOMES
        schemas["Outcome"]["x-enumDescriptions"] = {
            code.value: words["en"] for code, words in OUTCOME_WORDS.items()
        }
    problem = _PROBLEM in schemas
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            operation.setdefault("security", [])  # derived from its dependencies: none, open
            responses = operation.setdefault("responses", {})
            if not any(str(code).startswith("4") for code in responses):
                refused: dict[str, Any] = {"description": _REFUSED}
                if problem:
                    refused["content"] = {
                        "application/json": {"schema": {"$ref": f"#/components/schemas/{_PROBLEM}"}}
                    }
                responses["4XX"] = refused
    return document


def served_document() -> dict[str, Any]:
    """The document intake serves: the whole service built, nothing opened or connected."""
    from lindung_common import Runtime  # noqa: PLC0415 - only this command needs the service

    from lindung_intake.bootstrap import build  # noqa: PLC0415
    from lindung_intake.settings import IntakeSettings  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as work:
        keys = Path(work) / "keys.json"
        keys.write_text('{"keys": []}', encoding="utf-8")
        # Settings that open nothing: the document does not depend on them.
        settings = IntakeSettings.model_validate(
            {
                "kafka_bootstrap_servers": "127.0.0.1:9",
                "kafka_sasl_username": "openapi",
                "kafka_sasl_password": secrets.token_hex(16),
                "database_url": "postgresql://127.0.0.1:9/openapi",
                "api_keys_file": keys,
                "key_secret": secrets.token_hex(32),
                "data_keys": "openapi:" + base64.b64encode(secrets.token_bytes(32)).decode(),
            }
        )
        return Runtime(build(settings)).web().openapi()


def main() -> int:
    """Print the served document as JSON, or write it to the file named."""
    text = json.dumps(served_document(), indent=2, sort_keys=True) + "\n"
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
