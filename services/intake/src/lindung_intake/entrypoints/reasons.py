"""What the API takes as a reason (a code, and words a person may add) and shows as notes.

A reason is a code from `lindung_contracts.ReasonCode`, which events carry. Words are a
`note`: sealed in intake, read only at `GET /v1/referrals/{id}/notes`, never on Kafka.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from datetime import datetime
from typing import Annotated
from uuid import UUID

from lindung_contracts import Outcome, ProviderId, ReasonCode
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from lindung_intake.domain import NOTE_MAX_CHARACTERS, NOTE_PATTERN

__all__ = [
    "Answer",
    "ClockReason",
    "NoteView",
    "NoteWords",
    "NotesView",
    "Reassignment",
]

_NOTE = (
    "Words a person adds, if any: they may name the child, so intake seals them, only the "
    "reason code travels on, and they are read back only at `GET /v1/referrals/{id}/notes` "
    "(audited). At most 1,000 characters as sent, not blank, no control characters (line "
    "breaks included); white space at either end is trimmed."
)
# Checked by intake itself (`domain.check_note`), so that a refusal says which rule and
# never repeats the words; the schema states the same rule.
NoteWords = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": NOTE_MAX_CHARACTERS,
            "pattern": NOTE_PATTERN,
        }
    ),
]


class Answer(BaseModel):
    """The optional body of a provider's answer: why, as a code; what was done; any words."""

    model_config = ConfigDict(extra="forbid")

    reason: ReasonCode | None = Field(
        default=None,
        description="Why, as a code (required to decline or fail); the code is passed on.",
    )
    outcome: Outcome | None = Field(
        default=None,
        description="Only to complete: what was done for the child, so the loop closes "
        "(`delivered`, `partly_delivered`, `not_delivered`); passed on, and counted in the "
        "operations dashboard's services delivered. Any other answer with it is refused.",
        examples=["delivered"],
    )
    outcome_reason: ReasonCode | None = Field(
        default=None,
        description="Why the service was not delivered in full, as a code: required with "
        "`partly_delivered` and `not_delivered`, refused otherwise; passed on.",
        examples=["child_missing"],
    )
    note: NoteWords | None = Field(
        default=None,
        description="Only with a decline, a failure, or a completion short of delivered. " + _NOTE,
    )


class ClockReason(BaseModel):
    """Why a coordinator pauses or resumes a referral's clock: a code, and any words."""

    model_config = ConfigDict(extra="forbid")

    reason: ReasonCode = Field(
        description="Why, as a code: recorded and passed on to the router.",
        examples=["child_in_hospital"],
    )
    note: NoteWords | None = Field(default=None, description=_NOTE)


class Reassignment(BaseModel):
    """Where a coordinator sends a referral (a provider, or the next suitable one), and why."""

    model_config = ConfigDict(extra="forbid")

    provider_id: ProviderId | None = Field(
        default=None,
        description="The provider to ask (one the coordinator has just phoned, say); null or "
        "left out for the next suitable one. The router owns the provider directory: a "
        "provider it cannot ask (not in the directory, or not offering the referral's "
        "service) is replaced by the next suitable one, and the new referral's `matched_by` "
        "says so.",
        examples=["shelter-sel-2"],
    )
    reason: ReasonCode = Field(
        description="Why, as a code: recorded and passed on to the router, and shown to the "
        "provider the referral is taken from in its own language.",
        examples=["coordinator_arranged"],
    )
    note: NoteWords | None = Field(default=None, description=_NOTE)


class NoteView(BaseModel):
    """One note: what it goes with, its reason code, who wrote it and when, its words."""

    note_id: UUID
    about: str = Field(
        description="What it was written with: decline, fail, complete (short of "
        "delivered), pause, resume or reassign (accept, start, or complete with no outcome, "
        "only on words kept from before reasons were codes)."
    )
    reason: ReasonCode
    writer_kind: str = Field(description="provider or coordinator.")
    writer_id: str
    written_at: datetime
    words: str


class NotesView(BaseModel):
    """The notes of a referral the caller may read, oldest first."""

    referral_id: UUID
    notes: list[NoteView] = Field(
        description="A provider reads the notes it wrote; a case coordinator reads all."
    )
