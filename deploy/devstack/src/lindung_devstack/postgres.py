"""PostgreSQL from the machine's server binaries, in a temporary directory on a free port."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from ._proc import PORT_ATTEMPTS, StartError, free_port, log_size, run_async, start_with_retries

__all__ = ["PostgresServer", "find_pg_bin"]

DATABASE = "lindung"
_CONNECT_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


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
    """A throw-away cluster. As root, it runs as the unprivileged `postgres` user.

    `stop()` then `start()` (or `restart()`) brings back the same cluster on the same port
    with its data. A port left at 0 is chosen at the first start, again if taken meanwhile.
    """

    port: int = 0
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="lindung-pg-")))
    # The super user's password: over TCP every role signs in with its own (SCRAM).
    password: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)
    started_in: float = 0.0
    _running: bool = False

    @property
    def url(self) -> str:
        """postgresql:// URL of the `lindung` database, as the super user `postgres`."""
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def log_file(self) -> Path:
        """The server log (appended to by every start)."""
        return self.workdir / "postgres.log"

    @property
    def data_dir(self) -> Path:
        """The cluster's data, created by the first start and kept afterwards."""
        return self.workdir / "data"

    def start(self, *, timeout: float = 120.0) -> None:
        """Create the cluster once, start it, wait until the `lindung` database answers."""
        if self._running:
            raise RuntimeError(f"PostgreSQL on port {self.port} is running; stop() it first")
        bin_dir = find_pg_bin()
        if bin_dir is None:
            raise StartError("PostgreSQL", "server binaries (initdb, pg_ctl) not found")
        began = time.monotonic()
        deadline = began + timeout
        self.workdir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            # initdb and postgres refuse to run as root; the directory must be theirs.
            shutil.chown(self.workdir, user="postgres", group="postgres")
        if not (self.data_dir / "PG_VERSION").exists():
            shutil.rmtree(self.data_dir, ignore_errors=True)  # what a failed initdb left
            self._initdb(bin_dir)
        given = self.port  # a port given, or kept from an earlier start, is not changed

        def attempt(_: int) -> None:
            self.port = given or free_port()
            self._start_once(bin_dir, deadline)

        start_with_retries(attempt, attempts=1 if given else PORT_ATTEMPTS)
        self.started_in = time.monotonic() - began

    def _initdb(self, bin_dir: Path) -> None:
        """A new cluster: its socket trusts the local user, TCP asks every role's password."""
        secret = self.workdir / "superuser-password"
        secret.touch(mode=0o600)
        secret.write_text(self.password)
        try:
            if os.geteuid() == 0:
                shutil.chown(secret, user="postgres", group="postgres")
            self._run("initdb", bin_dir / "initdb", "-D", self.data_dir, "-U", "postgres",
                      "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={secret}",
                      "-E", "UTF8", "--no-sync")  # fmt: skip
        finally:
            secret.unlink(missing_ok=True)

    def stop(self) -> None:
        """Stop the server (fast shutdown); data and log stay for a later start."""
        bin_dir = find_pg_bin()
        if self._running and bin_dir is not None:
            try:
                self._run("pg_ctl stop", bin_dir / "pg_ctl", "-D", self.data_dir, "-m", "fast",
                          "-w", "-t", "60", "stop")  # fmt: skip
            except StartError as error:
                raise RuntimeError(f"PostgreSQL did not stop: {error.reason}") from None
            self._running = False

    def restart(self) -> None:
        """Stop, then start again on the same port with the same data."""
        self.stop()
        self.start()

    def _start_once(self, bin_dir: Path, deadline: float) -> None:
        marks = {self.log_file: log_size(self.log_file)}
        options = (
            f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c max_connections=200"
        )
        wait = max(1, int(deadline - time.monotonic()))
        try:
            self._run("pg_ctl start", bin_dir / "pg_ctl", "-D", self.data_dir, "-o", options,
                      "-l", self.log_file, "-w", "-t", str(wait), "start", marks=marks)  # fmt: skip
            self._running = True
            run_async(self._ensure_database(deadline, marks))
        except BaseException:
            # pg_ctl gives up waiting but leaves a slow server starting: end it too.
            self._stop_quietly(bin_dir)
            raise

    def _stop_quietly(self, bin_dir: Path) -> None:
        command = [str(bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "stop"]
        subprocess.run(self._as_postgres(command), capture_output=True, check=False)  # noqa: S603
        self._running = False

    def _run(self, what: str, *argv: str | Path, marks: dict[Path, int] | None = None) -> None:
        command = self._as_postgres([str(a) for a in argv])
        try:
            result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        except OSError as error:
            raise self._failed(f"{what}: {error}") from error
        if result.returncode != 0:
            output = f"{result.stdout}{result.stderr}".strip().replace("\n", " / ")
            raise self._failed(f"{what} failed: {output}", marks)

    def _failed(self, reason: str, marks: dict[Path, int] | None = None) -> StartError:
        return StartError("PostgreSQL", f"{reason} (port {self.port})", marks)

    @staticmethod
    def _as_postgres(command: list[str]) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *command]
        return command

    async def _ensure_database(self, deadline: float, marks: dict[Path, int]) -> None:
        admin = f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/postgres"
        while True:
            try:
                conn = await asyncpg.connect(admin, timeout=10)
                try:
                    if not await conn.fetchval(
                        "SELECT 1 FROM pg_database WHERE datname = $1", DATABASE
                    ):
                        await conn.execute(f"CREATE DATABASE {DATABASE}")
                finally:
                    await conn.close()
                await (await asyncpg.connect(self.url, timeout=10)).close()
            except _CONNECT_ERRORS as error:
                if time.monotonic() > deadline:
                    reason = f"no connection to the database in time: {error}"
                    raise self._failed(reason, marks) from None
                await asyncio.sleep(0.2)
            else:
                return
