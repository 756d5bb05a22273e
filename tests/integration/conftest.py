"""Fixtures for every integration test: reading a topic from where it stood."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from aiokafka.structs import ConsumerRecord
    from lindung_contracts import Topic


class Tail:
    """Reads one topic from the end offsets it saw when opened: only what came after."""

    def __init__(self, kafka: dict[str, Any], topic: Topic) -> None:
        self.topic = topic
        self.records: list[ConsumerRecord[bytes, bytes]] = []
        self._consumer = AIOKafkaConsumer(**kafka, enable_auto_commit=False)
        self._partitions = [TopicPartition(topic.name, p) for p in range(topic.partitions)]

    async def open(self) -> None:
        await self._consumer.start()
        self._consumer.assign(self._partitions)
        for partition, offset in (await self._consumer.end_offsets(self._partitions)).items():
            self._consumer.seek(partition, offset)

    async def close(self) -> None:
        await self._consumer.stop()

    async def until(
        self, done: Callable[[list[Any]], bool], *, timeout: float = 30
    ) -> list[ConsumerRecord[bytes, bytes]]:
        """Read until `done(records)` holds; raises TimeoutError after `timeout` seconds."""
        async with asyncio.timeout(timeout):
            while not done(self.records):
                batches = await self._consumer.getmany(timeout_ms=200)
                for batch in batches.values():
                    self.records.extend(batch)
        return self.records

    async def to_end(self, *, timeout: float = 30) -> list[ConsumerRecord[bytes, bytes]]:
        """Read everything published so far (up to the end offsets as of now)."""
        ends = await self._consumer.end_offsets(self._partitions)
        async with asyncio.timeout(timeout):
            while await self._behind(ends):
                batches = await self._consumer.getmany(timeout_ms=200)
                for batch in batches.values():
                    self.records.extend(batch)
        return self.records

    async def _behind(self, ends: dict[TopicPartition, int]) -> bool:
        for partition, end in ends.items():
            if await self._consumer.position(partition) < end:
                return True
        return False


@pytest.fixture
async def tail(stack):
    """`await tail(TOPIC)` opens a Tail at the topic's current end; closed after the test."""
    opened: list[Tail] = []

    async def open_tail(topic: Topic) -> Tail:
        reader = Tail(stack.kafka(), topic)
        await reader.open()
        opened.append(reader)
        return reader

    yield open_tail
    for reader in opened:
        await reader.close()


class Person:
    """A browser at a service's pages (in-process) and at the real Keycloak, with its cookies."""

    def __init__(self, http: Any, keycloak: Any) -> None:
        import httpx  # noqa: PLC0415 - only the tests that sign people in need it

        self.http = http
        self.keycloak = keycloak
        self._idp = httpx.AsyncClient(timeout=30)
        self._idp_cookies: dict[str, str] = {}
        self.set_cookies: list[str] = []

    async def at_keycloak(self, method: str, url: str, **options: Any) -> Any:
        """A request to Keycloak, its cookies kept as a browser keeps them on loopback.

        Keycloak marks them `Secure`; a browser sends those to http://127.0.0.1, Python's
        cookie jar does not.
        """
        cookie = "; ".join(f"{k}={v}" for k, v in self._idp_cookies.items())
        headers = {"Cookie": cookie} if cookie else {}
        response = await self._idp.request(method, url, headers=headers, **options)
        for line in response.headers.get_list("set-cookie"):
            name, value = line.split(";", 1)[0].split("=", 1)
            if "max-age=0" in line.lower() or not value:
                self._idp_cookies.pop(name, None)
            else:
                self._idp_cookies[name] = value
        return response

    async def sign_in(self, user: str, path: str) -> Any:
        """Open a page, sign in on Keycloak's form, come back: the last answer."""
        import html  # noqa: PLC0415
        import re  # noqa: PLC0415
        from urllib.parse import urlsplit  # noqa: PLC0415

        opened = await self.http.get(path)
        assert opened.status_code == 303, opened.text
        started = await self.http.get(opened.headers["location"])
        assert started.status_code == 303, started.text
        back = await self.at_keycloak("GET", started.headers["location"])
        if back.status_code == 200:  # Keycloak's login form (no single sign-on session yet)
            form = re.search(r'id="kc-form-login"[^>]*action="([^"]+)"', back.text)
            assert form, back.text
            back = await self.at_keycloak(
                "POST",
                html.unescape(form[1]),
                data={"username": user, "password": self.keycloak.passwords[user]},
            )
        assert back.status_code == 302, back.text
        callback = urlsplit(back.headers["location"])
        assert callback.path.endswith("/callback"), callback
        arrived = await self.http.get(f"{callback.path}?{callback.query}")
        self.set_cookies = arrived.headers.get_list("set-cookie")
        if arrived.status_code != 303:
            return arrived
        return await self.http.get(arrived.headers["location"])

    async def close(self) -> None:
        """Close the connection to Keycloak."""
        await self._idp.aclose()


@pytest.fixture
async def person_at(keycloak: Any) -> AsyncIterator[Callable[[Any], Person]]:
    """`person_at(http)`: a person's browser at the pages `http` serves, and at Keycloak."""
    made: list[Person] = []

    def make(http: Any) -> Person:
        made.append(Person(http, keycloak))
        return made[-1]

    yield make
    for person in made:
        await person.close()
