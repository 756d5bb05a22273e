"""What happens after each delivery attempt: done, try again later, or give up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import random

__all__ = [
    "AttemptResult",
    "Delivered",
    "GaveUp",
    "Outcome",
    "RetryLater",
    "RetryPolicy",
    "decide",
]

# 2**60 seconds is far beyond any cap; stops the float from overflowing on absurd attempts.
_MAX_EXPONENT = 60


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded by a cap and a number of attempts."""

    max_attempts: int
    base_seconds: float
    cap_seconds: float

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not 0 < self.base_seconds <= self.cap_seconds:
            raise ValueError("need 0 < base_seconds <= cap_seconds")

    def ceiling(self, attempt: int) -> float:
        """The longest wait after failed attempt `attempt` (1-based): base * 2^(n-1), capped."""
        exponent = min(max(attempt - 1, 0), _MAX_EXPONENT)
        return float(min(self.cap_seconds, self.base_seconds * 2.0**exponent))

    def delay(self, attempt: int, rng: random.Random) -> timedelta:
        """The wait after failed attempt `attempt`: uniform in [0, ceiling] ("full jitter").

        Full jitter spreads retries of many deliveries to one recovering endpoint over the
        whole window instead of hitting it in synchronized waves.
        """
        return timedelta(seconds=rng.uniform(0.0, self.ceiling(attempt)))


@dataclass(frozen=True)
class AttemptResult:
    """What one attempt achieved: an HTTP status, or the error that prevented one."""

    status_code: int | None
    error: str | None = None
    # Retrying cannot help (no endpoint configured): give up at once.
    permanent: bool = False

    @property
    def succeeded(self) -> bool:
        """A 2xx answer is the one proof of delivery."""
        return self.status_code is not None and 200 <= self.status_code < 300  # noqa: PLR2004

    def reason(self) -> str:
        """Why the attempt failed, for records and events (never the response body)."""
        if self.error:
            return self.error
        if self.status_code is not None:
            return f"endpoint answered HTTP {self.status_code}"
        return "unknown failure"


@dataclass(frozen=True)
class Delivered:
    """The endpoint acknowledged the notification."""

    at: datetime
    status_code: int


@dataclass(frozen=True)
class RetryLater:
    """The attempt failed; the next one is due at `at`."""

    at: datetime
    error: str


@dataclass(frozen=True)
class GaveUp:
    """No further attempt will be made."""

    at: datetime
    error: str


Outcome = Delivered | RetryLater | GaveUp


def decide(
    result: AttemptResult,
    *,
    attempt: int,
    policy: RetryPolicy,
    now: datetime,
    rng: random.Random,
) -> Outcome:
    """The consequence of attempt number `attempt` (1-based) ending with `result` at `now`."""
    if result.succeeded:
        assert result.status_code is not None  # implied by succeeded; for mypy
        return Delivered(at=now, status_code=result.status_code)
    error = result.reason()
    if result.permanent or attempt >= policy.max_attempts:
        return GaveUp(at=now, error=error)
    return RetryLater(at=now + policy.delay(attempt, rng), error=error)
