"""The API keys file: keyed hashes of keys, each bound to one holder and its kind.

Intake and the sla-monitor's dashboard read it at start and again whenever it changes
(checked at most once a second), so a key issued, rotated or revoked with
`python -m lindung_intake keys` takes effect without a restart. A file that turns bad
while running is refused with an error in the log and the keys read before stay in force.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

import structlog
from lindung_contracts import AgencyId, CoordinatorId, MalaysianState, ProviderId
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .service import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "KeyEntry",
    "KeyHolder",
    "KeyRing",
    "KeysFile",
    "hash_key",
    "load_keys",
    "new_key",
    "read_keys_file",
]

log = structlog.get_logger(__name__)
_RELOAD_EVERY_SECONDS = 1.0
_KEY_PREFIX = "lk_"


def hash_key(api_key: str, secret: bytes) -> str:
    """HMAC-SHA256 of an API key under the server's secret, hex: what the keys file holds.

    Keyed, so a leaked keys file cannot be checked against guessed or leaked keys
    without the secret, which lives in the settings, not beside the file.
    """
    return hmac.new(secret, api_key.encode(), hashlib.sha256).hexdigest()


def new_key() -> str:
    """A fresh API key: 256 random bits, URL-safe, recognisable by its prefix."""
    return _KEY_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class KeyHolder:
    """Who presented a valid key: what they are, their id, and the key's id."""

    kind: str
    id: str
    key_id: str
    # The states a coordinator key covers (`*`: all); None: not bound, every state.
    states: frozenset[str] | None = None


class KeyEntry(BaseModel):
    """One key: its id, keyed hash and holder; revoked keys stay listed, refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key_id: str = Field(pattern=r"^k_[A-Za-z0-9_-]{6,40}$", description="Names the key.")
    hmac_sha256: str = Field(
        pattern=r"^[0-9a-f]{64}$", description="HMAC-SHA256 of the key under the secret, hex."
    )
    kind: Literal["agency", "provider", "coordinator", "operations"] = Field(
        description="What the key holder is."
    )
    id: AgencyId | ProviderId | CoordinatorId = Field(description="Id of the holder.")
    states: tuple[MalaysianState | Literal["*"], ...] | None = Field(
        default=None,
        description="For a coordinator's key: the states whose alerts it sees (`*`: all). "
        "Unset, the key is bound to no state and covers every one.",
    )
    created_at: datetime | None = Field(default=None, description="When it was issued.")
    revoked_at: datetime | None = Field(default=None, description="From when it is refused.")


class KeysFile(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    keys: tuple[KeyEntry, ...] = Field(description="Every key, valid or revoked.")


class KeyRing:
    """Looks callers up by the keyed hash of the key they present."""

    def __init__(
        self, path: Path, secret: bytes, document: KeysFile, mtime: float, setting: str
    ) -> None:
        self._path = path
        self._setting = setting
        self._secret = secret
        self._checked = time.monotonic()
        self._use(document, mtime)

    def _use(self, document: KeysFile, mtime: float) -> None:
        valid = [k for k in document.keys if k.revoked_at is None]
        self._by_hash = {k.hmac_sha256: _holder(k) for k in valid}
        self._agencies = {k.id for k in valid if k.kind == "agency"}
        self._mtime = mtime

    def find(self, api_key: str) -> KeyHolder | None:
        """The caller holding this key; None for an unknown or revoked key."""
        self._reload_if_changed()
        return self._by_hash.get(hash_key(api_key, self._secret))

    def is_agency(self, agency_id: str) -> bool:
        """Whether an agency with this id holds a valid key (the Kafka door checks senders)."""
        self._reload_if_changed()
        return agency_id in self._agencies

    def _reload_if_changed(self) -> None:
        now = time.monotonic()
        if now - self._checked < _RELOAD_EVERY_SECONDS:
            return
        self._checked = now
        try:
            mtime = self._path.stat().st_mtime
            if mtime == self._mtime:
                return
            self._use(read_keys_file(self._path, self._setting), mtime)
        except (OSError, ConfigError) as exc:
            log.error("keys file not reloaded; the keys read before stay in force", reason=str(exc))  # noqa: TRY400 - the reason names no key
        else:
            log.info("keys file reloaded", keys=len(self._by_hash))


def _holder(entry: KeyEntry) -> KeyHolder:
    states = None if entry.states is None else frozenset(str(s) for s in entry.states)
    return KeyHolder(entry.kind, entry.id, entry.key_id, states)


def read_keys_file(path: Path, setting: str = "INTAKE_API_KEYS_FILE") -> KeysFile:
    """Read and validate the keys file; a bad one raises ConfigError with the reason."""
    try:
        return KeysFile.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise ConfigError(f"{setting} {path}: cannot read: {exc.strerror}") from None
    except ValidationError as exc:
        # Never echo the file's values: a pasted key must not reach the logs.
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)
        )
        raise ConfigError(f"{setting} {path}: {reasons}") from None


def load_keys(path: Path, secret: bytes, setting: str = "INTAKE_API_KEYS_FILE") -> KeyRing:
    """The key ring of a keys file; a bad file stops start-up naming `setting` and why."""
    document = read_keys_file(path, setting)
    return KeyRing(path, secret, document, path.stat().st_mtime, setting)
