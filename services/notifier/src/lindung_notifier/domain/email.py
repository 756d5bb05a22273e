"""The email notice: one plain-text template per kind of notice, in Malay and in English.

An email says what happened in words a coordinator or a provider acts on: for an
escalation, what is late, since when, what was tried (who was asked, who declined, who
was withdrawn, which deliveries failed) and where to act. It carries ids, services,
providers and times, never the child's details: those are read, with consent and an
audit, from intake's API behind the link.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from jinja2 import Environment, PackageLoader, StrictUndefined
from lindung_contracts import (
    LOCATION_WORDS,
    MALAYSIA_TIME,
    MILESTONE_WORDS,
    REASON_WORDS,
    SERVICE_WORDS,
    STATE_WORDS,
    DeadlineMissed,
    DeadlineWarning,
    DetentionEscalated,
    LegalClockMissed,
    NoProviderAvailable,
    PackageDeadlineMissed,
    ReferralCancelled,
    ReferralRequested,
    ReferralRerouted,
    ServiceType,
)

from .sms import Language

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from lindung_contracts import Payload

__all__ = ["EmailNotice", "Tried", "render_email"]


# The template of each kind of notice: `templates/<language>/<kind>.txt`.
KIND_OF: Final[dict[type[Payload], str]] = {
    ReferralRequested: "referral_requested",
    ReferralRerouted: "referral_rerouted",
    ReferralCancelled: "referral_cancelled",
    NoProviderAvailable: "no_provider",
    DetentionEscalated: "detention",
    DeadlineWarning: "warning",
    DeadlineMissed: "escalation",
    PackageDeadlineMissed: "package_missed",
    LegalClockMissed: "legal_clock",
}

_WHAT: Final[dict[str, tuple[str, str]]] = {
    "asked": ("diminta", "asked"),
    "declined": ("menolak", "declined"),
    "withdrawn": ("ditarik balik (tiada jawapan atau tidak dapat dihubungi)",
                  "withdrawn (no answer, or could not be reached)"),
    "reassigned": ("dihantar kepada penyedia lain oleh penyelaras kes",
                   "sent to another provider by the case coordinator"),
    "accepted": ("menerima", "accepted"),
    "not delivered": ("rujukan tidak dapat dihantar", "the referral could not be delivered"),
}  # fmt: skip


@dataclass(frozen=True)
class Tried:
    """One thing that happened on the way: a provider asked, declined, withdrawn, unreached."""

    at: datetime
    provider_id: str
    what: str


@dataclass(frozen=True)
class EmailNotice:
    """A rendered email: its subject and its plain-text body."""

    subject: str
    text: str


_ENVIRONMENT = Environment(
    loader=PackageLoader("lindung_notifier", "templates"),
    undefined=StrictUndefined,  # a missing value fails the render, never prints blank
    autoescape=False,  # noqa: S701 - plain text, never HTML
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def render_email(
    payload: Payload,
    *,
    language: Language,
    reference: str,
    link: str | None,
    tried: Sequence[Tried] = (),
    now: datetime | None = None,
) -> EmailNotice:
    """The notice for `payload` in `language`: the template's first line is the subject.

    `link` is the desk page where its recipient acts; without one the notice gives only
    its reference.
    """
    pick = 0 if language is Language.MALAY else 1
    template = _ENVIRONMENT.get_template(f"{language.value}/{KIND_OF[type(payload)]}.txt")
    context: dict[str, Any] = {
        "event": payload,
        "reference": reference,
        "link": link,
        "tried": list(tried),
        "late_for": _duration(payload, now, pick),
        "service": lambda s: _service(s, language),
        "services": lambda many: ", ".join(_service(s, language) for s in many),
        "what": lambda w: _WHAT[w][pick],
        "place": lambda location: LOCATION_WORDS[location][language.value],
        "milestone": lambda kind: MILESTONE_WORDS[kind][language.value],
        "state": lambda state: STATE_WORDS[state][language.value],
        "why": lambda event: _why(event, language),
        "when": lambda at: at.astimezone(MALAYSIA_TIME).strftime("%Y-%m-%d %H:%M MYT"),
    }
    first, _, rest = template.render(context).partition("\n")
    return EmailNotice(subject=first.removeprefix("Subject: ").strip(), text=rest.lstrip("\n"))


def _service(service: str, language: Language) -> str:
    """The service in words, lower case inside a sentence (`UNHCR` stays as it is)."""
    words = SERVICE_WORDS[ServiceType(service)][language.value]
    return words if words.isupper() else words[0].lower() + words[1:]


def _why(payload: ReferralRerouted | ReferralCancelled, language: Language) -> str:
    """Why a referral moved or ended, in the recipient's language.

    From its reason code; an event from a router that predates the code has only the
    router's own text, which is shown as it is.
    """
    if payload.reason_code is None:
        return payload.reason
    return REASON_WORDS[payload.reason_code][language.value]


def _duration(payload: Payload, now: datetime | None, pick: int) -> str:
    """How long a missed deadline has passed, in whole minutes or hours."""
    due = getattr(payload, "due_at", None)
    if due is None or now is None:
        return ""
    minutes = max(int((now - due).total_seconds() // 60), 0)
    if minutes < 120:  # noqa: PLR2004
        return f"{minutes} {('minit', 'minutes')[pick]}"
    return f"{minutes // 60} {('jam', 'hours')[pick]}"
