"""The real Apache Kafka broker (KRaft, broker and controller in one) as a local process.

One node alone by default; `cluster.py` starts several as one cluster.

The broker's jars are resolved from Maven Central by `deploy/kafka/pom.xml` into a cache
directory keyed by the pom's content, so the download happens once per machine.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError, for_code
from lindung_contracts import TOPICS

from ._proc import (
    PORT_ATTEMPTS,
    StartError,
    free_port,
    kill_process,
    log_size,
    run_async,
    start_with_retries,
    stop_process,
)
from .access import ADMIN, MECHANISM, Credentials, new_credentials

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable, Mapping

    from lindung_contracts import Topic

__all__ = [
    "KafkaBroker",
    "create_topics",
    "min_insync",
    "registry_topics",
    "resolve_broker",
]

DEPLOY_KAFKA = Path(__file__).resolve().parents[3] / "kafka"
POM = DEPLOY_KAFKA / "pom.xml"
LOG4J = DEPLOY_KAFKA / "log4j2.properties"
# What `short_lived` adds to the broker's JVM: measured on the 2-core machine, 3.0 s of CPU
# to ready instead of 5.8 s, and 2.9 % of a core idle instead of 4.4 %.
SHORT_LIVED_JVM = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")
# Asked of the controller without creating anything: the broker is ready for topics.
_PROBE = NewTopic("lindung.readiness-probe", num_partitions=1, replication_factor=1)


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
    lib.parent.mkdir(parents=True, exist_ok=True)
    # Runs on one machine share the cache: one resolves while the others wait, so nobody
    # replaces the jars under a broker that is already running from them.
    with (lib.parent / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
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


def min_insync(replication: int) -> int:
    """In-sync replicas a write needs: 2 once there are 3 replicas (one may be lost), else 1."""
    return max(1, min(2, replication - 1))


def new_cluster_id() -> str:
    """A random cluster id as Kafka writes them, never starting with "-"."""
    # One in 64 base64 ids starts with "-", which the storage tool takes for an option.
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


@dataclass
class KafkaBroker:
    """One KRaft broker+controller on loopback ports, its data and logs in `workdir`.

    Clients authenticate with SASL/SCRAM (`admin` is the only super user) and the
    standard authorizer decides by ACL what each principal may do; nothing is allowed
    where no ACL says so. The controller listener takes the admin only (SASL/PLAIN, on
    loopback). `users` are the SCRAM principals created when the storage is formatted,
    beside the admin.

    `stop()` (or `kill()`, a SIGKILL) then `start()` (or `restart()`) brings it back on the
    same ports with its data. Ports left at 0 are chosen at the first start, and chosen
    again if taken meanwhile.

    As one node of a cluster (`cluster.py`) it has its `node_id`, every controller in
    `voters` (`id@host:port,...`), the cluster's `cluster_id`, and every topic has
    `replication` replicas, the internal ones too.
    """

    workdir: Path
    port: int = 0
    controller_port: int = 0
    heap: str = "768m"
    # A broker that lives for a test run: the quick compiler alone and the serial GC start
    # it on half the CPU and keep it cheaper idle; a benchmark's or an operator's broker
    # keeps the JVM's own choices, which serve a long run under load better.
    short_lived: bool = False
    java: str = field(default_factory=lambda: shutil.which("java") or "java")
    users: Mapping[str, Credentials] = field(default_factory=dict)
    admin: Credentials = field(default_factory=lambda: new_credentials([ADMIN])[ADMIN])
    node_id: int = 1
    voters: str = ""
    cluster_id: str = ""
    replication: int = 1
    process: subprocess.Popen[bytes] | None = None
    started_in: float = 0.0

    @property
    def bootstrap_servers(self) -> str:
        """host:port for clients."""
        return f"127.0.0.1:{self.port}"

    def client_options(self, credentials: Credentials | None = None) -> dict[str, Any]:
        """Client arguments (aiokafka) for a principal of this broker (the admin by default)."""
        return (credentials or self.admin).client_options(self.bootstrap_servers)

    @property
    def log_file(self) -> Path:
        """The broker's own log (kept after the run)."""
        return self.workdir / "broker.log"

    @property
    def out_file(self) -> Path:
        """The JVM's stdout and stderr, and the storage formatter's output."""
        return self.workdir / "broker.out"

    @property
    def data_dir(self) -> Path:
        """The broker's storage, formatted at the first start and kept afterwards."""
        return self.workdir / "data"

    def start(self, *, timeout: float = 180.0) -> None:
        """Start the broker; raises StartError (with its logs' tails) unless ready in time."""
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError(f"{self.bootstrap_servers} is running; stop() it first")
        lib = resolve_broker()
        self.workdir.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + timeout
        # Ports given, or kept from an earlier start, are not changed.
        given_port, given_controller = self.port, self.controller_port
        fresh = not (self.data_dir / "meta.properties").exists()

        def attempt(number: int) -> None:
            if number > 1:  # our port was taken before the broker bound it
                shutil.rmtree(self.data_dir, ignore_errors=True)  # formatted for the old ports
            self.port = given_port or free_port()
            self.controller_port = given_controller or free_port()
            self._start_once(lib, deadline)

        began = time.monotonic()
        movable = fresh and not (given_port and given_controller)
        start_with_retries(attempt, attempts=PORT_ATTEMPTS if movable else 1)
        self.started_in = time.monotonic() - began

    def stop(self) -> None:
        """Stop the broker cleanly (SIGTERM), forcefully after 30 s; data and logs stay."""
        if self.process is not None:
            stop_process(self.process, timeout=30)
            self.process = None

    def kill(self) -> None:
        """SIGKILL the broker, as a crash would end it; data and logs stay."""
        if self.process is not None:
            kill_process(self.process)
            self.process = None

    @property
    def running(self) -> bool:
        """Whether the broker's process is alive."""
        return self.process is not None and self.process.poll() is None

    def restart(self) -> None:
        """Stop, then start again on the same ports with the same data."""
        self.stop()
        self.start()

    def _start_once(self, lib: Path, deadline: float) -> None:
        marks = self.launch(lib)
        try:
            self.wait_ready(deadline, marks)
        except BaseException:
            if self.process is not None:
                stop_process(self.process, timeout=10)
                self.process = None
            raise

    def launch(self, lib: Path) -> dict[Path, int]:
        """Format the storage if new and start the process, not waiting; the logs' marks."""
        marks = {self.log_file: log_size(self.log_file), self.out_file: log_size(self.out_file)}
        config = self._write_config()
        java = [
            self.java,
            "-Xms256m", f"-Xmx{self.heap}",
            *(SHORT_LIVED_JVM if self.short_lived else ()),
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={LOG4J}",
            f"-Dlindung.kafka.log={self.log_file}",
            "-cp", f"{lib}/*",
        ]  # fmt: skip
        try:
            with self.out_file.open("ab") as out:
                if not (self.data_dir / "meta.properties").exists():
                    cluster_id = self.cluster_id or new_cluster_id()
                    format_ = [*java, "kafka.tools.StorageTool", "format", "-t", cluster_id]
                    code = subprocess.run(  # noqa: S603 - fixed argv built above
                        [*format_, "-c", str(config), *self._scram_arguments()],
                        stdout=out,
                        stderr=out,
                        check=False,
                    ).returncode
                    if code != 0:
                        raise self._failed(f"formatting storage exited with {code}", marks)
                self.process = subprocess.Popen(  # noqa: S603 - fixed argv built above
                    [*java, "kafka.Kafka", str(config)],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        except OSError as error:
            raise self._failed(f"cannot run {self.java}: {error}", marks) from error
        return marks

    def wait_ready(self, deadline: float, marks: dict[Path, int]) -> None:
        """Until the broker is registered and would create a topic; StartError if not."""
        cluster_id = self._cluster_id()
        while True:
            assert self.process is not None
            code = self.process.poll()
            if code is not None:
                raise self._failed(f"the broker exited with code {code}", marks)
            try:
                last = run_async(_readiness(self.client_options(), cluster_id, self.node_id))
            except _ForeignClusterError as error:
                # Someone else's broker holds our port; ours cannot bind it.
                raise self._failed(str(error), marks, address_in_use=True) from None
            if not last:
                return
            if time.monotonic() > deadline:
                raise self._failed(f"not ready in time; last check: {last}", marks)
            time.sleep(0.25)

    def _failed(
        self, reason: str, marks: dict[Path, int], *, address_in_use: bool | None = None
    ) -> StartError:
        reason = f"{reason} (port {self.port}, controller port {self.controller_port})"
        who = "Kafka broker" if not self.voters else f"Kafka node {self.node_id}"
        return StartError(who, reason, marks, address_in_use=address_in_use)

    def _cluster_id(self) -> str:
        lines = (self.data_dir / "meta.properties").read_text().splitlines()
        return next(line.split("=", 1)[1] for line in lines if line.startswith("cluster.id="))

    def _scram_arguments(self) -> list[str]:
        """The SCRAM credentials written into the cluster metadata when it is formatted."""
        # Passwords are URL-safe tokens (`new_credentials`): nothing to quote.
        arguments: list[str] = []
        for user in (self.admin, *self.users.values()):
            credential = f"{MECHANISM}=[name={user.username},password={user.password}]"
            arguments += ["--add-scram", credential]
        return arguments

    def _write_config(self) -> Path:
        admin, secret = self.admin.username, self.admin.password
        scram = "org.apache.kafka.common.security.scram.ScramLoginModule"
        plain = "org.apache.kafka.common.security.plain.PlainLoginModule"
        replicas, insync = str(self.replication), str(min_insync(self.replication))
        settings = {
            "process.roles": "broker,controller",
            "node.id": str(self.node_id),
            "controller.quorum.voters": self.voters
            or f"{self.node_id}@127.0.0.1:{self.controller_port}",
            "listeners": f"SASL_PLAINTEXT://127.0.0.1:{self.port},"
            f"CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"SASL_PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "SASL_PLAINTEXT",
            "listener.security.protocol.map": "SASL_PLAINTEXT:SASL_PLAINTEXT,"
            "CONTROLLER:SASL_PLAINTEXT",
            # Clients: SCRAM, checked against the credentials in the cluster metadata.
            "sasl.enabled.mechanisms": MECHANISM,
            "sasl.mechanism.inter.broker.protocol": MECHANISM,
            f"listener.name.sasl_plaintext.{MECHANISM.lower()}.sasl.jaas.config": (
                f'{scram} required username="{admin}" password="{secret}";'
            ),
            # The controller listener: the admin alone, with a password in this file (the
            # controller must authenticate the broker before any metadata is read).
            "sasl.mechanism.controller.protocol": "PLAIN",
            "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
            "listener.name.controller.plain.sasl.jaas.config": (
                f'{plain} required username="{admin}" password="{secret}" user_{admin}="{secret}";'
            ),
            # Nothing is allowed unless an ACL allows it; the admin may do anything.
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "allow.everyone.if.no.acl.found": "false",
            "super.users": f"User:{admin}",
            "log.dirs": str(self.data_dir),
            # Every topic, the internal ones too, on `replication` brokers; a write needs
            # `min_insync` of them (a single node: 1 and 1), and a replica that fell
            # behind never becomes leader (it would lose what the others acknowledged).
            "default.replication.factor": replicas,
            "min.insync.replicas": insync,
            "unclean.leader.election.enable": "false",
            "offsets.topic.replication.factor": replicas,
            "offsets.topic.num.partitions": "4",
            "transaction.state.log.replication.factor": replicas,
            "transaction.state.log.min.isr": insync,
            "share.coordinator.state.topic.replication.factor": replicas,
            "share.coordinator.state.topic.min.isr": insync,
            # Consumers join at once instead of waiting 3 s for company.
            "group.initial.rebalance.delay.ms": "0",
            # A typo in a topic name must fail loudly, not create a topic.
            "auto.create.topics.enable": "false",
            "num.partitions": "1",
        }
        path = self.workdir / "server.properties"
        path.write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
        return path


class _ForeignClusterError(Exception):
    """A broker of another cluster answers on our port."""


@contextlib.asynccontextmanager
async def _admin(kafka: Mapping[str, Any], **options: Any) -> AsyncIterator[AIOKafkaAdminClient]:
    # While the broker boots, refused connections are expected; aiokafka would log each.
    logger = logging.getLogger("aiokafka")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    admin = AIOKafkaAdminClient(**kafka, **options)
    try:
        await admin.start()
        yield admin
    finally:
        await admin.close()
        logger.setLevel(level)


async def _readiness(kafka: Mapping[str, Any], cluster_id: str, node_id: int) -> str:
    """What keeps our broker from being ready: "" once registered and a topic would be made."""
    try:
        async with asyncio.timeout(15), _admin(kafka, request_timeout_ms=5000) as admin:
            cluster = await admin.describe_cluster()
            if cluster.get("cluster_id") not in {None, cluster_id}:
                message = f"a broker of another cluster ({cluster['cluster_id']}) answers"
                raise _ForeignClusterError(message)
            if node_id not in {b.get("node_id") for b in cluster.get("brokers") or []}:
                return f"node {node_id} not registered yet"
            answer = await admin.create_topics([_PROBE], validate_only=True)
            codes = [error[1] for error in answer.topic_errors if error[1]]
            if codes:
                return f"a topic would not be created yet: {for_code(codes[0]).__name__}"
    except (KafkaError, OSError) as error:  # OSError covers TimeoutError
        return f"{type(error).__name__}: {error}"
    return ""


def registry_topics(agencies: Iterable[str] = ()) -> list[Topic]:
    """Every topic of the registry, a per-agency one once for each agency."""
    return [
        one
        for topic in TOPICS
        for one in ([topic.for_agency(a) for a in agencies] if topic.per_agency else [topic])
    ]


async def create_topics(
    kafka: Mapping[str, Any],
    agencies: Iterable[str] = (),
    *,
    retry_for: float = 60.0,
    replication: int = 1,
) -> list[str]:
    """Create the registry's missing topics, retrying up to `retry_for` s until all exist.

    `kafka` are the admin's client arguments (`KafkaBroker.client_options`); each agency in
    `agencies` gets its own topics, each topic `replication` replicas.
    """
    topics = registry_topics(agencies)
    deadline = time.monotonic() + retry_for
    created: set[str] = set()
    last = "no attempt yet"
    while True:
        try:
            async with _admin(kafka) as admin:
                existing = set(await admin.list_topics())
                wanted = [
                    NewTopic(t.name, num_partitions=t.partitions, replication_factor=replication)
                    for t in topics
                    if t.name not in existing
                ]
                if not wanted:
                    return sorted(created)
                answer = await admin.create_topics(wanted)
                for name, code, *_ in answer.topic_errors:
                    if code == 0:
                        created.add(name)
                    elif for_code(code) is not TopicAlreadyExistsError:
                        last = f"{name}: {for_code(code).__name__}"
        except (KafkaError, OSError) as error:
            last = f"{type(error).__name__}: {error}"
        if time.monotonic() > deadline:
            raise TimeoutError(f"topics not all created within {retry_for:.0f} s; last: {last}")
        await asyncio.sleep(0.5)
