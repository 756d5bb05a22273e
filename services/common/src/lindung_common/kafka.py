"""Kafka clients, configured the one way Lindung needs: authenticated, and without loss.

`BrokerLink` says whether the broker answers, for readiness.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka import errors as kafka_errors
from aiokafka.errors import KafkaError
from aiokafka.helpers import create_ssl_context

from .failures import classify

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from aiokafka.client import AIOKafkaClient

    from .settings import ServiceSettings

__all__ = ["BrokerLink", "client_options", "create_producer", "gave_up"]

log = structlog.get_logger(__name__)


def client_options(settings: ServiceSettings) -> dict[str, Any]:
    """Where the brokers are and who this service is, for any aiokafka client."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
        "sasl_mechanism": settings.kafka_sasl_mechanism,
        "sasl_plain_username": settings.kafka_sasl_username,
        "sasl_plain_password": settings.kafka_sasl_password.get_secret_value(),
    }
    if settings.kafka_security_protocol == "SASL_SSL":
        cafile = str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
        options["ssl_context"] = create_ssl_context(cafile=cafile)
    return options


def create_producer(
    kafka: Mapping[str, Any],
    client_id: str,
    *,
    request_timeout_ms: int = 30_000,
    max_request_size: int = 1_048_576,
) -> AIOKafkaProducer:
    """An idempotent producer that waits for every in-sync replica (no silent loss).

    `kafka` holds the connection and credentials (`client_options`).
    """
    return AIOKafkaProducer(
        **kafka,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        request_timeout_ms=request_timeout_ms,
        max_request_size=max_request_size,
    )


# The idempotent producer gives up for good on these (its sender stops): after batches
# expired while the broker was away, its sequence numbers no longer match the broker's.
# Only a new producer (a new producer id) sends again.
_GIVEN_UP = (
    kafka_errors.OutOfOrderSequenceNumber,
    kafka_errors.ProducerFenced,
    kafka_errors.InvalidProducerEpoch,
    kafka_errors.InvalidProducerIdMapping,
    kafka_errors.ProducerClosed,
)


def gave_up(producer: AIOKafkaProducer, error: BaseException) -> bool:
    """Whether the producer will never send again: only a new one will."""
    sender = getattr(getattr(producer, "_sender", None), "sender_task", None)
    return isinstance(error, _GIVEN_UP) or (sender is not None and sender.done())


class BrokerLink:
    """Whether the broker answers, asked every interval on the producer's own connection.

    A producer with nothing to send never notices that the broker went away, and one with
    something to send notices only when its request times out (30 s). A metadata request
    each interval notices within about one: a refused connection at once, silence after
    `timeout`. Only a change is logged: the first failure and the recovery.
    """

    def __init__(
        self, client: Callable[[], AIOKafkaClient], *, interval: float, timeout: float
    ) -> None:
        """`client` gives the producer's client (the producer may be replaced)."""
        self._client = client
        self._interval = interval
        self._timeout = timeout
        self.down_since: float | None = None
        self.reason: str | None = None

    async def run(self) -> None:
        """Check until cancelled."""
        while True:
            await self.check()
            await asyncio.sleep(self._interval)

    async def check(self) -> bool:
        """Ask once; whether the broker answered."""
        try:
            async with asyncio.timeout(self._timeout):
                await self._client().fetch_all_metadata()
        except TimeoutError:
            self._down(f"no answer within {self._timeout:g} s")
            return False
        except KafkaError as exc:
            # fetch_all_metadata's own error when no broker could be reached.
            reason = classify(exc).reason if exc.retriable else "no broker could be reached"
            self._down(reason)
            return False
        except OSError as exc:
            self._down(classify(exc).reason)
            return False
        if self.down_since is not None:
            log.info("broker answers again", after_seconds=round(self.seconds_down(), 1))
        self.down_since = self.reason = None
        return True

    def seconds_down(self) -> float:
        """How long the broker has not answered; 0 while it does."""
        return 0.0 if self.down_since is None else time.monotonic() - self.down_since

    def _down(self, reason: str) -> None:
        if self.down_since is None:
            self.down_since = time.monotonic()
            log.warning("broker does not answer", reason=reason)
        self.reason = reason
