"""People at the desk: who the identity provider says a person is, and what they act as.

The identity provider's ID token names the person (`preferred_username`, `sub`) and their
role in Lindung (`lindung_role`), with the provider they work for (`lindung_provider`) or
the states they cover (`lindung_states`, space-separated, `*` for all). A person acts
through the same use cases as an API key of that kind, under their own name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from .auth import Principal, PrincipalKind

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["Person", "Role", "person_of"]

_ID: Final = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_STATE: Final = re.compile(r"^(\*|[a-z][a-z_]{1,31})$")


class Role(StrEnum):
    """What a person does in Lindung (the `lindung_role` claim)."""

    PROVIDER_STAFF = "provider_staff"
    COORDINATOR = "coordinator"
    SUPERVISOR = "supervisor"
    OPERATIONS = "operations"


@dataclass(frozen=True)
class Person:
    """A signed-in person: their user name, subject at the identity provider, role, principal."""

    name: str
    subject: str
    role: Role
    principal: Principal


def person_of(claims: Mapping[str, Any]) -> Person | None:
    """The person an ID token's claims describe; None when they give no usable role.

    Provider staff act as their provider (its id is what referrals are addressed to);
    coordinators and supervisors act as coordinators under their own name, with their
    states; operations under their own name. Anything malformed is no person at all.
    """
    name = claims.get("preferred_username")
    subject = claims.get("sub")
    role_claim = claims.get("lindung_role")
    if not (_is_id(name) and isinstance(subject, str) and subject):
        return None
    if role_claim not in set(Role):
        return None
    role = Role(role_claim)
    assert isinstance(name, str)  # for mypy: `_is_id` checked it
    if role is Role.PROVIDER_STAFF:
        provider = claims.get("lindung_provider")
        if not _is_id(provider):
            return None
        assert isinstance(provider, str)
        principal = Principal(PrincipalKind.PROVIDER, provider, person=name, role=role.value)
    elif role is Role.OPERATIONS:
        principal = Principal(PrincipalKind.OPERATIONS, name, person=name, role=role.value)
    else:
        states = _states(claims.get("lindung_states"))
        if not states:
            return None
        principal = Principal(
            PrincipalKind.COORDINATOR, name, person=name, role=role.value, states=states
        )
    return Person(name=name, subject=subject, role=role, principal=principal)


def _is_id(value: object) -> bool:
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def _states(value: object) -> frozenset[str]:
    """`selangor kuala_lumpur` (or a list of them) as a set; empty if any is malformed."""
    parts = value.split() if isinstance(value, str) else value
    if not isinstance(parts, list | tuple):
        return frozenset()
    states = frozenset(p for p in parts if isinstance(p, str) and _STATE.fullmatch(p))
    return states if len(states) == len(set(parts)) else frozenset()
