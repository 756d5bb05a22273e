"""The four Lindung services as separate processes, for the demo and end-to-end tests.

Each service runs as one process, or as several (`instances`) sharing its work: the
first is known by the service's name, the others by the name and their number
(`router-2`), each with a port and a log file of its own.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ._proc import (
    StartError,
    free_port,
    kill_process,
    log_size,
    start_with_retries,
    wait_until,
)

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from .access import Credentials

__all__ = ["HEALTH_PATH", "SERVICES", "ServiceProcess", "ServiceSet"]

# service name -> (module run with `python -m`, environment prefix)
SERVICES: dict[str, tuple[str, str]] = {
    "intake": ("lindung_intake", "INTAKE_"),
    "router": ("lindung_router", "ROUTER_"),
    "notifier": ("lindung_notifier", "NOTIFIER_"),
    "sla-monitor": ("lindung_sla_monitor", "SLA_MONITOR_"),
}
# Where every service answers 200 once it is ready to work.
HEALTH_PATH = "/health/ready"


@dataclass
class ServiceProcess:
    """One service process, its port and its log file; it can be started again after a stop."""

    name: str  # the service's name, or with the instance's number (`router-2`)
    port: int
    log_file: Path
    env: dict[str, str]
    service: str = ""  # which service it runs (the name, when empty)
    process: subprocess.Popen[bytes] | None = None
    _log_start: int = 0
    _told: bool = False  # SIGTERM sent to the current process

    @property
    def url(self) -> str:
        """Base URL of the service's web server."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the process with its port and env; output is appended to its log file."""
        if self.running():
            raise RuntimeError(f"{self.name} is running; stop() or kill() it first")
        module, _ = SERVICES[self.service or self.name]
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self._log_start = log_size(self.log_file)
        self._told = False
        with self.log_file.open("ab") as log:  # the child keeps its own copy open
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", module],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def running(self) -> bool:
        """Whether the process was started and has not exited."""
        return self.process is not None and self.process.poll() is None

    def healthy(self) -> bool:
        """Whether the health endpoint answers 200; raises StartError if the process died."""
        if self.process is not None and self.process.poll() is not None:
            reason = f"exited with code {self.process.returncode}"
            raise StartError(self.name, reason, {self.log_file: self._log_start})
        try:
            with urllib.request.urlopen(f"{self.url}{HEALTH_PATH}", timeout=2) as response:  # noqa: S310
                return bool(response.status == 200)  # noqa: PLR2004
        except (urllib.error.URLError, OSError):
            return False

    def wait_healthy(self, *, timeout: float = 120.0) -> float:
        """Wait until healthy; returns the seconds it took, raises StartError with the log tail."""
        try:
            return wait_until(self.healthy, timeout=timeout, what=self.name, interval=0.25)
        except TimeoutError:
            reason = f"{HEALTH_PATH} on port {self.port} did not answer 200 within {timeout:.0f} s"
            raise StartError(self.name, reason, {self.log_file: self._log_start}) from None

    def terminate(self) -> None:
        """SIGTERM, once, without waiting (a second one would cut its clean stop short)."""
        if self.process is not None and self.process.poll() is None and not self._told:
            self._told = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)

    def stop(self, *, timeout: float = 30.0) -> int | None:
        """SIGTERM and wait (SIGKILL after `timeout`); returns the exit code."""
        if self.process is None:
            return None
        self.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_process(self.process)
        return self.process.returncode

    def kill(self) -> int | None:
        """SIGKILL the process group and wait; returns the exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            kill_process(self.process)
        return self.process.returncode


@dataclass
class ServiceSet:
    """All four services on one Kafka and one PostgreSQL, each as its own principal and role."""

    workdir: Path
    kafka_bootstrap_servers: str
    # What each service connects to PostgreSQL with, its own role (`Stack.database_urls`).
    database_urls: Mapping[str, str]
    # Each service's Kafka credentials, by service name (`Stack.credentials`).
    credentials: Mapping[str, Credentials]
    # Settings by service, named as its settings class names them (without the prefix);
    # `{http_port}` in a value is replaced by the service's own port.
    settings: dict[str, dict[str, str]] = field(default_factory=dict)
    # Processes per service: they share its consumer groups' partitions and its database.
    instances: int = 1
    processes: dict[str, ServiceProcess] = field(default_factory=dict)

    def start(self, *, timeout: float = 120.0) -> None:
        """Start every service and wait until each is healthy; a taken port is replaced."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + timeout
        try:  # a failure stops whatever started before it
            for name, number in self._instances():
                key = name if number == 1 else f"{name}-{number}"
                self.processes[key] = self._process(name, key, first=number == 1)
                self.processes[key].start()
            for service in self.processes.values():
                self._until_healthy(service, deadline)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> dict[str, int | None]:
        """Stop every service (SIGTERM, then SIGKILL after 30 s); returns exit codes.

        All are told at once, so they finish their work in flight side by side.
        """
        for service in self.processes.values():
            service.terminate()
        return {name: service.stop() for name, service in self.processes.items()}

    def of(self, name: str) -> list[ServiceProcess]:
        """Every process of a service, the first first."""
        return [p for p in self.processes.values() if (p.service or p.name) == name]

    def _instances(self) -> list[tuple[str, int]]:
        return [(name, n) for name in SERVICES for n in range(1, self.instances + 1)]

    def _process(self, name: str, key: str, *, first: bool) -> ServiceProcess:
        """A process of service `name`; a port given in the settings is the first's."""
        prefix = SERVICES[name][1]
        given = int(self.settings.get(name, {}).get("http_port", 0)) if first else 0
        env = {
            **os.environ,
            f"{prefix}KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap_servers,
            f"{prefix}DATABASE_URL": self.database_urls[name],
            **{f"{prefix}{k.upper()}": v for k, v in self.credentials[name].settings().items()},
            **self._port_env(name, given or free_port()),
        }
        return ServiceProcess(
            name=key,
            port=int(env[f"{prefix}HTTP_PORT"]),
            log_file=self.workdir / f"{key}.log",
            env=env,
            service=name,
        )

    def _until_healthy(self, service: ServiceProcess, deadline: float) -> None:
        def attempt(number: int) -> None:
            if number > 1:
                # Someone took the port between choosing and binding it: move to another.
                service.stop(timeout=10)
                service.port = free_port()
                service.env.update(self._port_env(service.service, service.port))
                service.start()
            service.wait_healthy(timeout=max(1.0, deadline - time.monotonic()))

        start_with_retries(attempt)

    def _port_env(self, name: str, port: int) -> dict[str, str]:
        """The port and the service's settings, where `{http_port}` stands for that port.

        A setting may need the service's own address (intake's desk URL, say), known
        only once its port is chosen.
        """
        prefix = SERVICES[name][1]
        return {
            **{
                f"{prefix}{k.upper()}": v.replace("{http_port}", str(port))
                for k, v in self.settings.get(name, {}).items()
            },
            f"{prefix}HTTP_PORT": str(port),
        }

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.processes[name]
