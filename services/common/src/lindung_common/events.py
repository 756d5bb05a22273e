"""Making events: a fresh id, the clock's time and this service as the source."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lindung_contracts import Envelope

from .clock import Clock, IdFactory, SystemClock, new_id

if TYPE_CHECKING:
    import uuid
    from datetime import datetime

    from lindung_contracts import Payload

__all__ = ["Events"]


class Events:
    """Wraps payloads in envelopes; time and ids come from the ports given here."""

    def __init__(
        self, service: str, *, clock: Clock | None = None, ids: IdFactory = new_id
    ) -> None:
        self.service = service
        self.source = f"/lindung/{service}"
        self.clock: Clock = clock or SystemClock()
        self.ids = ids

    def now(self) -> datetime:
        """The clock's time."""
        return self.clock.now()

    def wrap(
        self, payload: Payload, *, event_id: uuid.UUID | None = None, time: datetime | None = None
    ) -> Envelope[Any]:
        """An envelope for `payload`: a fresh id and the clock's time unless given."""
        return Envelope.wrap(
            payload,
            event_id=event_id or self.ids(),
            time=time or self.clock.now(),
            source=self.source,
        )
