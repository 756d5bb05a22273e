"""The broker itself refuses strangers, agencies outside their topics, services outside theirs."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)
from lindung_contracts import (
    AGENCY_IDENTIFICATIONS,
    CASES,
    DEADLINES,
    IDENTIFICATION_REJECTIONS,
    NOTIFICATIONS,
    PROVIDER_RESPONSES,
    REFERRALS,
)

pytestmark = pytest.mark.integration

AGENCY = "agency.pdrm-kl"
OWN_TOPIC = AGENCY_IDENTIFICATIONS.for_agency("pdrm-kl").name
OWN_REJECTIONS = IDENTIFICATION_REJECTIONS.for_agency("pdrm-kl").name
OTHERS_TOPIC = AGENCY_IDENTIFICATIONS.for_agency("jtk-johor").name
OTHERS_REJECTIONS = IDENTIFICATION_REJECTIONS.for_agency("jtk-johor").name


async def _write(kafka: dict, topic: str) -> None:
    """Produce one record to `topic`; raises what the broker answered."""
    producer = AIOKafkaProducer(**kafka, request_timeout_ms=10_000)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"{}", key=b"k")
    finally:
        await producer.stop()


async def _read(kafka: dict, topic: str, group: str) -> None:
    """Subscribe to `topic` in consumer group `group` and fetch; raises what the broker answered."""
    consumer = AIOKafkaConsumer(topic, **kafka, group_id=group, enable_auto_commit=False)
    try:
        await consumer.start()  # the topic's metadata is refused here, if it is
        await consumer.getmany(timeout_ms=2000)
    finally:
        await consumer.stop()


async def _fetch(kafka: dict, topic: str) -> None:
    """Fetch from the start of `topic`'s first partition, in no group."""
    consumer = AIOKafkaConsumer(**kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        where = TopicPartition(topic, 0)
        consumer.assign([where])
        consumer.seek(where, 0)
        await consumer.getmany(where, timeout_ms=2000)
    finally:
        await consumer.stop()


def _group() -> str:
    """A consumer group of the agency's own."""
    return f"{AGENCY}.{uuid.uuid4().hex[:6]}"


async def test_an_agency_writes_its_own_topic_and_reads_its_own_rejections(stack):
    await _write(stack.kafka(AGENCY), OWN_TOPIC)
    await _read(stack.kafka(AGENCY), OWN_REJECTIONS, group=_group())


async def test_an_agency_cannot_write_another_agency_s_topic(stack):
    with pytest.raises(TopicAuthorizationFailedError):
        await _write(stack.kafka(AGENCY), OTHERS_TOPIC)


@pytest.mark.parametrize("topic", [OTHERS_REJECTIONS, OTHERS_TOPIC])
async def test_an_agency_cannot_read_another_agency_s_records(stack, topic):
    with pytest.raises(TopicAuthorizationFailedError):
        await _read(stack.kafka(AGENCY), topic, group=_group())


async def test_an_agency_cannot_write_its_own_rejections(stack):
    with pytest.raises(TopicAuthorizationFailedError):
        await _write(stack.kafka(AGENCY), OWN_REJECTIONS)


async def test_a_client_without_credentials_is_turned_away(stack):
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap_servers)
    with pytest.raises(KafkaConnectionError):
        await asyncio.wait_for(producer.start(), timeout=30)
    await producer.stop()


async def test_a_wrong_password_is_turned_away(stack):
    kafka = stack.kafka("router") | {"sasl_plain_password": "not-the-password"}
    producer = AIOKafkaProducer(**kafka)
    with pytest.raises(KafkaConnectionError):
        await asyncio.wait_for(producer.start(), timeout=30)
    await producer.stop()


@pytest.mark.parametrize("topic", [CASES, REFERRALS, PROVIDER_RESPONSES, DEADLINES])
async def test_an_agency_cannot_read_internal_topics(stack, topic):
    with pytest.raises(TopicAuthorizationFailedError):
        await _read(stack.kafka(AGENCY), topic.name, group=_group())


@pytest.mark.parametrize("topic", [CASES, REFERRALS, NOTIFICATIONS])
async def test_an_agency_cannot_write_internal_topics(stack, topic):
    with pytest.raises(TopicAuthorizationFailedError):
        await _write(stack.kafka(AGENCY), topic.name)


@pytest.mark.parametrize(
    ("service", "topic"),
    [
        # A forged acceptance would stop every escalation of the referral.
        ("notifier", REFERRALS.name),
        ("router", PROVIDER_RESPONSES.name),
        ("sla-monitor", CASES.name),
        ("intake", DEADLINES.name),
        # Not even intake may report in an agency's name.
        ("intake", OWN_TOPIC),
    ],
)
async def test_a_service_cannot_write_a_topic_it_does_not_own(stack, service, topic):
    with pytest.raises(TopicAuthorizationFailedError):
        await _write(stack.kafka(service), topic)


async def test_a_service_writes_its_own_topic_and_reads_what_it_consumes(stack):
    await _write(stack.kafka("sla-monitor"), DEADLINES.name)
    await _fetch(stack.kafka("router"), DEADLINES.name)


async def test_a_service_cannot_read_a_topic_it_does_not_consume(stack):
    with pytest.raises(TopicAuthorizationFailedError):
        await _read(stack.kafka("notifier"), CASES.name, group="lindung-notifier")


@pytest.mark.parametrize(
    ("principal", "group"),
    [
        ("notifier", "lindung-sla-monitor"),
        (AGENCY, "lindung-router"),
        (AGENCY, "agency.jtk-johor.x"),
    ],
)
async def test_nobody_joins_a_consumer_group_that_is_not_theirs(stack, principal, group):
    # A topic each may read: only the group is refused.
    topic = REFERRALS.name if principal == "notifier" else OWN_REJECTIONS
    with pytest.raises(GroupAuthorizationFailedError):
        await _read(stack.kafka(principal), topic, group=group)
