"""The API keys file: SHA-256 hashes of keys, each bound to an agency, provider or coordinator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from lindung_common import ConfigError
from lindung_contracts import AgencyId, CoordinatorId, ProviderId
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lindung_intake.domain import Principal, PrincipalKind

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["KeyRing", "load_keys"]


class _Key(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the key, hex.")
    kind: Literal["agency", "provider", "coordinator"] = Field(
        description="What the key holder is."
    )
    id: AgencyId | ProviderId | CoordinatorId = Field(description="Id of the holder.")


class _KeysFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    keys: tuple[_Key, ...] = Field(description="Every valid key.")


class KeyRing:
    """Looks callers up by the hash of the key they present."""

    def __init__(self, principals: dict[str, Principal]) -> None:
        self._by_hash = principals
        self._agencies = {p.id for p in principals.values() if p.kind is PrincipalKind.AGENCY}

    def find(self, key_hash: str) -> Principal | None:
        """The caller holding the key with this hash, if any."""
        return self._by_hash.get(key_hash)

    def is_agency(self, agency_id: str) -> bool:
        """Whether an agency with this id holds a key (the Kafka door checks senders)."""
        return agency_id in self._agencies


def load_keys(path: Path) -> KeyRing:
    """Read and validate the keys file; a bad file stops start-up with the reason."""
    try:
        parsed = _KeysFile.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise ConfigError(f"INTAKE_API_KEYS_FILE {path}: cannot read: {exc.strerror}") from None
    except ValidationError as exc:
        # Never echo the file's values: a pasted key must not reach the logs.
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)
        )
        raise ConfigError(f"INTAKE_API_KEYS_FILE {path}: {reasons}") from None
    return KeyRing({k.sha256: Principal(PrincipalKind(k.kind), k.id) for k in parsed.keys})
