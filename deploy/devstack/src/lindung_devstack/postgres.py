"""PostgreSQL from the machine's server binaries, in a temporary directory on a free port."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from ._proc import free_port

__all__ = ["PostgresServer", "find_pg_bin"]

DATABASE = "lindung"


def find_pg_bin() -> Path | None:
    """The directory holding `initdb` and `pg_ctl`: PATH first, then /usr/lib/postgresql."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    return candidates[-1].parent if candidates else None


@dataclass
class PostgresServer:
    """A throw-away cluster. As root, it runs as the unprivileged `postgres` user."""

    port: int = 0
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="lindung-pg-")))
    started_in: float = 0.0
    _running: bool = False

    @property
    def url(self) -> str:
        """postgresql:// URL of the `lindung` database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def log_file(self) -> Path:
        """The server log."""
        return self.workdir / "postgres.log"

    def start(self) -> None:
        """initdb, start, create the database."""
        bin_dir = find_pg_bin()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found")
        began = time.monotonic()
        self.port = self.port or free_port()
        if os.geteuid() == 0:
            # initdb and postgres refuse to run as root; the directory must be theirs.
            shutil.chown(self.workdir, user="postgres", group="postgres")
        data = self.workdir / "data"
        self._run(bin_dir / "initdb", "-D", str(data), "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--no-sync")  # fmt: skip
        options = (
            f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c max_connections=200"
        )
        self._run(bin_dir / "pg_ctl", "-D", str(data), "-o", options,
                  "-l", str(self.log_file), "-w", "-t", "60", "start")  # fmt: skip
        self._running = True
        asyncio.run(self._create_database())
        self.started_in = time.monotonic() - began

    def stop(self) -> None:
        """Stop the server (fast shutdown); the directory stays for its log."""
        bin_dir = find_pg_bin()
        if self._running and bin_dir is not None:
            self._run(bin_dir / "pg_ctl", "-D", str(self.workdir / "data"), "-m", "fast",
                      "-w", "stop")  # fmt: skip
            self._running = False

    def _run(self, *argv: str | Path) -> None:
        command = [str(a) for a in argv]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")

    async def _create_database(self) -> None:
        admin = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f"CREATE DATABASE {DATABASE}")
        finally:
            await conn.close()
