"""What a consumer is: its topics and handlers, what becomes of a record, what health sees."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from .deadletters import announce_dead_letter

if TYPE_CHECKING:
    from lindung_contracts import Envelope, Payload, Topic

    from .deadletters import Announce
    from .work import Work

__all__ = ["Consumer", "ConsumerState", "Handler", "Outcome", "RunHandler"]

Handler = Callable[["Work", "Envelope[Any]"], Awaitable[None]]
# Takes a run of consecutive records of one type at once: one statement for all of them.
RunHandler = Callable[["Work", "list[Envelope[Any]]"], Awaitable[None]]


@dataclass(frozen=True)
class Consumer:
    """A service's subscription: its name, topics, and the handler of each event type.

    A type's handler takes one record (`handlers`) or a run of consecutive records of
    that type (`run_handlers`: fewer statements when records come fast; it is also
    called with a run of one). `dedupe` remembers each event id in `processed_events`; a
    door that reads events made outside Lindung turns it off and de-duplicates on its
    own natural key instead (an outside event id proves nothing). `expect` limits the
    event types decoded at all. `outside` marks a door for events made outside Lindung:
    they need only the attributes CloudEvents requires. `agency_door` marks a door that
    reads agencies' own topics: the agency is the topic's (only its principal may write
    there), and a record whose `data.agency_id` names another is refused.
    """

    name: str
    topics: tuple[Topic, ...]
    handlers: Mapping[type[Payload], Handler] = field(default_factory=dict)
    run_handlers: Mapping[type[Payload], RunHandler] = field(default_factory=dict)
    expect: tuple[type[Payload], ...] | None = None
    dedupe: bool = True
    outside: bool = False
    agency_door: bool = False
    announce: Announce = announce_dead_letter

    def handles(self, kind: type[Payload]) -> bool:
        """Whether this consumer acts on events of this type."""
        return kind in self.handlers or kind in self.run_handlers

    def handler(self, kind: type[Payload]) -> Handler | None:
        """The one-record handler of a type (a run of one, for a run handler)."""
        if kind in self.handlers:
            return self.handlers[kind]
        run = self.run_handlers.get(kind)
        if run is None:
            return None

        async def one(work: Work, envelope: Envelope[Any]) -> None:
            await run(work, [envelope])

        return one


class Outcome(StrEnum):
    """What became of one record."""

    PROCESSED = "processed"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    DEAD_LETTERED = "dead-lettered"


@dataclass
class ConsumerState:
    """What /health/ready needs to know about one consumer, kept up to date by its path."""

    name: str
    running: bool = False
    retrying_since: float | None = None
    retry_reason: str | None = None
    last_batch_at: float = field(default_factory=time.monotonic)
    handled: int = 0
