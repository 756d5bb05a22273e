"""A timer that fails at once backs off and logs a line per change, not one per tick."""

from __future__ import annotations

import structlog
from lindung_common.worker import TimerFailures


def test_a_failing_timer_waits_longer_each_time_up_to_the_cap():
    failing = TimerFailures("fire-due-steps", cap=5.0)
    waits = [failing.failed("database unavailable", now=float(n)) for n in range(10)]
    assert waits[:4] == [0.1, 0.2, 0.4, 0.8]
    assert waits[-1] == 5.0
    assert waits == sorted(waits)


def test_a_failing_timer_logs_its_first_failure_then_once_a_minute_and_its_recovery():
    failing = TimerFailures("fire-due-steps", cap=5.0, log_every=60.0)
    with structlog.testing.capture_logs() as logs:
        for second in range(130):  # a failure a second for over two minutes
            failing.failed("database unavailable", now=float(second))
        failing.succeeded()
        failing.failed("database unavailable", now=200.0)  # a new run of failures
    events = [(e["event"], e.get("failures_in_a_row"), e.get("not_logged")) for e in logs]
    assert events == [
        ("timer tick failed", 1, 0),
        ("timer tick failed", 61, 59),
        ("timer tick failed", 121, 59),
        ("timer works again", 130, None),
        ("timer tick failed", 1, 0),
    ]
