"""The provider directory (after Open Referral HSDS) and how one provider is chosen."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal, Self

from lindung_contracts import LanguageCode, MalaysianState, ProviderId, ServiceType
from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["NATIONWIDE", "Choice", "Directory", "Provider", "choose_provider"]

NATIONWIDE = "*"


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
    """The provider chosen (or none) and, for the log, why each candidate was or was not."""

    provider: Provider | None
    notes: tuple[str, ...]


def choose_provider(
    directory: Directory,
    service: ServiceType,
    *,
    state: MalaysianState,
    languages: tuple[str, ...],
    tried: tuple[str, ...] = (),
) -> Choice:
    """The best untried provider that offers `service`, is accepting and serves `state`.

    Providers that speak one of the child's languages come first, then lower priority,
    then id, so the same inputs always give the same answer.
    """
    notes: list[str] = []
    eligible: list[Provider] = []
    for provider in directory.providers:
        if service not in provider.services:
            continue
        if provider.id in tried:
            notes.append(f"{provider.id}: already tried for this case")
        elif not provider.accepting:
            notes.append(f"{provider.id}: not accepting referrals")
        elif not provider.serves(state):
            notes.append(f"{provider.id}: does not serve {state.value}")
        else:
            eligible.append(provider)
    eligible.sort(key=lambda p: (not p.speaks_any(languages), p.priority, p.id))
    if not eligible:
        notes.append(f"no untried accepting provider of {service.value} serves {state.value}")
        return Choice(None, tuple(notes))
    chosen = eligible[0]
    spoken = [lang for lang in languages if lang in chosen.languages]
    speaks = f"speaks {', '.join(spoken)}" if spoken else "speaks none of the child's languages"
    notes.append(f"chose {chosen.id}: {speaks}; priority {chosen.priority}")
    notes += [f"{p.id}: ranked lower" for p in eligible[1:]]
    return Choice(chosen, tuple(notes))
