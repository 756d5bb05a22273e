"""The agency door on Kafka: each agency's own identifications topic, the same checks as HTTP.

Agencies choose their event ids, so one agency's id must never hide another's
identification: cases are de-duplicated by agency reference instead. A refused record is
raised, dead-lettered by the consume path, and announced on the sender's own rejections
topic (`announce_rejection`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lindung_common import Consumer, RecordRefused, original_identity
from lindung_contracts import (
    AGENCY_IDENTIFICATIONS,
    FieldError,
    IdentificationRejected,
    IdentificationReported,
)

from lindung_intake.use_cases.errors import ClientError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from lindung_common import DeadLetter, Events, Work
    from lindung_common.keys import KeyRing
    from lindung_contracts import Envelope

    from lindung_intake.use_cases.cases import Cases

__all__ = ["DOOR", "KafkaDoor", "announce_rejection"]

DOOR = "intake-door"


class KafkaDoor:
    """Identifications from the topics of `agencies`, opened as cases like HTTP's."""

    def __init__(self, cases: Cases, keys: KeyRing, agencies: Sequence[str]) -> None:
        self._cases = cases
        self._keys = keys
        self._agencies = tuple(agencies)

    def consumer(self) -> Consumer | None:
        """The door's consumer; None when no agency reports on Kafka."""
        if not self._agencies:
            return None
        return Consumer(
            name=DOOR,
            # Each agency's own topic: the topic, which only it may write, says who sent.
            topics=tuple(AGENCY_IDENTIFICATIONS.for_agency(a) for a in self._agencies),
            handlers={IdentificationReported: self.on_reported},
            expect=(IdentificationReported,),
            dedupe=False,  # by agency reference instead (see the module)
            outside=True,  # any CloudEvents SDK: only the required attributes are required
            agency_door=True,  # a record naming another agency than its topic's is refused
            announce=announce_rejection,
        )

    async def on_reported(self, work: Work, envelope: Envelope[Any]) -> None:
        """The same checks as HTTP; a refusal is raised, then announced."""
        reported: IdentificationReported = envelope.data
        agency_id = reported.agency_id
        if not self._keys.is_agency(agency_id):
            raise RecordRefused([FieldError(field="data.agency_id", reason="unknown agency")])
        if reported.agency_reference != reported.identification.agency_reference:
            reason = "differs from data.identification.agency_reference"
            raise RecordRefused([FieldError(field="data.agency_reference", reason=reason)])
        try:
            await self._cases.open_in(work, agency_id, reported.identification, "kafka")
        except ClientError as exc:
            # At the door the identification sits under `data.identification`.
            raise RecordRefused(
                [FieldError(field=f"data.identification.{e.field}", reason=e.reason)
                 for e in exc.errors]
            ) from None  # fmt: skip


def announce_rejection(letter: DeadLetter, events: Events) -> Envelope[Any]:
    """The agency door's dead letter: `IdentificationRejected`, keyed by the agency."""
    errors = letter.failure.errors or (FieldError(field="value", reason=letter.failure.reason),)
    record = letter.record
    rejection = IdentificationRejected(
        agency_id=letter.agency_id or "unknown",
        errors=tuple(errors),
        original_topic=record.topic,
        original_partition=record.partition,
        original_offset=record.offset,
        rejected_at=letter.at,
        **original_identity(letter),
    )
    return events.wrap(rejection, event_id=letter.event_id, time=letter.at)
