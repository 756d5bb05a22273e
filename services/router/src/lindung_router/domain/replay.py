"""Replaying recorded cases under a draft policy and directory: what would have changed.

Only the first decision of each case is replayed (the services it needs, their urgency,
the provider asked first and its deadline), as the router made it when the case opened;
what happened after (declines, re-routes, acceptances) is taken as recorded. A recorded
acceptance later than the draft's deadline, and not later than the recorded one, is a
deadline the draft would have missed (and the other way round, one it would have met).
Everything said names cases, services, providers and times only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Final
from uuid import UUID

from .durations import format_duration
from .routing import CaseFacts, route
from .rules import needs

if TYPE_CHECKING:
    from collections.abc import Iterable

    from lindung_contracts import CaseOpened, ServiceType

    from .directory import Directory
    from .policy import Policy

__all__ = ["Change", "Decided", "Difference", "Recorded", "Tally", "replay_case", "routed_at"]

# The replay makes no referral: the id it would have had is never seen.
_NO_REFERRAL: Final = UUID(int=0)


class Change(StrEnum):
    """What differs for one service of one case."""

    ADDED = "service added"
    DROPPED = "service dropped"
    PROVIDER = "provider"
    URGENCY = "urgency"
    DUE = "due"
    MISSED = "deadline would have been missed"
    MAYBE_MISSED = "deadline may have been missed"
    MET = "deadline would have been met"


# Each kind of change as the summary counts it.
_COUNTED: Final = {
    Change.ADDED: "services added",
    Change.DROPPED: "services dropped",
    Change.PROVIDER: "providers changed",
    Change.URGENCY: "urgencies changed",
    Change.DUE: "due times moved",
    Change.MISSED: "deadlines would have been missed",
    Change.MAYBE_MISSED: "may have been missed",
    Change.MET: "would have been met",
}


@dataclass(frozen=True)
class Decided:
    """What the router decided for one service of a case, and when it was accepted.

    `provider_id`, `urgent`, `due_at` and `requested_at` are those of the first referral
    (None: nobody could be asked; urgency and deadline are then unknown). `accepted_at`:
    when a provider accepted it, where that time is kept; `accepted_by`: a time it was
    accepted at or before (the referral moved on, to in progress or completed).
    """

    service: ServiceType
    provider_id: str | None
    urgent: bool | None = None
    due_at: datetime | None = None
    requested_at: datetime | None = None
    accepted_at: datetime | None = None
    accepted_by: datetime | None = None


@dataclass(frozen=True)
class Recorded:
    """A case as opened, and what the router decided for each of its services."""

    case: CaseOpened
    decided: tuple[Decided, ...]


@dataclass(frozen=True)
class Difference:
    """One change the draft would have made; `before` and `after` as a person reads them."""

    case_id: UUID
    service: ServiceType
    change: Change
    before: str = ""
    after: str = ""

    def line(self) -> str:
        """One line of plain text: ids, codes and times only."""
        head = f"case {self.case_id} {self.service.value}: {self.change.value}"
        if self.change in {Change.PROVIDER, Change.URGENCY, Change.DUE}:
            return f"{head} {self.before} -> {self.after}"
        if self.change is Change.ADDED:
            return f"{head} ({self.after})"
        if self.change is Change.DROPPED:
            return f"{head} (was {self.before})"
        return f"{head}: accepted {self.before}, draft due {self.after}"


@dataclass(frozen=True)
class Tally:
    """How many cases were replayed, and how many differences of each kind."""

    cases: int
    undecided: int
    changes: Counter[Change]

    @classmethod
    def of(cls, cases: int, undecided: int, differences: Iterable[Difference]) -> Tally:
        """The count of each kind of change."""
        return cls(cases, undecided, Counter(d.change for d in differences))

    def line(self) -> str:
        """The summary line."""
        counts = ", ".join(f"{self.changes[c]} {_COUNTED[c]}" for c in Change)
        changed = sum(self.changes.values())
        return (
            f"summary: {self.cases} cases replayed ({self.undecided} without a recorded "
            f"decision, left out); {changed} differences: {counts}"
        )


def routed_at(recorded: Recorded) -> datetime:
    """When the router routed the case, as near as the record says.

    A first referral requested after identification was routed late, at that moment;
    otherwise the case was routed on arrival, once intake had opened it.
    """
    facts = CaseFacts.of(recorded.case)
    starts = [d.requested_at for d in recorded.decided if d.requested_at is not None]
    late = [s for s in starts if s > facts.identified_at]
    if late:
        return min(late)
    opened = recorded.case.opened_at
    if opened.tzinfo is None:  # a naive time from a producer is read as UTC, as routing does
        opened = opened.replace(tzinfo=UTC)
    return max(facts.identified_at, opened)


def replay_case(recorded: Recorded, *, policy: Policy, directory: Directory) -> list[Difference]:
    """Route the case again under `policy` and `directory`; how it differs from the record."""
    case = recorded.case
    facts = CaseFacts.of(case)
    now = routed_at(recorded)
    before = {d.service: d for d in recorded.decided}
    differences: list[Difference] = []
    seen = set()
    for need in needs(case.child, case.situation, facts.identified_at):
        seen.add(need.service)
        routed = route(
            facts,
            need,
            policy=policy,
            directory=directory,
            start=facts.identified_at,
            now=now,
            referral_id=_NO_REFERRAL,
        )
        request = routed.requested
        provider = request.provider_id if request is not None else None
        due = request.due_at if request is not None else None
        old = before.get(need.service)
        if old is None:
            urgency = "urgent" if need.urgent else "normal"
            after = f"{urgency}, {_provider(provider)}" + (f", due {_at(due)}" if due else "")
            differences.append(Difference(case.case_id, need.service, Change.ADDED, after=after))
            continue
        draft = Decided(need.service, provider, urgent=need.urgent, due_at=due)
        differences += _compare(case.case_id, old, draft)
    differences += [
        Difference(case.case_id, d.service, Change.DROPPED, before=_provider(d.provider_id))
        for d in recorded.decided
        if d.service not in seen
    ]
    return differences


def _compare(case_id: UUID, old: Decided, now: Decided) -> list[Difference]:
    """`old` as recorded, `now` as the draft decides (its urgency always known)."""
    service = old.service
    found = []
    if now.provider_id != old.provider_id:
        found.append(
            Difference(
                case_id,
                service,
                Change.PROVIDER,
                _provider(old.provider_id),
                _provider(now.provider_id),
            )
        )
    if old.urgent is not None and now.urgent is not None and old.urgent != now.urgent:
        found.append(
            Difference(case_id, service, Change.URGENCY, _urgency(old.urgent), _urgency(now.urgent))
        )
    due = now.due_at
    if old.due_at is not None and due is not None and due != old.due_at:
        moved = _signed(due - old.due_at)
        found.append(
            Difference(case_id, service, Change.DUE, _at(old.due_at), f"{_at(due)} ({moved})")
        )
    if due is not None:
        found += _deadline(case_id, old, due)
    return found


def _deadline(case_id: UUID, old: Decided, due: datetime) -> list[Difference]:
    """Whether the recorded acceptance would have met the draft's deadline `due`."""
    service = old.service
    if old.accepted_at is not None:
        late_now = old.accepted_at > due
        late_then = old.due_at is not None and old.accepted_at > old.due_at
        if late_now and not late_then:
            return [Difference(case_id, service, Change.MISSED, _at(old.accepted_at), _at(due))]
        if late_then and not late_now:
            return [Difference(case_id, service, Change.MET, _at(old.accepted_at), _at(due))]
        return []
    by = old.accepted_by
    if by is not None and by > due and (old.due_at is None or by <= old.due_at):
        # Accepted at some time up to `by`: perhaps before the draft's deadline, perhaps not.
        return [
            Difference(case_id, service, Change.MAYBE_MISSED, f"at or before {_at(by)}", _at(due))
        ]
    return []


def _provider(provider_id: str | None) -> str:
    return provider_id if provider_id is not None else "(no provider)"


def _urgency(urgent: bool) -> str:  # noqa: FBT001
    return "urgent" if urgent else "normal"


def _at(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _signed(delta: timedelta) -> str:
    return ("-" if delta < timedelta(0) else "+") + format_duration(abs(delta))
