"""`BrokerLink`: down at the first unanswered probe, up at the first answer, one line each."""

from __future__ import annotations

import asyncio

from aiokafka.errors import KafkaConnectionError, KafkaError
from lindung_common.kafka import BrokerLink
from structlog.testing import capture_logs


class Client:
    """Answers metadata requests as told: "answer", "refuse" (no broker), "hang", "drop"."""

    def __init__(self) -> None:
        self.behaviour = "answer"

    async def fetch_all_metadata(self) -> object:
        if self.behaviour == "refuse":
            raise KafkaError("Unable to get cluster metadata over all known brokers")
        if self.behaviour == "drop":
            raise KafkaConnectionError("Connection at 127.0.0.1:9092 closed")
        if self.behaviour == "hang":
            await asyncio.sleep(3600)
        return object()


def link(client: Client) -> BrokerLink:
    return BrokerLink(lambda: client, interval=0.01, timeout=0.05)  # type: ignore[arg-type, return-value]


async def test_a_broker_that_answers_is_up():
    watched = link(Client())

    assert await watched.check()
    assert (watched.down_since, watched.reason, watched.seconds_down()) == (None, None, 0.0)


async def test_no_broker_reachable_is_down_at_once_with_the_reason():
    client = Client()
    client.behaviour = "refuse"
    watched = link(client)

    assert not await watched.check()
    assert watched.down_since is not None
    assert watched.reason == "no broker could be reached"


async def test_a_broker_that_does_not_answer_in_time_is_down():
    client = Client()
    client.behaviour = "hang"
    watched = link(client)

    assert not await watched.check()
    assert watched.reason == "no answer within 0.05 s"


async def test_a_lost_connection_says_so():
    client = Client()
    client.behaviour = "drop"
    watched = link(client)

    assert not await watched.check()
    assert watched.reason == "Kafka unavailable (KafkaConnectionError)"


async def test_an_outage_is_logged_when_it_starts_and_when_it_ends_not_at_every_probe():
    client = Client()
    watched = link(client)
    with capture_logs() as logs:
        await watched.check()
        client.behaviour = "refuse"
        for _ in range(20):
            await watched.check()
        first_down = watched.down_since
        client.behaviour = "answer"
        for _ in range(3):
            await watched.check()

    assert first_down is not None
    assert [(e["log_level"], e["event"]) for e in logs] == [
        ("warning", "broker does not answer"),
        ("info", "broker answers again"),
    ]
    assert watched.down_since is None
