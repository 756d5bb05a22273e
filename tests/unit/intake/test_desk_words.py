"""The desk's words: every key its pages use exists in Malay and English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lindung_contracts import ServiceType
from lindung_contracts.lifecycle import ReferralStatus
from lindung_intake.domain.desk import Standing
from lindung_intake.entrypoints import desk
from lindung_intake.entrypoints.desk import words
from lindung_intake.entrypoints.desk.forms import FormRefused, read_form
from starlette.requests import Request

DESK = Path(desk.__file__).parent
USED = re.compile(r"""\bt\(\s*"([a-z_]+)"\s*\)""")


def _used_keys() -> set[str]:
    files = [*DESK.glob("*.py"), *(DESK / "templates").glob("*.html")]
    return {key for f in files for key in USED.findall(f.read_text())}


def test_every_word_a_page_uses_is_there_in_both_languages() -> None:
    families = {
        *(f"standing_{s.value}" for s in Standing),
        *(f"status_{s.value}" for s in ReferralStatus),
        *(f"service_{s.value}" for s in ServiceType),
        *(f"done_{d}" for d in ("accepted", "declined", "started", "completed")),
        *(f"sign_in_{w}" for w in ("expired", "failed", "no_role")),
        *(f"{k}_title" for k in ("not_found", "forbidden", "error", "coming", "refused")),
    }
    needed = _used_keys() | families
    assert len(needed) > 60
    missing = sorted(k for k in needed if k not in words._W)
    assert not missing
    for english, malay in words._W.values():
        assert english.strip()
        assert malay.strip()


def test_reason_and_outcome_words_come_from_the_contracts() -> None:
    for language in ("en", "ms"):
        t = words.WORDS[language]
        assert all(t.reason(r.value) for r in (*words.DECLINE_REASONS, *words.OUTCOME_REASONS))
        assert t.reason("at_capacity") != words.WORDS["en" if language == "ms" else "ms"].reason(
            "at_capacity"
        )


def _posted(body: bytes, content_type: str = "application/x-www-form-urlencoded") -> Request:
    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    headers = [(b"content-type", content_type.encode())]
    return Request({"type": "http", "method": "POST", "headers": headers}, receive)


async def test_a_form_is_single_values_of_url_encoded_utf8() -> None:
    form = await read_form(_posted(b"csrf=abc&note=Tiada+katil%2C+15"))
    assert form == {"csrf": "abc", "note": "Tiada katil, 15"}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"csrf=a&csrf=b", "application/x-www-form-urlencoded"),
        (b'{"csrf": "a"}', "application/json"),
        (b"note=%FF", "application/x-www-form-urlencoded"),
        (b"&".join(b"f%d=1" % i for i in range(20)), "application/x-www-form-urlencoded"),
    ],
)
async def test_anything_else_is_no_form_of_ours(body: bytes, content_type: str) -> None:
    with pytest.raises(FormRefused):
        await read_form(_posted(body, content_type))
