"""Callers: an agency, a provider, a case coordinator, operations; known by a key or a person.

A machine calls with an API key; a person signs in at the desk and acts as the provider
they work for, or as a coordinator, under their own name (`person`), which the read audit
records.
"""

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
    """An authenticated caller; `key_id` names the key it used (not part of who it is).

    Through the desk, `person` is the signed-in person's user name and `states` the states
    a coordinator covers (`*` for all); both empty for an API key.
    """

    kind: PrincipalKind
    id: str
    key_id: str = field(default="", compare=False)
    person: str = field(default="", compare=False)
    states: frozenset[str] = field(default=frozenset(), compare=False)
