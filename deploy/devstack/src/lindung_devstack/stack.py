"""Kafka and PostgreSQL together: started here, or taken from the environment.

When `KAFKA_BOOTSTRAP_SERVERS` and `DATABASE_URL` are both set, that infrastructure is used
and nothing is started. When `LINDUNG_INFRA=testcontainers` is set (and a Docker engine
exists), containers are used. Otherwise the real broker and server run as local processes.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from .kafka import KafkaBroker, create_topics
from .postgres import PostgresServer

__all__ = ["Stack"]


@dataclass
class Stack:
    """The infrastructure one run needs. Use as a context manager."""

    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="lindung-")))
    kafka_bootstrap_servers: str = ""
    database_url: str = ""
    broker: KafkaBroker | None = None
    postgres: PostgresServer | None = None
    _containers: list[object] = field(default_factory=list)

    def up(self) -> Self:
        """Bring up (or find) Kafka and PostgreSQL, then create the registry's topics."""
        env_kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        env_db = os.environ.get("DATABASE_URL")
        if env_kafka and env_db:
            self.kafka_bootstrap_servers, self.database_url = env_kafka, env_db
        elif os.environ.get("LINDUNG_INFRA") == "testcontainers":
            from .containers import start_containers  # noqa: PLC0415 - Docker-only path

            self.kafka_bootstrap_servers, self.database_url, self._containers = start_containers()
        else:
            self.postgres = PostgresServer()
            self.postgres.start()
            self.broker = KafkaBroker(self.workdir / "kafka")
            try:
                self.broker.start()
            except BaseException:
                self.postgres.stop()
                raise
            self.kafka_bootstrap_servers = self.broker.bootstrap_servers
            self.database_url = self.postgres.url
        asyncio.run(create_topics(self.kafka_bootstrap_servers))
        return self

    def down(self) -> None:
        """Stop whatever `up` started; logs stay in `workdir`."""
        if self.broker is not None:
            self.broker.stop()
        if self.postgres is not None:
            self.postgres.stop()
        for container in self._containers:
            container.stop()  # type: ignore[attr-defined]

    def env(self) -> dict[str, str]:
        """The shared connection settings, as environment variables."""
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap_servers,
            "DATABASE_URL": self.database_url,
        }

    def __enter__(self) -> Self:
        return self.up()

    def __exit__(self, *_: object) -> None:
        self.down()
