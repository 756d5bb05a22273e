"""The strict reading of a request body: what it refuses, with which status and reason."""

from __future__ import annotations

import json
import time

import pytest
from lindung_intake.entrypoints.json_body import LIMITS, BodyRefused, parse

IDENTIFICATION = {
    "agency_reference": "PDRM/KL/2026/000731",
    "identified_at": "2026-03-02T09:30:00+08:00",
    "child": {
        "age_years": 15,
        "age_disputed": False,
        "gender": "female",
        "nationality_status": "refugee",
        "languages": ["rhg", "ms", "en", "my", "th", "id", "bn", "ta", "zh", "hi"],
        "officer_age_estimate_years": 14,
        "accompaniment": "separated",
    },
    "situation": {
        "indicators": [
            "sexual_exploitation",
            "sexual_violence",
            "forced_labour",
            "forced_or_child_marriage",
            "domestic_servitude",
            "forced_begging",
            "forced_criminality",
            "organ_removal",
            "other",
        ],
        "sexual_violence_at": "2026-03-01T22:00:00+08:00",
        "how_identified": "raid",
        "immediate_risks": ["injuries", "medical_urgency", "pregnancy", "self_harm"],
        "location": "police_lockup",
        "state": "kuala_lumpur",
        "district": "petaling",
        "safe_place_tonight": False,
        "court_date_pending": True,
        "interview_scheduled": True,
        "interpreter_requested": True,
        "agency_languages": ["ms", "en"],
    },
    "consent": {
        "categories": ["shelter", "health", "legal_aid", "unhcr", "interpretation"],
        "given_by": "child",
        "best_interest_override": {"officer": "PPKM/SGR/0412", "reason": "r" * 500},
    },
    "personal": {
        "name": "n" * 200,
        "date_of_birth": "2011-04-09",
        "documents": [
            {"kind": "passport", "number": f"A{n:08d}", "issuing_country": "MMR"} for n in range(10)
        ],
        "whereabouts": "w" * 500,
        "officer": {"name": "Insp. Aminah", "phone": "+60 3-2266 2222", "unit": "D11"},
        "narrative": "[{" * 2500,
    },
}


def _refused(body: bytes) -> tuple[int, str]:
    with pytest.raises(BodyRefused) as caught:
        parse(body)
    return caught.value.status, caught.value.reason


def test_the_largest_real_identification_is_read_whole():
    body = json.dumps(IDENTIFICATION).encode()

    assert parse(body) == IDENTIFICATION


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b'{"child": "Siti \xff"}', 400, "not valid UTF-8"),
        (b'{"child": "Siti", ', 400, "not valid JSON"),
        (b'{"age_years": NaN}', 400, "not valid JSON"),
        (b'{"age_years": -Infinity}', 400, "not valid JSON"),
        (b"[" * 1001 + b"]" * 1001, 422, "nested deeper than 32"),
        (b'{"a":' * 1001 + b"1" + b"}" * 1001, 422, "nested deeper than 32"),
        (b"[" * 33 + b"]" * 33, 422, "nested deeper than 32"),
        (b'{"a":' * 33 + b"1" + b"}" * 33, 422, "nested deeper than 32"),
        (b'{"a":[{"b":' * 17 + b"1" + b"}]}" * 17, 422, "nested deeper than 32"),
        (b'{"age_years": ' + b"1" * 5000 + b"}", 422, "a number is longer than 40"),
        (b'{"age_years": 1.' + b"5" * 100 + b"}", 422, "a number is longer than 40"),
        (b'{"name": "Siti", "name": "Aminah"}', 422, "a key appears more than once"),
        (json.dumps({"child": {f"k{n}": n for n in range(50_000)}}).encode(), 422, "4096 values"),
        (json.dumps({f"k{n}": "x" for n in range(300)}).encode(), 422, "more than 256 members"),
        (json.dumps({"languages": ["ms"] * 300}).encode(), 422, "more than 256 items"),
        (json.dumps([[{}] * 200] * 200).encode(), 422, "4096 values"),
        (b"[" + b",".join([b"[]"] * 300_000) + b"]", 422, "4096 values"),
    ],
    ids=[
        "not-utf-8",
        "not-json",
        "nan",
        "infinity",
        "1001-deep-arrays",
        "1001-deep-objects",
        "33-deep-arrays",
        "33-deep-objects",
        "33-deep-mixed",
        "5000-digits",
        "long-fraction",
        "duplicate-key",
        "50000-keys",
        "300-members",
        "300-items",
        "40000-values",
        "300000-arrays",
    ],
)
def test_what_is_refused_and_why_never_repeating_the_body(body, status, says):
    refused_status, reason = _refused(body)

    assert (refused_status, says in reason) == (status, True), reason
    assert "Siti" not in reason
    assert "Aminah" not in reason


def test_the_limits_themselves_are_accepted():
    deepest = b"[" * LIMITS.depth + b"]" * LIMITS.depth
    widest = json.dumps({f"k{n}": n for n in range(LIMITS.members)}).encode()
    longest = json.dumps([int("9" * LIMITS.number_chars)]).encode()

    assert parse(deepest)
    assert len(parse(widest)) == LIMITS.members
    assert parse(longest) == [int("9" * LIMITS.number_chars)]


def test_no_body_of_a_megabyte_costs_seconds():
    # Without the limits, the first cost 1.3 to 2.4 s of intake's event loop; each is
    # refused here in a few milliseconds. The bound is the functional one: not seconds of
    # CPU (this process's own: time spent waiting for a core on a busy machine is not it).
    bodies = [
        json.dumps({"child": {f"k{n}": n for n in range(60_000)}}).encode(),
        b"[" + b",".join([b"1"] * 400_000) + b"]",
        b"[" + b",".join([b"{}"] * 300_000) + b"]",
        b"[" + b",".join([b'"a"'] * 250_000) + b"]",
    ]
    for body in bodies:
        started = time.process_time()
        with pytest.raises(BodyRefused):
            parse(body)
        assert time.process_time() - started < 1.0
