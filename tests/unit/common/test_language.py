"""The words every page shares: a table's phrases in either language, and spans of time."""

from __future__ import annotations

import pytest
from lindung_common.signin import Phrases, span

TABLE = {"accept": ("Accept", "Terima")}


def test_phrases_speak_the_page_s_language_and_show_a_missing_key_as_itself():
    assert Phrases(TABLE, "ms")("accept") == "Terima"
    assert Phrases(TABLE, "en")("accept") == "Accept"
    assert Phrases(TABLE, "ms")("nowhere") == "nowhere"
    assert Phrases(TABLE, "ms").of({"x": ("X", "Eks")}, "x") == "Eks"


def test_a_language_we_do_not_speak_is_english():
    phrases = Phrases(TABLE, "fr")
    assert (phrases.language, phrases("accept")) == ("en", "Accept")


@pytest.mark.parametrize(
    ("seconds", "language", "text"),
    [
        (42, "en", "42 s"),
        (59.6, "en", "1 min"),
        (-2700, "en", "45 min"),
        (3 * 3600, "ms", "3 jam"),
        (3 * 3600 + 1200, "ms", "3 jam 20 minit"),
        (2 * 86400 + 3 * 3600 + 300, "en", "2 d 3 h"),
        (2 * 86400 + 300, "ms", "2 hari"),
    ],
)
def test_a_span_reads_as_people_say_it(seconds, language, text):
    assert span(seconds, language) == text
