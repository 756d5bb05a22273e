"""The provider directory (after Open Referral HSDS) and how one provider is chosen."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Literal, Self

from lindung_contracts import (
    LanguageCode,
    MalaysianState,
    PassedOver,
    PassedOverCode,
    ProviderId,
    ServiceType,
)
from lindung_contracts.referral import PASSED_OVER_LIMIT
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .capacity import Places

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from .capacity import Figure

__all__ = [
    "NATIONWIDE",
    "NEIGHBOURS",
    "Choice",
    "Directory",
    "Provider",
    "choose_provider",
    "passed_over",
]

NATIONWIDE = "*"

_M = MalaysianState
# States and federal territories that share a border (or, for Borneo, a short crossing):
# where a child is referred when no provider serves their own state.
NEIGHBOURS: dict[MalaysianState, frozenset[MalaysianState]] = {
    _M.PERLIS: frozenset({_M.KEDAH}),
    _M.KEDAH: frozenset({_M.PERLIS, _M.PENANG, _M.PERAK}),
    _M.PENANG: frozenset({_M.KEDAH, _M.PERAK}),
    _M.PERAK: frozenset({_M.KEDAH, _M.PENANG, _M.KELANTAN, _M.PAHANG, _M.SELANGOR}),
    _M.SELANGOR: frozenset(
        {_M.PERAK, _M.PAHANG, _M.NEGERI_SEMBILAN, _M.KUALA_LUMPUR, _M.PUTRAJAYA}
    ),
    _M.KUALA_LUMPUR: frozenset({_M.SELANGOR, _M.PUTRAJAYA}),
    _M.PUTRAJAYA: frozenset({_M.SELANGOR, _M.KUALA_LUMPUR}),
    _M.NEGERI_SEMBILAN: frozenset({_M.SELANGOR, _M.PAHANG, _M.MELAKA, _M.JOHOR}),
    _M.MELAKA: frozenset({_M.NEGERI_SEMBILAN, _M.JOHOR}),
    _M.JOHOR: frozenset({_M.MELAKA, _M.NEGERI_SEMBILAN, _M.PAHANG}),
    _M.PAHANG: frozenset(
        {_M.PERAK, _M.KELANTAN, _M.TERENGGANU, _M.SELANGOR, _M.NEGERI_SEMBILAN, _M.JOHOR}
    ),
    _M.KELANTAN: frozenset({_M.PERAK, _M.PAHANG, _M.TERENGGANU}),
    _M.TERENGGANU: frozenset({_M.KELANTAN, _M.PAHANG}),
    _M.SABAH: frozenset({_M.SARAWAK, _M.LABUAN}),
    _M.SARAWAK: frozenset({_M.SABAH}),
    _M.LABUAN: frozenset({_M.SABAH}),
}
# How near a provider is to the child, in the order they are asked.
_DISTRICT, _LOCAL, _NEIGHBOURING, _NATIONAL = 0, 1, 2, 3
_D = PassedOverCode


class _DirectoryModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Provider(_DirectoryModel):
    """One organisation that can take referrals for one or more services."""

    id: ProviderId
    name: str = Field(min_length=1, max_length=200, description="Display name.")
    services: tuple[ServiceType, ...] = Field(min_length=1, description="Services it offers.")
    states: tuple[MalaysianState | Literal["*"], ...] = Field(
        min_length=1, description="States it serves, or `*` for the whole country."
    )
    districts: tuple[str, ...] = Field(
        default=(),
        description="Districts or towns of its states it is based in; asked first there.",
    )
    languages: tuple[LanguageCode, ...] = Field(default=(), description="Languages spoken.")
    accepting: bool = Field(default=True, description="Takes new referrals now.")
    priority: int = Field(default=100, ge=0, description="Lower is asked first.")

    @model_validator(mode="after")
    def _states(self) -> Self:
        if NATIONWIDE in self.states and len(self.states) > 1:
            raise ValueError("states: `*` already means every state; list nothing beside it")
        return self

    def serves(self, state: MalaysianState) -> bool:
        """Whether it serves children in that state."""
        return NATIONWIDE in self.states or state in self.states

    def nearness(self, state: MalaysianState, district: str | None = None) -> int | None:
        """0 serves the child's district, 1 its state, 2 a neighbouring state, 3 the country."""
        if state in self.states:
            return _DISTRICT if district is not None and district in self.districts else _LOCAL
        if not NEIGHBOURS.get(state, frozenset()).isdisjoint(self.states):
            return _NEIGHBOURING
        if NATIONWIDE in self.states:
            return _NATIONAL
        return None

    def speaks_any(self, languages: tuple[str, ...]) -> bool:
        """Whether it speaks at least one of these languages."""
        return not set(languages).isdisjoint(self.languages)


class Directory(_DirectoryModel):
    """Every provider the router may refer to, versioned."""

    version: str = Field(min_length=1, max_length=64, description="Directory version.")
    providers: tuple[Provider, ...] = Field(description="The providers.")

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        repeated = sorted(i for i, n in Counter(p.id for p in self.providers).items() if n > 1)
        if repeated:
            raise ValueError(f"provider ids repeat: {', '.join(repeated)}")
        return self

    def services_without_provider(self) -> tuple[ServiceType, ...]:
        """Services no accepting provider offers anywhere (every such referral goes unmet)."""
        offered = {s for p in self.providers if p.accepting for s in p.services}
        return tuple(s for s in ServiceType if s not in offered)


@dataclass(frozen=True)
class Choice:
    """The provider chosen (or none), how it was matched, and why each candidate was or not.

    `passed_over`: the providers ranked above the chosen one that were not asked, each
    with a code (`PassedOverCode`); ids and codes only, so it may travel on the referral.
    """

    provider: Provider | None
    notes: tuple[str, ...]
    matched_by: str | None = None
    passed_over: tuple[PassedOver, ...] = ()


def choose_provider(
    directory: Directory,
    service: ServiceType,
    *,
    state: MalaysianState,
    languages: tuple[str, ...],
    tried: tuple[str, ...] = (),
    district: str | None = None,
    declined: tuple[str, ...] = (),
    capacity: Mapping[str, Figure] | None = None,
    now: datetime | None = None,
    stale_after: timedelta = timedelta(hours=12),
) -> Choice:
    """The best untried, accepting provider of `service` for a child in `state`.

    Providers that speak one of the child's languages come first; then those serving the
    child's district, then the rest of its state, then a neighbouring state, then the
    whole country; then those with places free by a fresh figure before those whose
    figure is unknown or stale; then lower priority, then id, so the same inputs give the
    same answer. `declined`: those of `tried` that declined (the others gave the service
    up otherwise). `capacity`: the latest figure of this service by provider id; one
    fresh at `now` (no older than `stale_after`) that says none free skips its provider.
    """
    places = Places(capacity if capacity is not None else {}, now, stale_after)
    notes: list[str] = []
    eligible: list[tuple[int, Provider]] = []
    skipped: list[tuple[int, Provider, PassedOverCode]] = []
    for provider in directory.providers:
        if service not in provider.services:
            continue
        nearness = provider.nearness(state, district)
        # Were it not for the code, it would be asked at its nearness; one out of the area
        # at the least it would take to be asked at all: serving the whole country.
        near = _NATIONAL if nearness is None else nearness
        kept_out = _kept_out(
            provider, nearness, state=state, tried=tried, declined=declined, places=places
        )
        if kept_out is None:
            eligible.append((near, provider))
        else:
            code, note = kept_out
            notes.append(f"{provider.id}: {note}")
            skipped.append((near, provider, code))

    def free(provider: Provider) -> int | None:
        return places.free(provider.id)

    eligible.sort(
        key=lambda e: (
            not e[1].speaks_any(languages),
            e[0],
            free(e[1]) is None,
            e[1].priority,
            e[1].id,
        )
    )
    if not eligible:
        notes.append(f"no untried accepting provider of {service.value} serves {state.value}")
        return Choice(None, tuple(notes))
    nearness, chosen = eligible[0]
    # The notes are logged: they say whether the child's languages matched, never which
    # they are (a language can single a child out).
    if chosen.speaks_any(languages):
        speaks = "speaks one of the child's languages"
    else:
        speaks = "speaks none of the child's languages"
    matched_by = _matched_by(nearness, chosen, state, district)
    room = "" if free(chosen) is None else f"; {free(chosen)} free"
    notes.append(f"chose {chosen.id}: {matched_by}; {speaks}{room}; priority {chosen.priority}")
    notes += [f"{p.id}: ranked lower" for _, p in eligible[1:]]
    # Only a provider that speaks none of the child's languages, where the chosen one
    # does, was passed over for it; one ranked lower for an unknown figure was not.
    if chosen.speaks_any(languages):
        skipped += [
            (n, p, _D.WRONG_LANGUAGE) for n, p in eligible[1:] if not p.speaks_any(languages)
        ]
    passed = passed_over((nearness, chosen), skipped, languages)
    return Choice(chosen, tuple(notes), matched_by, passed)


def _kept_out(
    provider: Provider,
    nearness: int | None,
    *,
    state: MalaysianState,
    tried: tuple[str, ...],
    declined: tuple[str, ...],
    places: Places,
) -> tuple[PassedOverCode, str] | None:
    """Why a provider of the service cannot be asked (the first reason that applies)."""
    if provider.id in tried:
        code = _D.DECLINED_BEFORE if provider.id in declined else _D.TRIED_BEFORE
        return code, "already tried for this case"
    if not provider.accepting:
        return _D.NOT_ACCEPTING, "not accepting referrals"
    if nearness is None:
        return _D.OUT_OF_AREA, f"serves neither {state.value} nor a neighbouring state"
    if places.free(provider.id) == 0:
        return _D.AT_CAPACITY, "no place free"
    return None


def passed_over(
    chosen: tuple[int, Provider],
    others: list[tuple[int, Provider, PassedOverCode]],
    languages: tuple[str, ...],
) -> tuple[PassedOver, ...]:
    """Those of `others` the router would have asked before `chosen`, nearest first.

    Ranked above means first in the router's order (languages, nearness, priority, id) or
    in the same order without the languages: a nearer provider that speaks none of the
    child's languages was passed over for that. Each `other` comes with its nearness and
    the code that kept it out; at most `PASSED_OVER_LIMIT` are kept.
    """

    def plain(near: int, provider: Provider) -> tuple[int, int, str]:
        return (near, provider.priority, provider.id)

    def full(near: int, provider: Provider) -> tuple[bool, int, int, str]:
        return (not provider.speaks_any(languages), *plain(near, provider))

    above = sorted(
        (plain(n, p), PassedOver(provider_id=p.id, reason=code))
        for n, p, code in others
        if plain(n, p) < plain(*chosen) or full(n, p) < full(*chosen)
    )
    return tuple(entry for _, entry in above[:PASSED_OVER_LIMIT])


def _matched_by(
    nearness: int, provider: Provider, state: MalaysianState, district: str | None
) -> str:
    if nearness == _DISTRICT:
        return f"serves {district}, {state.value}"
    if nearness == _LOCAL:
        return f"serves {state.value}"
    if nearness == _NEIGHBOURING:
        near = sorted(s for s in provider.states if s in NEIGHBOURS.get(state, frozenset()))
        return f"no provider left in {state.value}; serves neighbouring {', '.join(near)}"
    return f"no provider left in {state.value} or next to it; serves the whole country"
