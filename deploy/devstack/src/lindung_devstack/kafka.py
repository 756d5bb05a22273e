"""The real Apache Kafka broker (KRaft, single node) as a local process.

The broker's jars are resolved from Maven Central by `deploy/kafka/pom.xml` into a cache
directory keyed by the pom's content, so the download happens once per machine.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import os
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from lindung_contracts import TOPICS

from ._proc import free_port, stop_process, wait_until

__all__ = ["KafkaBroker", "create_topics", "resolve_broker"]

DEPLOY_KAFKA = Path(__file__).resolve().parents[3] / "kafka"
POM = DEPLOY_KAFKA / "pom.xml"
LOG4J = DEPLOY_KAFKA / "log4j2.properties"


def cache_root() -> Path:
    """Where downloaded things are kept between runs (`LINDUNG_CACHE` overrides)."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "lindung"
    return Path(os.environ.get("LINDUNG_CACHE", default))


def resolve_broker() -> Path:
    """The directory of the broker's jars, resolved with Maven on first use."""
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()[:12]
    lib = cache_root() / f"kafka-{digest}" / "lib"
    if (lib / ".complete").exists():
        return lib
    partial = lib.with_name(f"lib.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    command = [
        "mvn", "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
        "-DincludeScope=runtime", f"-DoutputDirectory={partial}",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(
            f"Maven could not resolve the Kafka broker ({' '.join(command)}):\n"
            f"{result.stdout[-4000:]}{result.stderr[-4000:]}"
        )
    (partial / ".complete").write_text(digest)
    shutil.rmtree(lib, ignore_errors=True)
    partial.rename(lib)
    return lib


@dataclass
class KafkaBroker:
    """One KRaft broker+controller on loopback ports, its data and log in `workdir`."""

    workdir: Path
    port: int = 0
    controller_port: int = 0
    heap: str = "768m"
    process: subprocess.Popen[bytes] | None = None
    started_in: float = 0.0

    @property
    def bootstrap_servers(self) -> str:
        """host:port for clients."""
        return f"127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        """The broker's own log (kept after the run)."""
        return self.workdir / "broker.log"

    def start(self, *, timeout: float = 90.0) -> None:
        """Format storage, start the broker and wait until it answers metadata requests."""
        lib = resolve_broker()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        self.controller_port = self.controller_port or free_port()
        config = self._write_config()
        java = [
            shutil.which("java") or "java",
            "-Xms256m", f"-Xmx{self.heap}",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={LOG4J}",
            f"-Dlindung.kafka.log={self.log_file}",
            "-cp", f"{lib}/*",
        ]  # fmt: skip
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        began = time.monotonic()
        subprocess.run(  # noqa: S603 - fixed argv built above
            [*java, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(config)],
            check=True,
            capture_output=True,
        )
        out = (self.workdir / "broker.out").open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv built above
            [*java, "kafka.Kafka", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until(self._answers, timeout=timeout, what="Kafka broker", interval=0.25)
        except TimeoutError:
            self.stop()
            raise TimeoutError(f"Kafka broker did not start; see {self.log_file}") from None
        self.started_in = time.monotonic() - began

    def stop(self) -> None:
        """Stop the broker cleanly (SIGTERM), forcefully after 30 s."""
        if self.process is not None:
            stop_process(self.process, timeout=30)
            self.process = None

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"Kafka broker exited; see {self.log_file}")
        return asyncio.run(_metadata_ok(self.bootstrap_servers))

    def _write_config(self) -> Path:
        settings = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},"
            f"CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.workdir / "data"),
            # Single node: internal topics cannot have more replicas than brokers.
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "4",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "min.insync.replicas": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            # Consumers join at once instead of waiting 3 s for company.
            "group.initial.rebalance.delay.ms": "0",
            # A typo in a topic name must fail loudly, not create a topic.
            "auto.create.topics.enable": "false",
            "num.partitions": "1",
        }
        path = self.workdir / "server.properties"
        path.write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
        return path


async def _metadata_ok(bootstrap_servers: str) -> bool:
    # While the broker boots, refused connections are expected; aiokafka would log each.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=2000)
    try:
        await admin.start()
        await admin.list_topics()
    except (KafkaError, OSError):
        return False
    finally:
        await admin.close()
        logging.getLogger("aiokafka").setLevel(logging.NOTSET)
    return True


async def create_topics(bootstrap_servers: str) -> list[str]:
    """Create every topic the contracts registry declares; existing ones are left as they are."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(t.name, num_partitions=t.partitions, replication_factor=1)
            for t in TOPICS
            if t.name not in existing
        ]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(wanted)
        return [t.name for t in wanted]
    finally:
        await admin.close()
