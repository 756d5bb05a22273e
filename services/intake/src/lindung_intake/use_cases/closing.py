"""A case coordinator closing a case with an outcome.

One unit of work: load the case (locked), decide (`domain.decide_closing`), record the
request and its sealed note, emit `CaseCloseRequested` for the router, which cancels the
referrals still awaiting acceptance and answers with `CaseClosed` (mirrored here by
`on_cases_closed`). Independent of HTTP: the API and the desk call the same use case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import structlog

from lindung_intake.adapters import closing as stored
from lindung_intake.domain import decide_closing
from lindung_intake.use_cases.notes import carry_out, note_words

if TYPE_CHECKING:
    from uuid import UUID

    from lindung_common import Units, Work
    from lindung_contracts import CaseOutcome, Envelope, ReasonCode

    from lindung_intake.adapters.sealing import DataKeys
    from lindung_intake.domain import Principal

__all__ = ["Closings", "on_cases_closed"]

log = structlog.get_logger(__name__)


class Closings:
    """What a coordinator does to close a case."""

    def __init__(self, units: Units, *, data_keys: DataKeys) -> None:
        self._units = units
        self._data_keys = data_keys

    async def close(
        self,
        principal: Principal,
        case_id: UUID,
        outcome: CaseOutcome,
        reason: ReasonCode | None = None,
        note: str | None = None,
    ) -> UUID:
        """Ask the router to close a case (its note sealed); the request's id.

        A case unknown to the caller (or of a state they do not cover) is 404; one closed
        or being closed already, or not yet referred, is 409. The event carries the
        outcome and reason codes, never the note's words.
        """
        words = note_words(note)
        async with self._units.open() as work:
            closing = decide_closing(
                await stored.case_to_close(work.conn, case_id),
                principal,
                case_id=case_id,
                outcome=outcome,
                reason=reason,
                note=words,
                request_id=work.new_id(),
                note_id=work.new_id(),
                at=work.now,
            )
            request = await carry_out(work, self._data_keys, closing, stored.insert_closing)
            work.after_commit(
                lambda: log.info("case close requested", case_id=str(case_id),
                                 outcome=outcome.value, coordinator_id=principal.id)
            )  # fmt: skip
            return request.request_id


async def on_cases_closed(work: Work, envelopes: list[Envelope[Any]]) -> None:
    """Remember the cases the router closed: they read as closed from then on.

    Their cancelled referrals were withdrawn by the `ReferralCancelled` before each, so
    their providers' answers already get 409.
    """
    await stored.mark_closed(work.conn, [e.data for e in envelopes])
