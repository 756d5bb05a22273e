"""What readiness says: a problem stops the service taking work, a degradation does not."""

from __future__ import annotations

from typing import Any

from lindung_common import Concern, Health, ServiceSettings
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

SETTINGS = ServiceSettings(
    kafka_bootstrap_servers="127.0.0.1:9092",
    kafka_sasl_username="svc",
    kafka_sasl_password="unused",
    database_url="postgresql://svc@127.0.0.1/lindung",
    http_port=0,
)
# Intake's choice: it takes identifications into its outbox while only PostgreSQL answers.
WITHOUT_BROKER = frozenset({Concern.BROKER, Concern.OUTBOX, Concern.CONSUMER})


class Db:
    """Started; answers a ping unless told it is gone."""

    started = True

    def __init__(self) -> None:
        self.gone = False

    async def ping(self) -> None:
        if self.gone:
            raise ConnectionRefusedError


class Link:
    """What `BrokerLink` tells readiness."""

    def __init__(self) -> None:
        self.down_since: float | None = None
        self.reason: str | None = None

    def seconds_down(self) -> float:
        return 0.0 if self.down_since is None else 12.0


class Relay:
    """The relay's backlog and its last failures."""

    def __init__(self) -> None:
        self.last_failure: str | None = None
        self.broker_failure: str | None = None
        self.oldest = 0.0

    async def backlog(self) -> tuple[int, float, int]:
        return (3 if self.oldest else 0), self.oldest, 0


def health(name: str, degrade_only: frozenset[Concern] = frozenset()) -> Any:
    checked = Health(name, SETTINGS, Db(), [], degrade_only=degrade_only)  # type: ignore[arg-type]
    checked.link, checked.relay = Link(), Relay()
    return checked


def sample(name: str, **labels: str) -> float | None:
    """A metric's value as /metrics would show it."""
    return REGISTRY.get_sample_value(name, labels)


async def test_all_well_is_ready_and_nothing_degraded():
    ok, body = await health("svc-well").ready()

    assert ok
    assert (body["status"], body["problems"], body["degraded"]) == ("ready", [], [])
    assert body["broker"] == {"answers": True}
    assert sample("lindung_ready", service="svc-well") == 1
    for concern in Concern:
        assert sample("lindung_degraded", service="svc-well", reason=concern.value) == 0


async def test_the_broker_gone_stops_a_service_that_needs_it_and_says_why():
    checked = health("svc-needs")
    checked.link.down_since, checked.link.reason = 1.0, "no broker could be reached"

    ok, body = await checked.ready()

    assert not ok
    assert body["status"] == "not ready"
    assert body["problems"] == ["broker: no answer for 12 s (no broker could be reached)"]
    assert body["broker"] == {
        "answers": False,
        "for_seconds": 12.0,
        "reason": "no broker could be reached",
    }
    assert sample("lindung_ready", service="svc-needs") == 0
    assert sample("lindung_degraded", service="svc-needs", reason="broker") == 1


async def test_the_broker_gone_only_degrades_a_service_that_works_without_it():
    checked = health("svc-intake", WITHOUT_BROKER)
    checked.link.down_since, checked.link.reason = 1.0, "no broker could be reached"
    checked.relay.oldest = 45.0  # identifications wait in the outbox meanwhile

    ok, body = await checked.ready()

    assert ok
    assert (body["status"], body["problems"]) == ("degraded", [])
    assert body["degraded"] == [
        "outbox: the oldest event has waited 45 s (limit 30 s)",
        "broker: no answer for 12 s (no broker could be reached)",
    ]
    assert sample("lindung_ready", service="svc-intake") == 1
    assert sample("lindung_degraded", service="svc-intake", reason="broker") == 1
    assert sample("lindung_degraded", service="svc-intake", reason="outbox") == 1
    assert sample("lindung_degraded", service="svc-intake", reason="database") == 0


async def test_a_producer_that_cannot_deliver_is_a_broker_concern():
    checked = health("svc-producer")
    checked.relay.broker_failure = "Kafka refused (OutOfOrderSequenceNumber)"

    ok, body = await checked.ready()

    assert not ok
    assert body["problems"] == [
        "producer: cannot deliver (Kafka refused (OutOfOrderSequenceNumber))"
    ]


async def test_without_its_database_no_service_takes_work():
    checked = health("svc-nodb", WITHOUT_BROKER)
    checked._db.gone = True

    ok, body = await checked.ready()

    assert not ok
    assert body["problems"] == ["database: connection failed or timed out (ConnectionRefusedError)"]
    assert sample("lindung_degraded", service="svc-nodb", reason="database") == 1


async def test_only_a_change_of_status_is_logged():
    checked = health("svc-logs")
    with capture_logs() as logs:
        for _ in range(3):
            await checked.ready()
        checked.link.down_since, checked.link.reason = 1.0, "no answer within 5 s"
        for _ in range(3):
            await checked.ready()
        checked.link.down_since = checked.link.reason = None
        for _ in range(3):
            await checked.ready()

    assert [(e["log_level"], e["event"]) for e in logs] == [
        ("warning", "not ready: takes no work"),
        ("info", "ready: takes work, nothing degraded"),
    ]
    assert logs[0]["reasons"] == ["broker: no answer for 12 s (no answer within 5 s)"]
