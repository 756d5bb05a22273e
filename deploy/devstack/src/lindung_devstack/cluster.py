"""A Kafka cluster of several KRaft nodes, each broker and controller, as local processes.

Every node votes in one controller quorum; every topic (the internal ones too) has
`min(3, size)` replicas and a write needs `min_insync` of them in sync, so a cluster of
three loses a node without losing or refusing a write. Clients authenticate and are
authorised as on a single broker (`KafkaBroker`): the same SCRAM credentials are written
into every node's storage when the cluster is formatted, with one cluster id.

`nodes[i].kill()` (SIGKILL) or `.stop()`, then `.start()`, takes one node away and brings
it back on its ports with its data, while the others run.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import shutil
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._proc import PORT_ATTEMPTS, StartError, free_port, start_with_retries
from .access import ADMIN, Credentials, new_credentials
from .kafka import KafkaBroker, new_cluster_id, resolve_broker

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

__all__ = ["KafkaCluster"]


@dataclass
class KafkaCluster:
    """`size` KRaft nodes on loopback ports, node `i` (from 1) in `workdir / f"node-{i}"`."""

    workdir: Path
    size: int = 3
    heap: str = "768m"
    short_lived: bool = False  # as `KafkaBroker.short_lived`, for every node
    users: Mapping[str, Credentials] = field(default_factory=dict)
    admin: Credentials = field(default_factory=lambda: new_credentials([ADMIN])[ADMIN])
    nodes: list[KafkaBroker] = field(default_factory=list)
    started_in: float = 0.0

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError("a cluster has at least one node")
        self.nodes = self.nodes or [
            KafkaBroker(
                self.workdir / f"node-{i}",
                heap=self.heap,
                short_lived=self.short_lived,
                users=self.users,
                admin=self.admin,
                node_id=i,
                replication=self.replication,
            )
            for i in range(1, self.size + 1)
        ]

    @property
    def replication(self) -> int:
        """Replicas of every topic."""
        return min(3, self.size)

    @property
    def bootstrap_servers(self) -> str:
        """Every node's host:port, comma-separated, for clients."""
        return ",".join(node.bootstrap_servers for node in self.nodes)

    def client_options(self, credentials: Credentials | None = None) -> dict[str, Any]:
        """Client arguments (aiokafka) for a principal of this cluster (the admin by default)."""
        return (credentials or self.admin).client_options(self.bootstrap_servers)

    @property
    def log_files(self) -> list[Path]:
        """Each node's own log and its JVM output (kept after the run)."""
        return [path for node in self.nodes for path in (node.log_file, node.out_file)]

    def start(self, *, timeout: float = 180.0) -> None:
        """Start every node at once (a quorum needs a majority); StartError names the node.

        On failure every node started is stopped again. Ports are chosen at the first
        start, and chosen again for every node if one was taken meanwhile.
        """
        lib = resolve_broker()
        deadline = time.monotonic() + timeout
        fresh = not any((n.data_dir / "meta.properties").exists() for n in self.nodes)

        def attempt(number: int) -> None:
            if number > 1 or not self.nodes[0].port:
                for node in self.nodes:  # formatted, if at all, for the old ports
                    shutil.rmtree(node.data_dir, ignore_errors=True)
                    node.port, node.controller_port = free_port(), free_port()
            self._start_all(lib, deadline)

        began = time.monotonic()
        start_with_retries(attempt, attempts=PORT_ATTEMPTS if fresh else 1)
        self.started_in = time.monotonic() - began

    def stop(self) -> None:
        """Stop every node cleanly (SIGTERM, forcefully after 30 s); data and logs stay."""
        # All at once: one by one, the last would wait for a quorum already gone.
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(self.nodes)) as pool:
            stops = [pool.submit(node.stop) for node in self.nodes]
        errors = [e for e in (stop.exception() for stop in stops) if e is not None]
        if errors:  # one that failed did not keep the others running
            raise errors[0]

    def _start_all(self, lib: Path, deadline: float) -> None:
        cluster_id = new_cluster_id()
        voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in self.nodes)
        for node in self.nodes:
            node.workdir.mkdir(parents=True, exist_ok=True)
            node.voters, node.cluster_id = voters, cluster_id
        try:
            marks = [node.launch(lib) for node in self.nodes]
            for node, mark in zip(self.nodes, marks, strict=True):
                node.wait_ready(deadline, mark)
        except BaseException as error:
            with contextlib.suppress(Exception):  # the reason it failed matters more
                self.stop()
            if isinstance(error, StartError):
                error.add_note(f"every node's logs: {', '.join(map(str, self.log_files))}")
            raise
