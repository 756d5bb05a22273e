"""Reading a Retry-After header: seconds, or an HTTP date; anything else is ignored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lindung_notifier.adapters.http import retry_after

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        ("0", 0.0),
        (" 30 ", 30.0),
        ("Mon, 02 Mar 2026 22:32:00 GMT", 120.0),
        ("Mon, 02 Mar 2026 22:00:00 GMT", 0.0),  # in the past: at once
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
    ],
)
def test_retry_after(value, seconds):
    assert retry_after(value, now=NOW) == seconds
