"""Waiting, bounded, for a referral intake has not heard of yet.

The notifier and intake read the same `ReferralRequested`; a provider (or a coordinator)
that acts the moment its webhook arrives can be quicker than intake's mirror. Such a
request looks for the referral, and if the caller may not know it yet, waits for news of
it (`ReferralNews`: woken by the mirror's NOTIFY, never by polling, holding no database
connection) and looks again, up to `wait_seconds` after it arrived.

Only a referral the caller may know ends the wait early: an unknown id and someone
else's referral take the same path and the same time, so the answer tells nothing of
which it was. Waits are bounded per API key and overall; a request beyond either bound
is refused at once with 429 and `Retry-After`.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import TYPE_CHECKING, Self, TypeVar

from lindung_intake.metrics import WAITS, WAITS_REFUSED
from lindung_intake.use_cases.errors import Busy

if TYPE_CHECKING:
    import uuid
    from collections.abc import Awaitable, Callable
    from types import TracebackType

    from lindung_intake.adapters.news import ReferralNews
    from lindung_intake.domain import Principal

__all__ = ["Arrivals", "Watch"]

T = TypeVar("T")


class Arrivals:
    """The waits of one process: how long each may last, how many may wait at once."""

    def __init__(
        self, news: ReferralNews, *, wait_seconds: float, per_key: int, overall: int
    ) -> None:
        self.news = news
        self.wait_seconds = wait_seconds
        self._per_key = per_key
        self._overall = overall
        self._by_key: Counter[str] = Counter()
        self._total = 0

    @property
    def waiting(self) -> int:
        """Requests waiting now."""
        return self._total

    async def first_sight(
        self,
        principal: Principal,
        referral_id: uuid.UUID,
        look: Callable[[bool], Awaitable[T | None]],
    ) -> T:
        """What `look(last)` finds, waiting for news of the referral between looks.

        `look` loads the referral in a unit of work of its own and decides; it returns
        None, having changed nothing, when the caller may not know the referral yet and
        `last` is false. The last look (`last` true) must decide whatever it finds.
        """
        async with Watch(self, principal.key_id, referral_id) as watch:
            while True:
                found = await look(watch.over)
                if found is not None:
                    return found
                await watch.wait()

    def take(self, key_id: str) -> None:
        """Count a wait of `key_id`; Busy when a bound is reached."""
        if self._total >= self._overall:
            WAITS_REFUSED.labels("overall").inc()
            raise Busy("too many requests are waiting for referrals", retry_after=self.wait_seconds)
        if self._by_key[key_id] >= self._per_key:
            WAITS_REFUSED.labels("key").inc()
            reason = "too many requests of this key are waiting for referrals"
            raise Busy(reason, retry_after=self.wait_seconds)
        self._by_key[key_id] += 1
        self._total += 1
        WAITS.inc()

    def give_back(self, key_id: str) -> None:
        """A wait of `key_id` has ended."""
        self._by_key[key_id] -= 1
        if self._by_key[key_id] <= 0:
            del self._by_key[key_id]
        self._total -= 1
        WAITS.dec()


class Watch:
    """One request's watch on one referral: news of it wakes the request."""

    def __init__(self, arrivals: Arrivals, key_id: str, referral_id: uuid.UUID) -> None:
        self._arrivals = arrivals
        self._key_id = key_id
        self._referral_id = referral_id
        self._holding = False
        self._until = 0.0
        self.over = arrivals.wait_seconds <= 0

    async def __aenter__(self) -> Self:
        # Subscribed before the first look, so news sent between a look and the wait
        # after it is not missed.
        self._until = asyncio.get_running_loop().time() + self._arrivals.wait_seconds
        self._news = self._arrivals.news.subscribe(self._referral_id)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._arrivals.news.unsubscribe(self._referral_id, self._news)
        if self._holding:
            self._arrivals.give_back(self._key_id)

    async def wait(self) -> None:
        """Until news of the referral, or the end of the wait (then `over` is true)."""
        if not self._holding:
            self._arrivals.take(self._key_id)
            self._holding = True
        remaining = self._until - asyncio.get_running_loop().time()
        if remaining > 0:
            done, _ = await asyncio.wait({self._news}, timeout=remaining)
            if done:
                # Woken: a fresh subscription before the next look, for the same reason.
                self._arrivals.news.unsubscribe(self._referral_id, self._news)
                self._news = self._arrivals.news.subscribe(self._referral_id)
                return
        self.over = True
