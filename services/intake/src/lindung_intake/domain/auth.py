"""Callers (an agency, a provider, a case coordinator, operations), known by a keyed hash."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lindung_common.keys import hash_key, new_key

__all__ = ["Principal", "PrincipalKind", "hash_key", "new_key"]


class PrincipalKind(StrEnum):
    """What a caller is allowed to be."""

    AGENCY = "agency"
    PROVIDER = "provider"
    COORDINATOR = "coordinator"
    OPERATIONS = "operations"  # reads the read audit; reads no case or referral


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    kind: PrincipalKind
    id: str
