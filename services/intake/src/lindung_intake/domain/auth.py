"""Callers: an agency, a provider, a case coordinator, operations; each known by its key."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["Principal", "PrincipalKind"]


class PrincipalKind(StrEnum):
    """What a caller is allowed to be."""

    AGENCY = "agency"
    PROVIDER = "provider"
    COORDINATOR = "coordinator"
    OPERATIONS = "operations"  # reads the read audit; reads no case or referral


@dataclass(frozen=True)
class Principal:
    """An authenticated caller; `key_id` names the key it used (not part of who it is)."""

    kind: PrincipalKind
    id: str
    key_id: str = field(default="", compare=False)
