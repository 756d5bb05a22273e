"""Intake's rules: who may call and know what, what a valid identification or answer is.

Pure: no I/O package is imported here (a unit test checks it); time and ids are arguments.
"""

from .alerts import (
    ALERT_EVENTS,
    Acknowledging,
    Alert,
    alert_of,
    decide_acknowledgement,
    may_see_alert,
    shown_to,
)
from .auth import Principal, PrincipalKind
from .cases import OpenedCase, Opening, StoredCase, decide_opening, may_read_case
from .closing import CaseToClose, Closing, decide_closing
from .linking import Linker
from .notes import (
    NOTE_MAX_CHARACTERS,
    NOTE_PATTERN,
    Note,
    NoteAbout,
    about_answer,
    about_clock,
    check_note,
    may_read_note,
    may_read_notes,
    trimmed,
)
from .projection import FIELDS_FOR, may_share, pick, project, shown_fields
from .reassigning import Reassigning, decide_reassignment
from .referrals import (
    Answering,
    ClockChanging,
    Referral,
    decide_answer,
    decide_clock_change,
    may_know,
    not_found,
    readable_fields,
)
from .refusal import Refusal, RefusalKind
from .rules import check_identification_time, check_response, fingerprint

__all__ = [
    "ALERT_EVENTS",
    "FIELDS_FOR",
    "NOTE_MAX_CHARACTERS",
    "NOTE_PATTERN",
    "Acknowledging",
    "Alert",
    "Answering",
    "CaseToClose",
    "ClockChanging",
    "Closing",
    "Linker",
    "Note",
    "NoteAbout",
    "OpenedCase",
    "Opening",
    "Principal",
    "PrincipalKind",
    "Reassigning",
    "Referral",
    "Refusal",
    "RefusalKind",
    "StoredCase",
    "about_answer",
    "about_clock",
    "alert_of",
    "check_identification_time",
    "check_note",
    "check_response",
    "decide_acknowledgement",
    "decide_answer",
    "decide_clock_change",
    "decide_closing",
    "decide_opening",
    "decide_reassignment",
    "fingerprint",
    "may_know",
    "may_read_case",
    "may_read_note",
    "may_read_notes",
    "may_see_alert",
    "may_share",
    "not_found",
    "pick",
    "project",
    "readable_fields",
    "shown_fields",
    "shown_to",
    "trimmed",
]
