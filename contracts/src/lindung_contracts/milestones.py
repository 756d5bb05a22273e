"""A case's legal milestones, and the legal clocks they start and stop.

The Child Act 2001 chains its time limits to events: a child taken into temporary custody
(s.18) must be brought before a Protector within 12 hours, and examined by a medical
officer within 48 hours (s.20). A case coordinator records each such event as a
milestone, with when it happened; the sla-monitor starts the clocks a milestone starts
and stops those another one stops (the chain is policy data, with its legal sources), and
alerts the case coordinator when a clock's time passes without its stopping milestone.
A milestone is a code and a time, never words.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import Field, StringConstraints

from ._base import CaseId, CoordinatorId, Instant, Payload
from .referral import RecipientRole

__all__ = [
    "MILESTONE_WORDS",
    "CaseMilestoneRecorded",
    "ClockId",
    "LegalClockChanged",
    "LegalClockMissed",
    "LegalClockState",
    "MilestoneKind",
]


class MilestoneKind(StrEnum):
    """An event in a case that starts or stops a legal clock, as a code."""

    # Taken into temporary custody (Child Act 2001 s.18): the chain starts here.
    TAKEN_INTO_CARE = "taken_into_care"
    # A Protector was told the child is in temporary custody ("at once", s.18).
    PROTECTOR_NOTIFIED = "protector_notified"
    # The child was brought before a Protector (within 12 hours, s.18).
    BROUGHT_BEFORE_PROTECTOR = "brought_before_protector"
    # A medical officer examined the child (within 48 hours, s.20).
    MEDICAL_EXAMINATION_DONE = "medical_examination_done"
    # A court date is set (a protection order, a hearing): `court_date` says which day.
    COURT_DATE_SET = "court_date_set"
    # A lawyer acts for the child.
    LEGAL_AID_IN_PLACE = "legal_aid_in_place"


# The words each milestone stands for, in each language notices and pages are written in.
MILESTONE_WORDS: dict[MilestoneKind, dict[str, str]] = {
    MilestoneKind.TAKEN_INTO_CARE: {
        "en": "taken into temporary custody",
        "ms": "diambil ke dalam jagaan sementara",
    },
    MilestoneKind.PROTECTOR_NOTIFIED: {
        "en": "a Protector notified",
        "ms": "Pelindung dimaklumkan",
    },
    MilestoneKind.BROUGHT_BEFORE_PROTECTOR: {
        "en": "brought before a Protector",
        "ms": "dibawa ke hadapan Pelindung",
    },
    MilestoneKind.MEDICAL_EXAMINATION_DONE: {
        "en": "medical examination done",
        "ms": "pemeriksaan perubatan selesai",
    },
    MilestoneKind.COURT_DATE_SET: {
        "en": "court date set",
        "ms": "tarikh mahkamah ditetapkan",
    },
    MilestoneKind.LEGAL_AID_IN_PLACE: {
        "en": "legal aid in place",
        "ms": "bantuan guaman tersedia",
    },
}

ClockId = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,62}$"),
    Field(description="The legal clock's id in the sla-monitor's policy, e.g. `before_protector`."),
]


class CaseMilestoneRecorded(Payload):
    """A case coordinator recorded, through intake, that a milestone of a case happened.

    The same milestone recorded again changes nothing: the first record of a kind is the
    one that counts. A milestone recorded late (after a clock's time) still stops it.
    """

    event_type: ClassVar[str] = "org.lindung.case.milestone-recorded.v1"

    milestone_id: UUID = Field(description="Unique id of this record.")
    case_id: CaseId
    kind: MilestoneKind = Field(description="What happened, as a code.")
    at: Instant = Field(description="When it happened (not when it was recorded).")
    court_date: date | None = Field(
        default=None,
        description="The day of the hearing, in Malaysia's time: given with "
        "`court_date_set` (intake requires it then), null with every other kind.",
    )
    coordinator_id: CoordinatorId = Field(description="Who recorded it.")
    recorded_at: Instant = Field(description="When intake recorded it.")


class LegalClockMissed(Payload):
    """A legal clock's time passed without the milestone that stops it: one alert.

    Raised once per case and clock by the sla-monitor, to the case coordinator.
    """

    event_type: ClassVar[str] = "org.lindung.case.legal-clock-missed.v1"

    case_id: CaseId
    clock: ClockId
    started_by: MilestoneKind = Field(description="The milestone that started the clock.")
    started_at: Instant = Field(description="When that milestone happened.")
    stopped_by: MilestoneKind = Field(description="The milestone still not recorded.")
    due_at: Instant = Field(description="When it should have happened by.")
    source: str = Field(
        min_length=1,
        max_length=200,
        description="The legal source of the time limit, or that it is a house choice.",
        examples=["Child Act 2001 s.20"],
    )
    notify: RecipientRole = Field(description="Who is alerted: the case coordinator.")
    fired_at: Instant = Field(description="When the sla-monitor raised it.")


class LegalClockState(StrEnum):
    """Where a legal clock stands."""

    RUNNING = "running"  # started; its stopping milestone not recorded yet
    MET = "met"  # its stopping milestone happened in time
    # Its stopping milestone happened after the time, and was recorded before the alert.
    LATE = "late"
    MISSED = "missed"  # the time passed without it: the case coordinator was alerted


class LegalClockChanged(Payload):
    """A legal clock of a case started, stopped or ran out: where it stands now.

    From the sla-monitor, for pages that show a case's clocks (intake's desk). The alert
    to a person is `LegalClockMissed`; this says the same of a missed clock, and also
    what runs and what was met.
    """

    event_type: ClassVar[str] = "org.lindung.case.legal-clock-changed.v1"

    case_id: CaseId
    clock: ClockId
    state: LegalClockState = Field(description="Where the clock stands now.")
    started_by: MilestoneKind = Field(description="The milestone that started the clock.")
    started_at: Instant = Field(description="When that milestone happened.")
    stopped_by: MilestoneKind = Field(description="The milestone that stops it.")
    due_at: Instant = Field(description="When that milestone is due by.")
    stopped_at: Instant | None = Field(
        default=None, description="When the stopping milestone happened, once recorded."
    )
    source: str = Field(
        min_length=1,
        max_length=200,
        description="The legal source of the time limit, or that it is a house choice.",
        examples=["Child Act 2001 s.18"],
    )
    at: Instant = Field(description="When the sla-monitor saw the change.")
