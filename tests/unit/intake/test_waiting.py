"""Waiting for a referral: looks only when woken, bounded per key and overall."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from lindung_intake.domain import Principal, PrincipalKind
from lindung_intake.use_cases import Arrivals, Busy

ID = uuid.UUID(int=1)
ONE = Principal(PrincipalKind.PROVIDER, "shelter-kl-1", key_id="k_one")
TWO = Principal(PrincipalKind.PROVIDER, "shelter-kl-2", key_id="k_two")
THREE = Principal(PrincipalKind.COORDINATOR, "coordinator-kl", key_id="k_three")


class News:
    """What ReferralNews gives a waiting request: a future per subscription."""

    def __init__(self) -> None:
        self.waiting: dict[uuid.UUID, set[asyncio.Future[None]]] = {}

    def subscribe(self, referral_id):
        future = asyncio.get_running_loop().create_future()
        self.waiting.setdefault(referral_id, set()).add(future)
        return future

    def unsubscribe(self, referral_id, future):
        self.waiting.get(referral_id, set()).discard(future)

    def tell(self, referral_id):
        for future in self.waiting.get(referral_id, ()):
            if not future.done():
                future.set_result(None)


class Looks:
    """A look that finds the referral once `known`, and counts how often it looked."""

    def __init__(self) -> None:
        self.known = False
        self.count = 0
        self.last = []

    async def __call__(self, last: bool):
        self.count += 1
        self.last.append(last)
        return "found" if self.known else ("not found" if last else None)


async def test_a_known_referral_is_found_at_the_first_look_with_no_wait():
    arrivals = Arrivals(News(), wait_seconds=5, per_key=1, overall=1)
    looks = Looks()
    looks.known = True

    assert await arrivals.first_sight(ONE, ID, looks) == "found"
    assert (looks.count, arrivals.waiting) == (1, 0)


async def test_an_unknown_referral_is_looked_for_twice_however_long_the_wait():
    arrivals = Arrivals(News(), wait_seconds=0.3, per_key=1, overall=1)
    looks = Looks()

    assert await arrivals.first_sight(ONE, ID, looks) == "not found"
    assert looks.last == [False, True]  # on arrival, and when the wait is over
    assert arrivals.waiting == 0


async def test_news_of_the_referral_wakes_the_request_before_its_wait_ends():
    news = News()
    arrivals = Arrivals(news, wait_seconds=30, per_key=1, overall=1)
    looks = Looks()
    asking = asyncio.create_task(arrivals.first_sight(ONE, ID, looks))
    while arrivals.waiting == 0:
        await asyncio.sleep(0)
    news.tell(uuid.UUID(int=2))  # another referral: nobody here wakes
    await asyncio.sleep(0.05)
    looks.known = True
    news.tell(ID)

    assert await asyncio.wait_for(asking, timeout=5) == "found"
    assert looks.last == [False, False]


async def test_news_of_someone_else_s_referral_keeps_the_request_waiting_to_the_end():
    news = News()
    arrivals = Arrivals(news, wait_seconds=0.3, per_key=1, overall=1)
    looks = Looks()  # never known to this caller
    asking = asyncio.create_task(arrivals.first_sight(ONE, ID, looks))
    while arrivals.waiting == 0:
        await asyncio.sleep(0)
    news.tell(ID)

    assert await asking == "not found"
    assert looks.last == [False, False, True]


async def test_beyond_the_bounds_a_wait_is_refused_at_once_and_places_come_back():
    arrivals = Arrivals(News(), wait_seconds=0.3, per_key=1, overall=2)
    first = asyncio.create_task(arrivals.first_sight(ONE, ID, Looks()))
    while arrivals.waiting < 1:
        await asyncio.sleep(0)

    with pytest.raises(Busy) as same_key:
        await arrivals.first_sight(ONE, ID, Looks())
    second = asyncio.create_task(arrivals.first_sight(TWO, ID, Looks()))
    while arrivals.waiting < 2:
        await asyncio.sleep(0)
    with pytest.raises(Busy) as overall:
        await arrivals.first_sight(
            Principal(PrincipalKind.COORDINATOR, "c", key_id="k_c"), ID, Looks()
        )
    await asyncio.gather(first, second)

    assert same_key.value.headers == {"Retry-After": "1"}
    assert "of this key" in same_key.value.errors[0].reason
    assert "of this key" not in overall.value.errors[0].reason
    assert arrivals.waiting == 0
    assert await arrivals.first_sight(ONE, ID, Looks()) == "not found"


async def test_with_no_wait_the_first_look_is_the_last():
    arrivals = Arrivals(News(), wait_seconds=0, per_key=1, overall=1)
    looks = Looks()

    assert await arrivals.first_sight(ONE, ID, looks) == "not found"
    assert looks.last == [True]
