"""Callers: an agency, a provider or a case coordinator, known by the hash of its API key."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Principal", "PrincipalKind", "hash_key"]


class PrincipalKind(StrEnum):
    """What a caller is allowed to be."""

    AGENCY = "agency"
    PROVIDER = "provider"
    COORDINATOR = "coordinator"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    kind: PrincipalKind
    id: str


def hash_key(api_key: str) -> str:
    """The SHA-256 hex digest under which an API key is stored."""
    return hashlib.sha256(api_key.encode()).hexdigest()
