"""Keycloak as a local process: the identity provider the desk signs people in with.

The server runs the built distribution (`keycloak_dist.py`) in production mode
(`start --optimized`) over plain HTTP on loopback, with a local cache (no cluster),
an embedded H2 database of its own and the `lindung` realm (`realm.py`) imported at
start. Its database starts as a copy of a template made once per machine (schema and
master realm already created), which saves most of a first start.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ._proc import (
    PORT_ATTEMPTS,
    StartError,
    free_port,
    log_size,
    start_with_retries,
    stop_process,
)
from .keycloak_dist import THEMES, home_for, java_arguments, resolve_dist
from .realm import CLIENT_ID, REALM, People, realm_representation

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["KeycloakServer", "resolve_keycloak"]

DATABASE = "keycloakdb.mv.db"  # what H2 names the dev-file database
CLASSES = "classes.jsa"  # the class-data archive, beside the built distribution


def resolve_keycloak(java: str | None = None) -> Path:
    """The built distribution, with its database template and class archive made on first use.

    The template is the database of a server started without the realm; the archive holds
    the classes a server loads to start with the realm and is written when it stops.
    """
    java = java or shutil.which("java") or "java"
    dist = resolve_dist(java)
    template = dist.parent / "template"
    if (template / DATABASE).exists() and (dist.parent / CLASSES).exists():
        return dist
    with (dist.parent / ".template-lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        scratch = dist.parent / "first-runs"
        shutil.rmtree(scratch, ignore_errors=True)
        if not (template / DATABASE).exists():
            server = KeycloakServer(scratch / "template", java=java, realm=False)
            server.start()
            server.stop()
            partial = dist.parent / "template.partial"
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir()
            shutil.copy2(server.home / "data" / "h2" / DATABASE, partial / DATABASE)
            partial.rename(template)
        if not (dist.parent / CLASSES).exists():
            server = KeycloakServer(scratch / "classes", java=java, _archive=True)
            server.start()
            server.stop()
            written = dist.parent / f"{CLASSES}.partial"
            if written.exists():
                written.rename(dist.parent / CLASSES)
            else:  # a JVM that writes none: start without one, and do not try again
                (dist.parent / CLASSES).touch()
        shutil.rmtree(scratch, ignore_errors=True)
    return dist


@dataclass
class KeycloakServer:
    """One Keycloak on loopback ports (HTTP and management), its home and log in `workdir`.

    `people` holds this run's client secret and passwords. `stop()` then `start()` brings
    it back on the same ports with its data. Ports left at 0 are chosen at the first
    start, and chosen again if taken meanwhile. `realm=False` starts it without the
    `lindung` realm (the database template is made so).
    """

    workdir: Path
    port: int = 0
    management_port: int = 0
    heap: str = "512m"
    java: str = field(default_factory=lambda: shutil.which("java") or "java")
    people: People = field(default_factory=People)
    realm: bool = True
    process: subprocess.Popen[bytes] | None = None
    started_in: float = 0.0
    _archive: bool = False  # write the class-data archive at exit (`resolve_keycloak`)
    _dist: Path | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """The server's base URL (its public address, also for browsers)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        """The `lindung` realm's issuer (discovery at `/.well-known/openid-configuration`)."""
        return f"{self.url}/realms/{REALM}"

    @property
    def client_id(self) -> str:
        """The desk's OIDC client id."""
        return CLIENT_ID

    @property
    def client_secret(self) -> str:
        """The desk's OIDC client secret (this run's)."""
        return self.people.client_secret

    @property
    def passwords(self) -> dict[str, str]:
        """Each demo person's password, by user name (this run's)."""
        return dict(self.people.passwords)

    @property
    def home(self) -> Path:
        """The server's own home: its database, import directory and temporary files."""
        return self.workdir / "home"

    @property
    def log_file(self) -> Path:
        """The server's console output (kept after the run)."""
        return self.workdir / "keycloak.log"

    def intake_settings(
        self, desk_url: str = "http://127.0.0.1:{http_port}/desk"
    ) -> dict[str, str]:
        """Intake's desk settings in `ServiceSet` form (`{http_port}` is intake's own port)."""
        return {
            "oidc_issuer": self.issuer,
            "oidc_client_id": self.client_id,
            "oidc_client_secret": self.client_secret,
            "desk_url": desk_url,
        }

    def intake_env(self, desk_url: str) -> dict[str, str]:
        """Intake's desk settings as environment variables (`INTAKE_OIDC_ISSUER`, ...)."""
        return {f"INTAKE_{k.upper()}": v for k, v in self.intake_settings(desk_url).items()}

    def dashboard_settings(
        self, dashboard_url: str = "http://127.0.0.1:{http_port}/dashboard"
    ) -> dict[str, str]:
        """The sla-monitor's, for people to sign in to its dashboard (the desk's client too)."""
        return {
            "oidc_issuer": self.issuer,
            "oidc_client_id": self.client_id,
            "oidc_client_secret": self.client_secret,
            "dashboard_url": dashboard_url,
        }

    def dashboard_env(self, dashboard_url: str) -> dict[str, str]:
        """The sla-monitor's as environment variables (`SLA_MONITOR_OIDC_ISSUER`, ...)."""
        settings = self.dashboard_settings(dashboard_url)
        return {f"SLA_MONITOR_{k.upper()}": v for k, v in settings.items()}

    def write_passwords(self, path: Path) -> Path:
        """The demo people's user names and passwords, in a file only its owner reads."""
        path.touch(mode=0o600)
        path.write_text(self.people.text())
        return path

    def start(self, *, timeout: float = 180.0) -> None:
        """Start and wait until ready; raises StartError (with its log's tail) if it is not."""
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError(f"{self.url} is running; stop() it first")
        first_runs = self._archive or not self.realm
        dist = resolve_dist(self.java) if first_runs else resolve_keycloak(self.java)
        self._dist = dist
        home_for(dist, self.home)
        database = self.home / "data" / "h2" / DATABASE
        template = dist.parent / "template" / DATABASE
        if self.realm and not database.exists():
            database.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(template, database)
        if self.realm:
            realm = realm_representation(self.people)
            realm_file = self.home / "data" / "import" / f"{REALM}.json"
            realm_file.touch(mode=0o600)  # it holds the client secret and password hashes
            realm_file.write_text(json.dumps(realm))
        deadline = time.monotonic() + timeout
        given = (self.port, self.management_port)

        def attempt(_: int) -> None:
            self.port = given[0] or free_port()
            self.management_port = given[1] or free_port()
            self._start_once(deadline)

        began = time.monotonic()
        start_with_retries(attempt, attempts=1 if all(given) else PORT_ATTEMPTS)
        self.started_in = time.monotonic() - began

    def stop(self) -> None:
        """Stop the server cleanly (SIGTERM), forcefully after 30 s; its home and log stay."""
        if self.process is not None:
            stop_process(self.process, timeout=30)
            self.process = None

    def _start_once(self, deadline: float) -> None:
        mark = log_size(self.log_file)
        options = [
            "start", "--optimized",
            "--http-enabled=true", "--http-host=127.0.0.1", f"--http-port={self.port}",
            f"--http-management-port={self.management_port}",
            # The issuer is this address however the server is reached.
            f"--hostname={self.url}",
            "--cache=local",
            # Lindung's login theme, read where it lies (the realm's login theme).
            f"--spi-theme--folder--dir={THEMES}",
            # The readiness probes would otherwise log a line each while it starts.
            "--log-level=info,io.smallrye.health:warn",
        ]  # fmt: skip
        if self.realm:
            options.append("--import-realm")
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            with self.log_file.open("ab") as out:
                self.process = subprocess.Popen(  # noqa: S603 - fixed argv built above
                    [self.java, *java_arguments(self.home, self.heap, self._classes()), *options],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
        except OSError as error:
            raise self._failed(f"cannot run {self.java}: {error}", mark) from error
        try:
            self._wait_ready(deadline, mark)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, deadline: float, mark: int) -> None:
        ready = f"http://127.0.0.1:{self.management_port}/health/ready"
        while True:
            assert self.process is not None
            code = self.process.poll()
            if code is not None:
                raise self._failed(f"Keycloak exited with code {code}", mark)
            if _answers_200(ready) and (not self.realm or _answers_200(self._discovery)):
                return
            if time.monotonic() > deadline:
                raise self._failed(f"{ready} did not answer 200 in time", mark)
            time.sleep(0.2)

    def _classes(self) -> tuple[Path, bool] | None:
        """The class-data archive to write (while it is made) or read (once it is there)."""
        assert self._dist is not None
        archive = self._dist.parent / CLASSES
        if self._archive:
            return archive.with_name(f"{CLASSES}.partial"), True
        return (archive, False) if archive.exists() and archive.stat().st_size else None

    @property
    def _discovery(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def _failed(self, reason: str, mark: int) -> StartError:
        reason = f"{reason} (port {self.port}, management port {self.management_port})"
        return StartError("Keycloak", reason, {self.log_file: mark})


def _answers_200(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
            return bool(response.status == 200)  # noqa: PLR2004
    except (urllib.error.URLError, OSError):
        return False
