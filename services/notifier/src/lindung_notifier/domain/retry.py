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
_PASSING_4XX = frozenset({408, 429})


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
    # What the endpoint asked for with Retry-After (429, 503), in seconds.
    retry_after_seconds: float | None = None

    @property
    def succeeded(self) -> bool:
        """A 2xx answer is the one proof of delivery."""
        return self.status_code is not None and 200 <= self.status_code < 300  # noqa: PLR2004

    @property
    def final(self) -> bool:
        """Whether sending the same request again cannot succeed.

        A 4xx answer says the request itself is refused (unknown path, bad signature, gone),
        except 408 (the endpoint timed out) and 429 (too many requests): those pass.
        """
        code = self.status_code
        refused = code is not None and 400 <= code < 500 and code not in _PASSING_4XX  # noqa: PLR2004
        return self.permanent or refused

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
    if result.permanent:
        return GaveUp(at=now, error=error)
    if result.final:
        return GaveUp(at=now, error=f"{error}: refused, not retried")
    if attempt >= policy.max_attempts:
        return GaveUp(at=now, error=error)
    delay = policy.delay(attempt, rng)
    if result.retry_after_seconds is not None:
        # The endpoint said when; honoured up to the cap, never sooner than the backoff.
        asked = timedelta(seconds=min(max(result.retry_after_seconds, 0.0), policy.cap_seconds))
        delay = max(delay, asked)
    return RetryLater(at=now + delay, error=error)
