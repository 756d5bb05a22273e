"""Kafka and PostgreSQL together: started here, or taken from the environment.

When `KAFKA_BOOTSTRAP_SERVERS` and `DATABASE_URL` are both set, that infrastructure is used
and nothing is started. When `LINDUNG_INFRA=testcontainers` is set (and a Docker engine
exists), containers are used. Otherwise the real broker and server run as local processes,
with their data and logs under `workdir`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from ._proc import StartError, run_async
from .kafka import KafkaBroker, create_topics
from .postgres import PostgresServer

__all__ = ["Stack"]

# Limits for a loaded 2-core machine, where the broker alone may need a minute; together
# they stay below the test run's per-test timeout, so a failed start is reported by us.
POSTGRES_TIMEOUT = 60.0
BROKER_TIMEOUT = 180.0
TOPICS_TIMEOUT = 45.0


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
        """Bring up (or find) Kafka and PostgreSQL and create the topics; on failure stop all."""
        try:
            self._up()
        except BaseException:
            with contextlib.suppress(Exception):  # the reason it failed matters more
                self.down()
            raise
        return self

    def down(self) -> None:
        """Stop whatever `up` started; logs stay in `workdir`."""
        stops = [
            *(c.stop for c in (self.broker, self.postgres) if c is not None),
            *(c.stop for c in self._containers),  # type: ignore[attr-defined]
        ]
        errors: list[Exception] = []
        for stop in stops:  # one that fails must not keep the others running
            try:
                stop()
            except Exception as error:
                errors.append(error)
        if errors:
            raise errors[0]

    def env(self) -> dict[str, str]:
        """The shared connection settings, as environment variables."""
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap_servers,
            "DATABASE_URL": self.database_url,
        }

    def _up(self) -> None:
        env_kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        env_db = os.environ.get("DATABASE_URL")
        if env_kafka and env_db:
            self.kafka_bootstrap_servers, self.database_url = env_kafka, env_db
        elif os.environ.get("LINDUNG_INFRA") == "testcontainers":
            from .containers import start_containers  # noqa: PLC0415 - Docker-only path

            self.kafka_bootstrap_servers, self.database_url, self._containers = start_containers()
        else:
            if os.geteuid() == 0:
                # PostgreSQL runs as `postgres` and must reach its directory inside ours.
                self.workdir.chmod(0o711)
            self.postgres = PostgresServer(workdir=self.workdir / "postgres")
            self.postgres.start(timeout=POSTGRES_TIMEOUT)
            self.database_url = self.postgres.url
            self.broker = KafkaBroker(self.workdir / "kafka")
            self.broker.start(timeout=BROKER_TIMEOUT)
            self.kafka_bootstrap_servers = self.broker.bootstrap_servers
        try:
            run_async(create_topics(self.kafka_bootstrap_servers, retry_for=TOPICS_TIMEOUT))
        except TimeoutError as error:
            logs = {self.broker.log_file: 0} if self.broker else {}
            raise StartError("Kafka topics", str(error), logs) from None

    def __enter__(self) -> Self:
        return self.up()

    def __exit__(self, *_: object) -> None:
        self.down()
