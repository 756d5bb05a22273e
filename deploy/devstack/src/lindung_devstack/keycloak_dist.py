"""The Keycloak server distribution: resolved with Maven, unpacked and built once per machine.

`deploy/keycloak/pom.xml` names the `keycloak-quarkus-dist` zip on Maven Central. It is
unpacked into the cache (`cache_root()`) and `kc.sh build` is run there once with the
build-time options below, so every start is `start --optimized` and skips Quarkus's
re-augmentation (about 20 s). The built distribution is only read afterwards: each
server gets a home of its own whose `lib/`, `themes/`, `providers/` and `conf/` point
into it (`home_for`), with its own `data/` (database, import, temporary files).

Lindung's own login theme (`deploy/keycloak/themes/`, English and Malay) is read from the
repository where it lies (`THEMES`): a folder theme is a runtime option, no build needed.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

from .kafka import cache_root

__all__ = ["BUILD_OPTIONS", "POM", "THEMES", "home_for", "java_arguments", "resolve_dist"]

POM = Path(__file__).resolve().parents[3] / "keycloak" / "pom.xml"
# Lindung's themes (`lindung`: the login pages in English and Malay), one folder per theme.
THEMES = POM.parent / "themes"
# Build-time options: fixed in the built distribution (`kc.sh build`).
BUILD_OPTIONS = (
    # An embedded H2 file per server: nothing to install, and a migrated template copied
    # at each start spares Keycloak creating its schema (keycloak.py).
    "--db=dev-file",
    "--health-enabled=true",
    # Features the desk does not use, so they are neither loaded nor started.
    (
        "--features-disabled=twitter-broker,identity-brokering-api,opentelemetry,"
        "kerberos,device-flow,ciba,par,docker,impersonation,organization,web-authn,passkeys"
    ),
)
_SHARED = ("lib", "themes", "providers", "conf")


def _digest() -> str:
    key = POM.read_bytes() + "\0".join(BUILD_OPTIONS).encode()
    return hashlib.sha256(key).hexdigest()[:12]


def resolve_dist(java: str) -> Path:
    """The built distribution's directory, resolved and built with `java` on first use."""
    root = cache_root() / f"keycloak-{_digest()}"
    dist = root / "dist"
    if (dist / ".complete").exists():
        return dist
    root.mkdir(parents=True, exist_ok=True)
    # Runs on one machine share the cache: one resolves while the others wait.
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (dist / ".complete").exists():
            return dist
        shutil.rmtree(dist, ignore_errors=True)
        zip_dir = root / f"zip.partial-{os.getpid()}"
        shutil.rmtree(zip_dir, ignore_errors=True)
        command = [
            "mvn", "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
            f"-DoutputDirectory={zip_dir}",
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise RuntimeError(
                f"Maven could not resolve Keycloak ({' '.join(command)}):\n"
                f"{result.stdout[-4000:]}{result.stderr[-4000:]}"
            )
        archive = next(zip_dir.glob("keycloak-quarkus-dist-*.zip"))
        _unpack(archive, dist)
        shutil.rmtree(zip_dir)
        _build(dist, java)
        (dist / ".complete").write_text(archive.name)
    return dist


def _unpack(archive: Path, dist: Path) -> None:
    """Unpack the zip's single top directory as `dist`, keeping the scripts executable."""
    unpacked = dist.with_name(f"unpacked-{os.getpid()}")
    shutil.rmtree(unpacked, ignore_errors=True)
    with zipfile.ZipFile(archive) as zipped:
        for member in zipped.infolist():
            path = Path(zipped.extract(member, unpacked))
            mode = member.external_attr >> 16
            if mode and not member.is_dir():
                path.chmod(stat.S_IMODE(mode))
    (top,) = unpacked.iterdir()
    top.rename(dist)
    unpacked.rmdir()


def _build(dist: Path, java: str) -> None:
    log = dist / "build.log"
    with log.open("wb") as out:
        code = subprocess.run(  # noqa: S603 - the distribution's own script, fixed options
            ["/bin/sh", str(dist / "bin" / "kc.sh"), "build", *BUILD_OPTIONS],
            env={**os.environ, "JAVA": java},
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        ).returncode
    if code != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
        raise RuntimeError(f"`kc.sh build` exited with {code}; last lines of {log}:\n{tail}")


def home_for(dist: Path, home: Path) -> Path:
    """A server home of its own in `home`: the built distribution shared, `data/` apart."""
    (home / "data" / "import").mkdir(parents=True, exist_ok=True)
    for name in _SHARED:
        link = home / name
        if not link.is_symlink():
            link.symlink_to(dist / name, target_is_directory=True)
    return home


def java_arguments(home: Path, heap: str, classes: tuple[Path, bool] | None = None) -> list[str]:
    """What `kc.sh` would pass the JVM for `home`, with the devstack's start-up flags.

    `classes` is a class-data archive and whether to write it at exit (`True`) or read it:
    classes mapped from the archive start the server a few seconds sooner. The JVM goes
    on without it, should the archive not match it.
    """
    archive: list[str] = []
    if classes is not None:
        path, write = classes
        archive = [f"-XX:{'ArchiveClassesAtExit' if write else 'SharedArchiveFile'}={path}"]
    return [
        *archive,
        f"-Dkc.home.dir={home}",
        f"-Djboss.server.config.dir={home / 'conf'}",
        "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
        "-Dpicocli.disable.closures=true",
        "-Dquarkus-log-max-startup-records=10000",
        ("-Djava.util.concurrent.ForkJoinPool.common.threadFactory="
         "io.quarkus.bootstrap.forkjoin.QuarkusForkJoinWorkerThreadFactory"),
        "-XX:MetaspaceSize=96M", "-XX:MaxMetaspaceSize=256m",
        "-Dfile.encoding=UTF-8", "-Djava.security.egd=file:/dev/urandom",
        "-XX:+ExitOnOutOfMemoryError", "-Xms64m", f"-Xmx{heap}",
        # A test server lives minutes: the quick compiler alone and one GC thread start it
        # sooner on a small machine than tiered compilation and G1 do.
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "--add-opens=java.base/java.util=ALL-UNNAMED",
        "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
        "--add-opens=java.base/java.security=ALL-UNNAMED",
        "--add-opens=java.base/java.lang=ALL-UNNAMED",
        "--enable-native-access=ALL-UNNAMED",
        "-Duser.language=en", "-Duser.country=US",
        # The jar's own path, not the home's link to it: the class archive names the path.
        "-cp", str((home / "lib" / "quarkus-run.jar").resolve()),
        "io.quarkus.bootstrap.runner.QuarkusEntryPoint",
    ]  # fmt: skip
