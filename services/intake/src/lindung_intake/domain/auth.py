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

    Through the desk, `person` is the signed-in person's user name, `role` the role they
    signed in with (`lindung_role`: a coordinator and a supervisor are both coordinators
    here) and `states` the states a coordinator covers (`*` for all); empty for an API key.
    """

    kind: PrincipalKind
    id: str
    key_id: str = field(default="", compare=False)
    person: str = field(default="", compare=False)
    role: str = field(default="", compare=False)
    # The states a coordinator covers (`*`: all of them); None: not bound to any states,
    # as a machine's coordinator key is, which covers every state.
    states: frozenset[str] | None = field(default=None, compare=False)

    def covers(self, state: str | None) -> bool:
        """Whether this caller covers a state (an alert of no known state: only all-state ones)."""
        if self.states is None or "*" in self.states:
            return True
        return state is not None and state in self.states
