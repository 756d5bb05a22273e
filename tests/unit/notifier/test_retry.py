from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from lindung_notifier.domain import (
    AttemptResult,
    Delivered,
    GaveUp,
    RetryLater,
    RetryPolicy,
    decide,
)

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
DEFAULT = RetryPolicy(max_attempts=8, base_seconds=1.0, cap_seconds=300.0)


@pytest.mark.parametrize(
    ("attempt", "ceiling"),
    [
        (1, 1.0),
        (2, 2.0),
        (3, 4.0),
        (5, 16.0),
        (9, 256.0),
        (10, 300.0),
        (50, 300.0),
        (10_000, 300.0),
    ],
)
def test_the_longest_wait_doubles_per_attempt_up_to_the_cap(attempt, ceiling):
    assert DEFAULT.ceiling(attempt) == ceiling


def test_the_schedule_grows_and_stays_bounded():
    ceilings = [DEFAULT.ceiling(n) for n in range(1, 30)]

    assert ceilings == sorted(ceilings)
    assert ceilings[0] < ceilings[5]
    assert max(ceilings) == DEFAULT.cap_seconds


def test_jitter_stays_inside_zero_and_the_ceiling():
    rng = random.Random(20261127)
    for attempt in range(1, 15):
        delays = [DEFAULT.delay(attempt, rng).total_seconds() for _ in range(200)]
        ceiling = DEFAULT.ceiling(attempt)
        assert all(0.0 <= d <= ceiling for d in delays)
        # Full jitter uses the whole window, not one point of it.
        assert max(delays) - min(delays) > ceiling / 2


def test_jitter_is_reproducible_with_a_seeded_random():
    first = [DEFAULT.delay(3, random.Random(7)) for _ in range(3)]
    again = [DEFAULT.delay(3, random.Random(7)) for _ in range(3)]

    assert first == again


@pytest.mark.parametrize(
    ("max_attempts", "base", "cap"), [(0, 1.0, 10.0), (3, 0.0, 10.0), (3, 20.0, 10.0)]
)
def test_incoherent_policies_are_refused(max_attempts, base, cap):
    with pytest.raises(ValueError, match=r"must|need"):
        RetryPolicy(max_attempts=max_attempts, base_seconds=base, cap_seconds=cap)


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_any_2xx_is_delivered(status):
    outcome = decide(
        AttemptResult(status_code=status), attempt=1, policy=DEFAULT, now=NOW, rng=random.Random(1)
    )

    assert outcome == Delivered(at=NOW, status_code=status)


@pytest.mark.parametrize(
    ("result", "reason"),
    [
        (AttemptResult(status_code=500), "endpoint answered HTTP 500"),
        (AttemptResult(status_code=302), "endpoint answered HTTP 302"),
        (AttemptResult(status_code=408), "endpoint answered HTTP 408"),
        (AttemptResult(status_code=429), "endpoint answered HTTP 429"),
        (AttemptResult(status_code=None, error="no answer within 10 s"), "no answer within 10 s"),
    ],
)
def test_anything_else_is_retried_within_the_backoff_window(result, reason):
    outcome = decide(result, attempt=3, policy=DEFAULT, now=NOW, rng=random.Random(1))

    assert isinstance(outcome, RetryLater)
    assert outcome.error == reason
    assert NOW <= outcome.at <= NOW + timedelta(seconds=DEFAULT.ceiling(3))


def test_the_last_attempt_gives_up_with_the_last_error():
    outcome = decide(
        AttemptResult(status_code=503), attempt=8, policy=DEFAULT, now=NOW, rng=random.Random(1)
    )

    assert outcome == GaveUp(at=NOW, error="endpoint answered HTTP 503")


def test_a_permanent_failure_gives_up_at_once():
    result = AttemptResult(
        status_code=None, error="no webhook configured for provider x", permanent=True
    )

    outcome = decide(result, attempt=1, policy=DEFAULT, now=NOW, rng=random.Random(1))

    assert outcome == GaveUp(at=NOW, error="no webhook configured for provider x")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 410, 413, 422, 499])
def test_a_refusal_by_the_endpoint_gives_up_at_once(status):
    # The request itself is refused: sending it again for hours would change nothing.
    outcome = decide(
        AttemptResult(status_code=status), attempt=1, policy=DEFAULT, now=NOW, rng=random.Random(1)
    )

    assert outcome == GaveUp(at=NOW, error=f"endpoint answered HTTP {status}: refused, not retried")


def test_retry_after_is_honoured_when_longer_than_the_backoff():
    result = AttemptResult(status_code=429, retry_after_seconds=120)

    outcome = decide(result, attempt=1, policy=DEFAULT, now=NOW, rng=random.Random(1))

    assert outcome == RetryLater(
        at=NOW + timedelta(seconds=120), error="endpoint answered HTTP 429"
    )


def test_retry_after_never_waits_past_the_cap_nor_shortens_the_backoff():
    policy = RetryPolicy(max_attempts=8, base_seconds=100.0, cap_seconds=300.0)
    too_long = decide(
        AttemptResult(status_code=503, retry_after_seconds=86_400),
        attempt=1, policy=policy, now=NOW, rng=random.Random(1),
    )  # fmt: skip
    assert isinstance(too_long, RetryLater)
    assert too_long.at == NOW + timedelta(seconds=300)
    short = decide(
        AttemptResult(status_code=503, retry_after_seconds=0),
        attempt=1, policy=policy, now=NOW, rng=random.Random(1),
    )  # fmt: skip
    plain = decide(
        AttemptResult(status_code=503), attempt=1, policy=policy, now=NOW, rng=random.Random(1)
    )
    assert short == plain
