"""A case coordinator sending a referral to another provider: one they chose, or the next.

The coordinator has often just phoned the provider they name, so the router asks it
whatever the directory says of its area, its capacity (`accepting`) or an earlier answer
to this case: a person's arrangement is fresher than the directory. What the router cannot
do is ask a provider it has no address for, for a service it does not offer: such a
choice is replaced by the next suitable provider, and the new referral's `matched_by`
says so (as does the log). Never silently dropped, never a dead end: with nobody
suitable left, the service goes unmet and that escalates at once, as after a decline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Final

from lindung_contracts import ReferralStatus

from .directory import Choice, choose_provider

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from lindung_contracts import MalaysianState, ReferralReassignmentRequested

    from .capacity import Figure
    from .directory import Directory
    from .lifecycle import ReferralState

__all__ = ["MATCHED_BY_LIMIT", "Chosen", "choose", "refuse_reassignment"]

# `ReferralRequested.matched_by` holds at most this many characters.
MATCHED_BY_LIMIT: Final = 300


@dataclass(frozen=True)
class Chosen:
    """Who moves a referral, and to whom: a provider id, or None for the next suitable one."""

    coordinator_id: str
    provider_id: str | None


def refuse_reassignment(
    referral: ReferralState, request: ReferralReassignmentRequested
) -> str | None:
    """Why the request changes nothing (it reads after "referral"); None when it moves it.

    Only a referral still awaiting its provider's acceptance moves: one accepted stays with
    the provider who took the child in, and one already withdrawn has moved on (a request
    seen again is one of those). The router decides under the referral's lock; intake
    refused the same earlier, but an answer may have arrived in between.
    """
    if request.case_id != referral.case_id:
        return "request names another case"
    if referral.status is ReferralStatus.WITHDRAWN:
        return "was already withdrawn from its provider"
    if referral.status is not ReferralStatus.REQUESTED:
        return f"is {referral.status.value}: only a referral awaiting acceptance moves"
    if request.provider_id == referral.provider_id:
        return f"is already with {referral.provider_id}"
    return None


def choose(
    chosen: Chosen,
    directory: Directory,
    previous: ReferralState,
    *,
    state: MalaysianState,
    district: str | None,
    languages: tuple[str, ...],
    tried: tuple[str, ...],
    declined: tuple[str, ...] = (),
    capacity: Mapping[str, Figure] | None = None,
    now: datetime | None = None,
    stale_after: timedelta = timedelta(hours=12),
) -> Choice:
    """The coordinator's provider if the router can ask it, else the next suitable one.

    The next suitable one is chosen as after a decline (untried, accepting, nearest, not
    full by its fresh figure of free places: `capacity` at `now`); the
    choice says in `matched_by` who asked for it and, when the named provider was replaced,
    why.
    """
    by = f"case coordinator {chosen.coordinator_id}"
    replaced = _unsuitable(chosen.provider_id, directory, previous)
    if chosen.provider_id is not None and replaced is None:
        provider = next(p for p in directory.providers if p.id == chosen.provider_id)
        note = f"chose {provider.id}: chosen by {by}"
        return Choice(provider, (note,), matched_by=f"chosen by {by}")
    found = choose_provider(
        directory,
        previous.service,
        state=state,
        district=district,
        languages=languages,
        tried=tried,
        declined=declined,
        capacity=capacity,
        now=now,
        stale_after=stale_after,
    )
    asked = f"{by} asked for the next suitable provider"
    if replaced is not None:
        asked = f"{by} chose {replaced}; the next suitable provider instead"
    notes = (asked, *found.notes)
    if found.provider is None:
        return Choice(None, notes)
    matched_by = f"{asked}: {found.matched_by}"[:MATCHED_BY_LIMIT]
    return Choice(found.provider, notes, matched_by=matched_by, passed_over=found.passed_over)


def _unsuitable(
    provider_id: str | None, directory: Directory, previous: ReferralState
) -> str | None:
    """Why the named provider cannot be asked ("X, which …"); None when it can, or none named."""
    if provider_id is None:
        return None
    provider = next((p for p in directory.providers if p.id == provider_id), None)
    if provider is None:
        return f"{provider_id}, which is not in the provider directory"
    if previous.service not in provider.services:
        return f"{provider_id}, which does not offer {previous.service.value}"
    return None
