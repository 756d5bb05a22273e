"""Kafka and PostgreSQL together: started here, or taken from the environment.

When `KAFKA_BOOTSTRAP_SERVERS` and `DATABASE_URL` are both set, that infrastructure is used
and nothing is started; `DATABASE_URL` is then a PostgreSQL super user's (the services'
roles are made there), `KAFKA_SASL_USERNAME` and `KAFKA_SASL_PASSWORD` name a super
user of that cluster, and the principals below must exist there with the passwords given
in `LINDUNG_KAFKA_PASSWORDS` (`name=password,...`). Otherwise the real broker and
server run as local processes, with their data and logs under `workdir`: one broker, or
with `brokers=3` a cluster of three (`cluster.py`: every topic on three brokers, a write
in sync on two), each node in `kafka_nodes` to stop, kill and start again.

Every service and every agency in `agencies` gets a Kafka principal of its own, and every
service a PostgreSQL role of its own (`roles.py`): `database_url` is the administrator's,
for tests and tools; `database_urls[service]` is what that service connects with.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import asyncpg
from aiokafka.errors import KafkaError

from ._proc import StartError, run_async
from .access import (
    ADMIN,
    SERVICE_PRINCIPALS,
    Credentials,
    agency_principal,
    new_credentials,
)
from .acls import acls, grant
from .cluster import KafkaCluster
from .kafka import KafkaBroker, create_topics
from .postgres import PostgresServer
from .roles import DatabaseRole, login_url, provision_database
from .services import SERVICES

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
    agencies: tuple[str, ...] = ()
    # Kafka nodes to start: 1, a single broker; more, a cluster (topics on min(3, n)).
    brokers: int = 1
    # Brokers that live for a test run (`KafkaBroker.short_lived`); a benchmark's do not.
    short_lived: bool = False
    kafka_bootstrap_servers: str = ""
    database_url: str = ""
    # The single broker; None for a cluster, whose nodes are in `kafka_nodes`. A broker
    # (or `postgres`) given is the one started: its ports, data and credentials are kept.
    broker: KafkaBroker | None = None
    cluster: KafkaCluster | None = None
    postgres: PostgresServer | None = None
    admin: Credentials = field(default_factory=lambda: new_credentials([ADMIN])[ADMIN])
    # Every principal but the admin, by name.
    credentials: dict[str, Credentials] = field(default_factory=dict)
    # Each service's PostgreSQL role, by service name.
    database_roles: dict[str, DatabaseRole] = field(
        default_factory=lambda: {name: DatabaseRole.of(name) for name in SERVICES}
    )
    _other_roles: dict[tuple[str, str], DatabaseRole] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        names = [*SERVICE_PRINCIPALS, *(agency_principal(a) for a in self.agencies)]
        self.credentials = new_credentials(names) | self.credentials

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
            *(c.stop for c in (self.broker, self.cluster, self.postgres) if c is not None),
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
        """The shared connection settings, as environment variables (Kafka as the admin)."""
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap_servers,
            "KAFKA_SASL_MECHANISM": self.admin.mechanism,
            "KAFKA_SASL_USERNAME": self.admin.username,
            "KAFKA_SASL_PASSWORD": self.admin.password,
            "DATABASE_URL": self.database_url,
        }

    @property
    def kafka_nodes(self) -> list[KafkaBroker]:
        """Every Kafka node started here: the single broker, or the cluster's nodes."""
        if self.cluster is not None:
            return self.cluster.nodes
        return [self.broker] if self.broker is not None else []

    @property
    def database_urls(self) -> dict[str, str]:
        """What each service connects to PostgreSQL with: its own role, by service name."""
        return {name: login_url(self.database_url, r) for name, r in self.database_roles.items()}

    def database_url_for(self, service: str, schema: str) -> str:
        """A login role like the service's on another schema (a test's own), migrated."""
        role = self._other_roles.get((service, schema))
        if role is None:
            role = DatabaseRole(service, schema)
            run_async(provision_database(self.database_url, [role]))
            self._other_roles[service, schema] = role
        return login_url(self.database_url, role)

    def kafka(self, principal: str = ADMIN) -> dict[str, Any]:
        """Client arguments (aiokafka) for a principal: the admin, a service, `agency.<id>`."""
        who = self.admin if principal == ADMIN else self.credentials[principal]
        return who.client_options(self.kafka_bootstrap_servers)

    def kafka_settings(self, principal: str) -> dict[str, str]:
        """A service's Kafka settings as its settings class names them, for a principal."""
        who = self.admin if principal == ADMIN else self.credentials[principal]
        return {"kafka_bootstrap_servers": self.kafka_bootstrap_servers, **who.settings()}

    def service_env(self, service: str) -> dict[str, str]:
        """A service's Kafka settings as environment variables, with its own principal."""
        _, prefix = SERVICES[service]
        return {f"{prefix}{k.upper()}": v for k, v in self.kafka_settings(service).items()}

    def _up(self) -> None:
        env_kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        env_db = os.environ.get("DATABASE_URL")
        # Servers given (with their ports, data and passwords) are started, whatever is set.
        given = self.postgres is not None or self.broker is not None
        if env_kafka and env_db and not given:
            self.kafka_bootstrap_servers, self.database_url = env_kafka, env_db
            self._existing_credentials()
        else:
            if os.geteuid() == 0:
                # PostgreSQL runs as `postgres` and must reach its directory inside ours.
                self.workdir.chmod(0o711)
            if self.postgres is None:
                self.postgres = PostgresServer(workdir=self.workdir / "postgres")
            self.postgres.start(timeout=POSTGRES_TIMEOUT)
            self.database_url = self.postgres.url
            self._start_kafka()
        try:
            run_async(provision_database(self.database_url, self.database_roles.values()))
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            reason = f"roles and schemas: {type(error).__name__}: {error}"
            raise StartError("PostgreSQL", reason, {}) from None
        logs = {node.log_file: 0 for node in self.kafka_nodes}
        replication = min(3, self.brokers)
        try:
            run_async(
                create_topics(
                    self.kafka(), self.agencies, retry_for=TOPICS_TIMEOUT, replication=replication
                )
            )
        except TimeoutError as error:
            raise StartError("Kafka topics", str(error), logs) from None
        try:
            run_async(grant(self.kafka(), acls(self.agencies)))
        except (RuntimeError, KafkaError, OSError) as error:
            raise StartError("Kafka ACLs", f"{type(error).__name__}: {error}", logs) from None

    def _start_kafka(self) -> None:
        if self.brokers == 1:
            if self.broker is None:
                self.broker = KafkaBroker(
                    self.workdir / "kafka",
                    users=self.credentials,
                    admin=self.admin,
                    short_lived=self.short_lived,
                )
            self.broker.start(timeout=BROKER_TIMEOUT)
            self.kafka_bootstrap_servers = self.broker.bootstrap_servers
            return
        self.cluster = KafkaCluster(
            self.workdir / "kafka",
            self.brokers,
            users=self.credentials,
            admin=self.admin,
            short_lived=self.short_lived,
        )
        self.cluster.start(timeout=BROKER_TIMEOUT)
        self.kafka_bootstrap_servers = self.cluster.bootstrap_servers

    def _existing_credentials(self) -> None:
        """The admin and the principals of a cluster that is already there."""
        username, password = (os.environ.get(f"KAFKA_SASL_{k}") for k in ("USERNAME", "PASSWORD"))
        if not (username and password):
            reason = "set KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (a super user)"
            raise StartError("Kafka", reason, {})
        self.admin = Credentials(username, password)
        given = dict(
            pair.split("=", 1)
            for pair in os.environ.get("LINDUNG_KAFKA_PASSWORDS", "").split(",")
            if "=" in pair
        )
        self.credentials = {
            name: Credentials(name, given.get(name, "")) for name in self.credentials
        }

    def __enter__(self) -> Self:
        return self.up()

    def __exit__(self, *_: object) -> None:
        self.down()
