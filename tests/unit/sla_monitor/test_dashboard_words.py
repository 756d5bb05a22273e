"""The dashboard in Malay and English: every word in both, a Malay page with no English left."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from lindung_sla_monitor.adapters.reporting import OpenReferral
from lindung_sla_monitor.dashboard import words
from lindung_sla_monitor.dashboard.period import PRESETS, choose_period
from lindung_sla_monitor.dashboard.render import Pages, charts_for
from lindung_sla_monitor.dashboard.words import WORDS

ZONE = ZoneInfo("Asia/Kuala_Lumpur")
NOW = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)

# The page's labels in English: none of them may be left on a page in Malay.
ENGLISH = (
    "Awaiting acceptance",
    "Time left",
    "Provider",
    "Agency",
    "Due",
    "late now",
    "on time",
    "escalations",
    "re-routed",
    "deliveries failed",
    "cases closed",
    "services delivered",
    "By provider",
    "By reporting agency",
    "By state",
    "By service",
    "Escalations by level",
    "Time to acceptance",
    "Services delivered",
    "Cases closed",
    "Deliveries that failed",
    "Not said",
    "Completed",
    "Outcome",
    "Channel",
    "Sign out",
    "Show",
    "Updated",
    "Referrals requested",
    "Legal aid",
    "Safe shelter",
    "Penang",
    "left",
    "paused",
    "attempt",
    "Dec",
    "Language",
    "Change",
    "waiting",
)


def test_every_key_has_words_in_both_languages() -> None:
    for key, (english, malay) in words._W.items():
        assert english.strip(), key
        assert malay.strip(), key


def _group(key: str, on_time: int, late: int) -> dict[str, object]:
    return {
        "key": key,
        "referrals": on_time + late,
        "on_time": on_time,
        "late": late,
        "waiting": 1,
        "ended": 0,
        "rerouted": 1,
        "on_time_rate": on_time / (on_time + late),
        "median_accept_seconds": 1800.0,
        "p90_accept_seconds": 7200.0,
    }


def _summary() -> dict[str, object]:
    period = choose_period(NOW, ZONE, last="7d")
    starts = period.starts(ZONE)
    return {
        "generated_at": NOW.isoformat(),
        "period": {
            "since": period.since.isoformat(),
            "until": period.until.isoformat(),
            "last": "7d",
            "bucket": period.bucket,
            "timezone": ZONE.key,
        },
        "open": {"total": 2, "late": 1},
        "totals": _group("all", 3, 1),
        "by": {
            "service": [_group("legal_aid", 3, 1), _group("safe_shelter", 1, 1)],
            "provider": [_group("shelter-pg-1", 1, 1)],
            "agency": [_group("pdrm-pg", 1, 1)],
            "state": [_group("penang", 1, 1)],
        },
        "trend": [{"start": s.isoformat(), "on_time": 1, "late": 1, "waiting": 1} for s in starts],
        "escalations_by_level": {"1": 2, "2": 1},
        "failed_deliveries": [{"channel": "email", "cause_type": "ReferralRequested", "count": 1}],
        "services_delivered": {
            "completed": 3,
            "delivered": 1,
            "partly_delivered": 1,
            "not_delivered": 1,
            "unstated": 0,
            "by_service": [
                {
                    "service": "safe_shelter",
                    "completed": 3,
                    "delivered": 1,
                    "partly_delivered": 1,
                    "not_delivered": 1,
                    "unstated": 0,
                }
            ],
        },
        "cases_closed": {
            "total": 1,
            "by_outcome": [{"outcome": "reunified", "words": "x", "cases": 1}],
        },
    }


def _open(seconds_left: float, *, paused: bool = False) -> OpenReferral:
    return OpenReferral(
        referral_id=uuid.uuid4(),
        case_id=uuid.uuid4(),
        service="legal_aid",
        provider_id="legal-pg-1",
        agency_id="pdrm-pg",
        state="penang",
        attempt=2,
        urgent=True,
        requested_at=NOW - timedelta(hours=3),
        due_at=NOW + timedelta(seconds=seconds_left),
        paused=paused,
        seconds_left=seconds_left,
        level=1,
    )


def _page(language: str) -> str:
    summary = _summary()
    period = choose_period(NOW, ZONE, last="7d")
    referrals = [_open(-600), _open(5400, paused=True)]
    response = Pages(ZONE).html(
        "dashboard.html",
        200,
        language,
        here="/dashboard",
        s=summary,
        period=period,
        presets=list(PRESETS),
        referrals=referrals,
        shown=len(referrals),
        charts=charts_for(summary, WORDS[language]),
        query="last=7d",
        refresh=15,
        now=NOW,
        person="ops",
        csrf="token",
    )
    return bytes(response.body).decode()


def _text(page: str) -> str:
    """What a person reads: the text between tags, and the charts' accessible names."""
    labels = " ".join(re.findall(r'aria-label="([^"]*)"', page))
    return re.sub(r"<[^>]+>", " ", page) + " " + labels


def test_a_page_in_malay_has_no_english_label_left() -> None:
    page = _page("ms")
    assert '<html lang="ms">' in page
    text = _text(page.split("</head>", 1)[1])
    left = [w for w in ENGLISH if re.search(rf"\b{re.escape(w)}\b", text)]
    assert left == []
    for malay in ("Bantuan guaman", "Pulau Pinang", "Log keluar", "Dis", "lewat 10 minit"):
        assert malay in text


def test_the_same_page_in_english_shows_those_labels() -> None:
    """The list above is the page's: each of its labels is on the English page."""
    page = _page("en")
    assert '<html lang="en">' in page
    text = _text(page.split("</head>", 1)[1])
    missing = [w for w in ENGLISH if not re.search(rf"\b{re.escape(w)}\b", text)]
    assert missing == []


@pytest.mark.parametrize("language", ["en", "ms"])
def test_the_language_switch_is_a_form_with_its_csrf_token(language: str) -> None:
    page = _page(language)
    form = page.split('action="/dashboard/language"', 1)[1].split("</form>", 1)[0]
    assert 'name="csrf" value="token"' in form
    assert 'value="ms"' in form
    assert 'value="en"' in form


@pytest.mark.parametrize(
    ("key", "language", "text"),
    [
        ("why_no_role", "ms", "Hanya kakitangan operasi"),
        ("signed_out", "en", "You are signed out."),
    ],
)
def test_messages_are_in_the_chosen_language(key: str, language: str, text: str) -> None:
    body = bytes(Pages(ZONE).message(200, language, "t", WORDS[language](key)).body).decode()
    assert text in body
    assert f'<html lang="{language}">' in body


def test_spans_in_malay() -> None:
    assert WORDS["ms"].duration(3 * 3600 + 300) == "3 jam 5 minit"
    assert WORDS["ms"].left(-150) == "lewat 2 minit"
    assert WORDS["en"].left(5400) == "1 h 30 min left"
