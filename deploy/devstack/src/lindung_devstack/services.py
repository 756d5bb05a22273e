"""The four Lindung services as separate processes, for the demo and end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ._proc import free_port, stop_process, wait_until

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["SERVICES", "ServiceProcess", "ServiceSet"]

# service name -> (module run with `python -m`, environment prefix)
SERVICES: dict[str, tuple[str, str]] = {
    "intake": ("lindung_intake", "INTAKE_"),
    "router": ("lindung_router", "ROUTER_"),
    "notifier": ("lindung_notifier", "NOTIFIER_"),
    "sla-monitor": ("lindung_sla_monitor", "SLA_MONITOR_"),
}


@dataclass
class ServiceProcess:
    """One service process, its port and its log file."""

    name: str
    port: int
    log_file: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL of the service's web server."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the process; output goes to its log file."""
        module, _ = SERVICES[self.name]
        log = self.log_file.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", module],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def healthy(self) -> bool:
        """Whether `GET /health` answers 200; raises if the process died."""
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited with code {self.process.returncode}; see {self.log_file}"
            )
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:  # noqa: S310
                return bool(response.status == 200)  # noqa: PLR2004
        except (urllib.error.URLError, OSError):
            return False

    def stop(self, *, timeout: float = 30.0) -> int | None:
        """SIGTERM and wait; returns the exit code."""
        if self.process is None:
            return None
        stop_process(self.process, timeout=timeout)
        return self.process.returncode


@dataclass
class ServiceSet:
    """All four services, wired to one Kafka and one PostgreSQL."""

    workdir: Path
    kafka_bootstrap_servers: str
    database_url: str
    settings: dict[str, dict[str, str]] = field(default_factory=dict)
    processes: dict[str, ServiceProcess] = field(default_factory=dict)

    def start(self, *, timeout: float = 120.0) -> None:
        """Start every service and wait until each answers /health."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        for name, (_, prefix) in SERVICES.items():
            env = {
                **os.environ,
                f"{prefix}KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap_servers,
                f"{prefix}DATABASE_URL": self.database_url,
                f"{prefix}HTTP_PORT": str(free_port()),
                **{f"{prefix}{k.upper()}": v for k, v in self.settings.get(name, {}).items()},
            }
            service = ServiceProcess(
                name=name,
                port=int(env[f"{prefix}HTTP_PORT"]),
                log_file=self.workdir / f"{name}.log",
                env=env,
            )
            self.processes[name] = service
            service.start()
        try:
            for service in self.processes.values():
                wait_until(service.healthy, timeout=timeout, what=service.name, interval=0.25)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> dict[str, int | None]:
        """Stop every service (SIGTERM, then SIGKILL after 30 s); returns exit codes."""
        return {name: service.stop() for name, service in self.processes.items()}

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.processes[name]
