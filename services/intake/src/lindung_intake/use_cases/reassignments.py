"""A case coordinator sending a referral to another provider, or to the next suitable one.

One unit of work: load the referral (locked), decide (`domain.decide_reassignment`), record
the request and its sealed note, emit `ReferralReassignmentRequested` for the router. The
router owns the directory and decides whom it asks; intake checks the rest. Independent of
HTTP: the API and the desk call the same use case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from lindung_intake.adapters import postgres as db
from lindung_intake.adapters import reassignments as stored
from lindung_intake.domain import decide_reassignment, may_know
from lindung_intake.use_cases.notes import carry_out, note_words

if TYPE_CHECKING:
    from uuid import UUID

    from lindung_common import Units
    from lindung_contracts import ReasonCode

    from lindung_intake.adapters.sealing import DataKeys
    from lindung_intake.domain import Principal
    from lindung_intake.use_cases.waiting import Arrivals

__all__ = ["Reassignments"]

log = structlog.get_logger(__name__)


class Reassignments:
    """What a coordinator does to move a referral to another provider."""

    def __init__(self, units: Units, arrivals: Arrivals, *, data_keys: DataKeys) -> None:
        self._units = units
        self._arrivals = arrivals
        self._data_keys = data_keys

    async def reassign(
        self,
        principal: Principal,
        referral_id: UUID,
        provider_id: str | None,
        reason: ReasonCode,
        note: str | None = None,
    ) -> UUID:
        """Ask the router to move a referral (its note sealed); the request's id.

        `provider_id` None asks for the next suitable provider. A referral unknown to the
        caller is 404; one accepted, completed, withdrawn or already being moved is 409.
        The event carries the reason code, never the note's words.
        """
        words = note_words(note)
        at = self._units.events.now()

        async def look(last: bool) -> UUID | None:  # noqa: FBT001 - the one flag of a look
            async with self._units.open() as work:
                referral = await db.find_referral(work.conn, referral_id, lock=True)
                if not (last or may_know(referral, principal)):
                    return None
                moving = decide_reassignment(
                    referral,
                    principal,
                    referral_id=referral_id,
                    provider_id=provider_id,
                    reason=reason,
                    note=words,
                    earlier=await stored.reassigned_at(work.conn, referral_id),
                    request_id=work.new_id(),
                    note_id=work.new_id(),
                    at=at,
                )
                keys = self._data_keys
                request = await carry_out(work, keys, moving, stored.insert_reassignment)
                work.after_commit(
                    lambda: log.info("referral reassignment requested",
                                     case_id=str(request.case_id), referral_id=str(referral_id),
                                     chosen=provider_id, coordinator_id=principal.id)
                )  # fmt: skip
                return request.request_id

        return await self._arrivals.first_sight(principal, referral_id, look)
