"""The data directory of `python -m lindung_devstack run`: the operator's files and ours.

    lindung.toml       the settings: files, ports, agencies, each service's own settings
    directory.json     the providers (the router's directory)        - the operator's
    endpoints.json     how each provider and role is told (notifier)  - the operator's
    secrets.json       passwords and keys made here, kept across runs (owner only)
    first-keys.txt     the first API keys and the realm admin's first password (owner only)
    api-keys.json      intake's keys file: keyed hashes, never keys (owner only)
    env/<service>.env  each service's settings as it was started with (owner only)
    kafka/ postgres/ keycloak/ logs/   the servers' data and every log

Nothing here is regenerated once made: the broker's and PostgreSQL's data and the
passwords they were made with belong together.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import tempfile
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lindung_common.keys import KeyEntry, KeysFile, hash_key, new_key
from lindung_intake.adapters.sealing import new_key_line

from .access import ADMIN, SERVICE_PRINCIPALS, agency_principal
from .realm import REALM_ADMIN

__all__ = [
    "EXAMPLES",
    "FirstKeys",
    "OperatorError",
    "RunSettings",
    "Secrets",
    "issue_first_keys",
    "write_private",
]

EXAMPLES = Path(__file__).resolve().parents[3] / "run"
SETTINGS_FILE = "lindung.toml"
SECRETS_FILE = "secrets.json"
FIRST_KEYS_FILE = "first-keys.txt"
KEYS_FILE = "api-keys.json"
# The fixed ports, by name as `[ports]` in the settings names them.
PORTS = {
    "kafka": 9092, "kafka_controller": 9093, "postgres": 5433,
    "keycloak": 8180, "keycloak_management": 8190,
    "intake": 8080, "router": 8081, "notifier": 8082, "sla_monitor": 8083,
}  # fmt: skip
_SECTIONS = {"files", "ports", "agencies", "first_keys", "all", *SERVICE_PRINCIPALS}


class OperatorError(Exception):
    """Something the operator must put right: the message names the file and what to do."""


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner reads, replacing the old one at once."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    with os.fdopen(handle, "w") as out:
        out.write(text)
    Path(temporary).chmod(0o600)
    Path(temporary).replace(path)


@dataclass(frozen=True)
class RunSettings:
    """What `lindung.toml` says, with every default filled in."""

    data: Path
    directory: Path
    endpoints: Path
    policy: Path | None
    ports: dict[str, int]
    kafka_agencies: tuple[str, ...]
    first_agency: str
    first_operations: str
    # Each service's own settings, by name without its prefix (`[all]` merged in).
    services: dict[str, dict[str, str]]

    @classmethod
    def load(cls, data: Path) -> RunSettings:
        """Read the settings, writing the example there first if there are none."""
        path = data / SETTINGS_FILE
        if not path.exists():
            data.mkdir(parents=True, exist_ok=True)
            path.write_text((EXAMPLES / "lindung.example.toml").read_text())
        try:
            document = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as error:
            raise OperatorError(f"{path}: not TOML: {error}") from None
        unknown = sorted(set(document) - _SECTIONS)
        if unknown:
            raise OperatorError(f"{path}: unknown section [{unknown[0]}]; known: {_known()}")
        files, agencies = document.get("files", {}), document.get("agencies", {})
        ports = {**PORTS, **{k: int(v) for k, v in document.get("ports", {}).items()}}
        if set(ports) != set(PORTS):
            raise OperatorError(f"{path}: [ports] knows only {', '.join(PORTS)}")
        first = document.get("first_keys", {})
        every = {k: str(v) for k, v in document.get("all", {}).items()}
        policy = files.get("policy") or None
        return cls(
            data=data,
            directory=_file(data, files.get("directory", "directory.json")),
            endpoints=_file(data, files.get("endpoints", "endpoints.json")),
            policy=_file(data, policy) if policy else None,
            ports=ports,
            kafka_agencies=tuple(agencies.get("kafka", ())),
            first_agency=str(first.get("agency", "first-agency")),
            first_operations=str(first.get("operations", "operations")),
            services={
                s: every | {k: _text(v) for k, v in document.get(s, {}).items()}
                for s in SERVICE_PRINCIPALS
            },
        )

    def check_files(self) -> None:
        """The operator's files the system cannot run without; a clear stop if one is missing."""
        directory = (
            "the provider directory: who offers which service, in which states and "
            "languages (the router refers only to these)"
        )
        endpoints = "every provider's and role's webhook (or email, SMS): how they are told"
        wanted = (
            (self.directory, "directory.example.json", directory),
            (self.endpoints, "endpoints.example.json", endpoints),
        )
        if self.policy is not None and not self.policy.exists():
            raise OperatorError(
                f"{self.policy}: no routing policy there ([files] policy in "
                f"{self.data / SETTINGS_FILE}; empty for the default policy)"
            )
        for path, example, what in wanted:
            if not path.exists():
                raise OperatorError(
                    f"{path} is missing. It is {what}. Start from the example: "
                    f"cp {EXAMPLES / example} {path}, then edit it (docs/operations.md)"
                )


def _file(data: Path, name: str) -> Path:
    return (data / name).resolve()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


def _known() -> str:
    return ", ".join(f"[{s}]" for s in sorted(_SECTIONS))


@dataclass
class Secrets:
    """Every password and key made for this installation, kept in `secrets.json`.

    One missing is made at the next start: for a Kafka principal whose broker already
    exists, it is then set on the broker (`kafka_unset`), so deleting a principal's entry
    and restarting rotates its password, and an agency added to the settings gets one.
    """

    path: Path
    kafka: dict[str, str] = field(default_factory=dict)
    kafka_unset: list[str] = field(default_factory=list)
    postgres: dict[str, str] = field(default_factory=dict)
    intake: dict[str, str] = field(default_factory=dict)
    keycloak: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, data: Path, agencies: tuple[str, ...]) -> Secrets:
        """Read them, make what is missing, and write them back before anything uses them."""
        path = data / SECRETS_FILE
        document = json.loads(path.read_text()) if path.exists() else {}
        found = cls(path, **{k: v for k, v in document.items() if k != "kafka_unset"})
        found.kafka_unset = list(document.get("kafka_unset", []))
        broker_made = (data / "kafka" / "data" / "meta.properties").exists()
        postgres_made = (data / "postgres" / "data" / "PG_VERSION").exists()
        for name, made in ((ADMIN, broker_made), ("postgres", postgres_made)):
            kept = found.kafka if name == ADMIN else found.postgres
            if made and name not in kept:
                raise OperatorError(f"{path}: the {name} password of the existing data is "
                                    "gone; restore it from the backup of this file")  # fmt: skip
        principals = [ADMIN, *SERVICE_PRINCIPALS, *(agency_principal(a) for a in agencies)]
        for name in principals:
            if name not in found.kafka:
                found.kafka[name] = _token()
                if broker_made and name not in found.kafka_unset:
                    found.kafka_unset.append(name)
        for name in ("postgres", *SERVICE_PRINCIPALS):
            found.postgres.setdefault(name, _token())
        found.intake.setdefault("key_secret", secrets.token_urlsafe(32))
        found.intake.setdefault("data_keys", new_key_line())
        found.keycloak.setdefault("client_secret", _token())
        found.keycloak.setdefault("admin_password", _token())
        found.save()
        return found

    def save(self) -> None:
        """Write the file (owner only)."""
        document = {
            "kafka": self.kafka,
            "kafka_unset": self.kafka_unset,
            "postgres": self.postgres,
            "intake": self.intake,
            "keycloak": self.keycloak,
        }
        write_private(self.path, json.dumps(document, indent=2) + "\n")


def _token() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class FirstKeys:
    """The keys issued at the first start, by (kind, holder), until they have been shown."""

    keys: dict[tuple[str, str], str]
    path: Path

    @property
    def _shown(self) -> Path:
        return self.path.with_name(".first-keys-shown")

    def shown(self) -> None:
        """They were printed: never again."""
        self._shown.touch()

    @classmethod
    def unshown(cls, data: Path) -> FirstKeys | None:
        """The keys issued by a first start that stopped before it could show them."""
        kept = cls({}, data / FIRST_KEYS_FILE)
        if kept._shown.exists() or not kept.path.exists():
            return None
        rows = [line.split() for line in kept.path.read_text().splitlines()]
        keys = {(r[0], r[1]): r[-1] for r in rows if r and r[0] in {"agency", "operations"}}
        return cls(keys, kept.path)


def issue_first_keys(settings: RunSettings, secrets_: Secrets) -> FirstKeys | None:
    """At the first start only: an agency's key and an operations key, kept for the owner.

    Intake's keys file gets their keyed hashes; `first-keys.txt` (owner only) the keys,
    and the first password of the Keycloak realm's administrator.
    Nothing is issued when the keys file exists (later keys come from intake's command);
    the first keys are returned again only if no start has shown them yet.
    """
    path = settings.data / KEYS_FILE
    if path.exists():
        return FirstKeys.unshown(settings.data)
    holders = (("agency", settings.first_agency), ("operations", settings.first_operations))
    keys = {holder: new_key() for holder in holders}
    now = datetime.now(UTC)
    entries = tuple(
        KeyEntry(
            key_id=f"k_{secrets.token_hex(8)}",
            hmac_sha256=hash_key(key, secrets_.intake["key_secret"].encode()),
            kind=kind,  # type: ignore[arg-type]  # one of the two above
            id=holder,
            created_at=now,
        )
        for (kind, holder), key in keys.items()
    )
    kept = settings.data / FIRST_KEYS_FILE
    admin = ("keycloak", REALM_ADMIN, secrets_.keycloak["admin_password"])
    rows = [*((kind, holder, key) for (kind, holder), key in keys.items()), admin]
    lines = "".join(f"{kind:<12} {holder:<24} {key}\n" for kind, holder, key in rows)
    heading = f"# Lindung's first API keys and Keycloak password, {now:%Y-%m-%d %H:%M} UTC.\n"
    write_private(kept, f"{heading}# kind        holder                   key\n{lines}")
    document = KeysFile(keys=entries).model_dump(mode="json", exclude_none=True)
    write_private(path, json.dumps(document, indent=2) + "\n")
    return FirstKeys(keys, kept)


def write_env(data: Path, service: str, env: dict[str, str], prefix: str) -> Path:
    """A service's own settings as `NAME='value'` lines, for its commands (owner only)."""
    (data / "env").mkdir(exist_ok=True)
    path = data / "env" / f"{service}.env"
    lines = sorted(f"{k}={shlex.quote(v)}\n" for k, v in env.items() if k.startswith(prefix))
    write_private(path, "".join(lines))
    return path
