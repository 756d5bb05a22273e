"""The desk names every code it shows, in the reader's language, and tells Malaysia's time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from lindung_intake.entrypoints.desk.pages import shown, span
from lindung_intake.entrypoints.desk.values import (
    CODED_FIELDS,
    VALUE_WORDS,
    language_name,
    short_reference,
    when,
)


@pytest.mark.parametrize("path", sorted(CODED_FIELDS))
def test_every_code_of_a_shown_field_has_words_in_both_languages(path):
    kind = CODED_FIELDS[path]
    words = VALUE_WORDS[kind]
    assert set(words) == {member.value for member in kind}
    for english, malay in words.values():
        assert english.strip()
        assert malay.strip()


@pytest.mark.parametrize(
    ("path", "value", "english", "malay"),
    [
        ("child.gender", "female", "female", "perempuan"),
        ("situation.location", "police_lockup", "police lock-up", "lokap polis"),
        ("situation.state", "penang", "Penang", "Pulau Pinang"),
        ("child.languages", ["my", "ms"], "Burmese, Malay", "Burma, Melayu"),
        ("situation.indicators", ["forced_labour"], "forced labour", "buruh paksa"),
    ],
)
def test_a_code_reads_as_words_never_as_itself(path, value, english, malay):
    assert shown(value, "en", path) == english
    assert shown(value, "ms", path) == malay


def test_a_language_cldr_cannot_name_in_malay_falls_back_to_english_then_the_code():
    assert language_name("tl", "ms") == "Tagalog"
    assert language_name("zz", "ms") == "zz"


def test_times_are_malaysia_s_with_the_month_in_the_reader_s_language():
    moment = datetime(2026, 12, 5, 21, 11, tzinfo=UTC)
    assert when(moment, "en") == "6 Dec 2026, 05:11 MYT"
    assert when(moment, "ms") == "6 Dis 2026, 05:11 MYT"
    assert shown("2026-12-05T21:11:00Z", "ms", "situation.sexual_violence_at") == (
        "6 Dis 2026, 05:11 MYT"
    )


def test_time_left_reads_in_the_reader_s_language():
    left = timedelta(hours=3, minutes=20)
    assert span(left) == "3 h 20 min"
    assert span(left, "ms") == "3 jam 20 minit"
    assert span(timedelta(days=2, hours=1), "ms") == "2 hari 1 jam"


def test_a_referral_is_quoted_as_its_email_s_referral_line_begins():
    assert short_reference(UUID("3f2a9c1b-0000-4000-8000-000000000000")) == "3f2a9c1b"


def test_every_notice_a_coordinator_may_read_of_is_named_by_an_event_type_that_exists():
    from lindung_contracts import TOPICS  # noqa: PLC0415
    from lindung_intake.entrypoints.desk.coordinator_words import NOTICE_WORDS  # noqa: PLC0415

    types = {payload.event_type for topic in TOPICS for payload in topic.payloads}
    assert set(NOTICE_WORDS) <= types
    assert all(english and malay for english, malay in NOTICE_WORDS.values())
