"""PostgreSQL and the broker come back on their ports with their data; a taken port is replaced."""

from __future__ import annotations

import asyncio
import shutil
import socket
from typing import TYPE_CHECKING

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from lindung_contracts import CASES
from lindung_devstack import kafka, postgres
from lindung_devstack.kafka import KafkaBroker, create_topics, registry_topics
from lindung_devstack.postgres import PostgresServer

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.integration


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port another process holds (listening) for the whole test."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def hand_out_first(monkeypatch, module, port: int) -> None:
    """The port chooser of `module` hands out `port` first, as if the kernel raced us."""
    real, first = module.free_port, [port]
    monkeypatch.setattr(module, "free_port", lambda: first.pop() if first else real())


@pytest.fixture
def pg() -> Iterator[PostgresServer]:
    server = PostgresServer()
    yield server
    server.stop()
    shutil.rmtree(server.workdir, ignore_errors=True)


async def test_postgres_moves_to_another_port_when_its_port_is_taken(monkeypatch, taken_port, pg):
    hand_out_first(monkeypatch, postgres, taken_port)
    await asyncio.to_thread(pg.start)
    assert pg.port != taken_port
    assert "Address already in use" in pg.log_file.read_text()
    conn = await asyncpg.connect(pg.url)
    assert await conn.fetchval("SELECT current_database()") == "lindung"
    await conn.close()


async def test_postgres_restarts_on_the_same_port_with_its_rows(pg):
    await asyncio.to_thread(pg.start)
    port = pg.port
    conn = await asyncpg.connect(pg.url)
    await conn.execute("CREATE TABLE kept (n int); INSERT INTO kept VALUES (1), (2), (3)")
    await conn.close()

    await asyncio.to_thread(pg.stop)
    with pytest.raises(ConnectionRefusedError):
        await asyncpg.connect(pg.url)
    await asyncio.to_thread(pg.start)
    assert pg.port == port
    await asyncio.to_thread(pg.restart)
    assert pg.port == port

    conn = await asyncpg.connect(pg.url)
    assert await conn.fetchval("SELECT sum(n) FROM kept") == 6
    await conn.close()


async def test_the_broker_moves_off_a_taken_port_then_restarts_there_with_its_records(
    monkeypatch, taken_port, tmp_path
):
    hand_out_first(monkeypatch, kafka, taken_port)
    broker = KafkaBroker(tmp_path / "kafka")
    await asyncio.to_thread(broker.start)
    try:
        assert broker.port != taken_port
        assert "Address already in use" in broker.log_file.read_text()
        ports = (broker.port, broker.controller_port)
        admin = AIOKafkaAdminClient(**broker.client_options())
        await admin.start()
        await admin.create_topics([NewTopic("kept", num_partitions=1, replication_factor=1)])
        await admin.close()
        producer = AIOKafkaProducer(**broker.client_options(), acks="all")
        await producer.start()
        await producer.send_and_wait("kept", b"still here")
        await producer.stop()

        await asyncio.to_thread(broker.restart)
        assert (broker.port, broker.controller_port) == ports

        consumer = AIOKafkaConsumer("kept", **broker.client_options(), auto_offset_reset="earliest")
        await consumer.start()
        try:
            record = await asyncio.wait_for(consumer.getone(), timeout=30)
        finally:
            await consumer.stop()
        assert record.value == b"still here"
    finally:
        await asyncio.to_thread(broker.stop)


async def test_the_shared_stack_has_every_topic_and_creating_them_again_changes_nothing(stack):
    assert await create_topics(stack.kafka(), stack.agencies) == []
    admin = AIOKafkaAdminClient(**stack.kafka())
    await admin.start()
    try:
        wanted = {t.name for t in registry_topics(stack.agencies)}
        assert {"lindung.agency.pdrm-kl.identifications.v1", CASES.name} <= wanted
        assert wanted <= set(await admin.list_topics())
    finally:
        await admin.close()
    if stack.postgres is not None:  # started here, not taken from the environment
        assert stack.postgres.log_file.is_relative_to(stack.workdir)
