"""The Kafka side of intake: the agency door and the referral projection.

A plain aiokafka consumer (not Faust): offsets are committed only after every record of
a batch has been stored or refused, so a crash replays records, never skips them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog
from aiokafka import AIOKafkaConsumer
from lindung_common import Handler, Record
from lindung_contracts import AGENCY_IDENTIFICATIONS, REFERRALS, Payload, ReferralRequested

if TYPE_CHECKING:
    from lindung_common import Runtime

    from lindung_intake.handlers import Intake

__all__ = ["consume_forever"]

GROUP = "lindung-intake"
log = structlog.get_logger(__name__)


async def consume_forever(intake: Intake, runtime: Runtime, bootstrap_servers: str) -> None:
    """Read both topics until cancelled."""
    consumer = AIOKafkaConsumer(
        AGENCY_IDENTIFICATIONS.name,
        REFERRALS.name,
        bootstrap_servers=bootstrap_servers,
        group_id=GROUP,
        client_id=GROUP,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=10_000,
        heartbeat_interval_ms=3_000,
    )
    handlers: dict[type[Payload], Handler] = {ReferralRequested: intake.on_referral_requested}
    await runtime.ready()
    await consumer.start()
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=500, max_records=200)
            for messages in batches.values():
                for message in messages:
                    record = Record(
                        topic=message.topic,
                        partition=message.partition,
                        offset=message.offset,
                        key=message.key,
                        value=message.value,
                        headers=tuple(message.headers or ()),
                    )
                    if record.topic == AGENCY_IDENTIFICATIONS.name:
                        await intake.on_agency_record(record)
                    else:
                        await runtime.process(GROUP, record, handlers)
            if batches:
                await consumer.commit()
    finally:
        await consumer.stop()
