"""What a referral shares, in words a person reads: codes named, times in Malaysia's time.

A page in Malay must not show `female`, `police_lockup` or `my`: every code the
identification may carry has words in both languages here (a test checks each one), and
languages are named from CLDR through Babel rather than a hand-typed list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from babel import Locale
from babel.dates import format_datetime
from lindung_contracts import (
    LOCATION_WORDS,
    MALAYSIA_TIME,
    STATE_WORDS,
    Accompaniment,
    ExploitationIndicator,
    Gender,
    HowIdentified,
    ImmediateRisk,
    Location,
    MalaysianState,
    NationalityStatus,
)

if TYPE_CHECKING:
    from datetime import datetime
    from enum import StrEnum

__all__ = [
    "CODED_FIELDS",
    "LANGUAGE_FIELDS",
    "VALUE_WORDS",
    "code_words",
    "language_name",
    "short_reference",
    "when",
]

# All of Malaysia keeps one time (MYT, UTC+8, no daylight saving): the desk shows it.

VALUE_WORDS: Final[dict[type[StrEnum], dict[str, tuple[str, str]]]] = {  # (English, Malay)
    Gender: {
        "female": ("female", "perempuan"),
        "male": ("male", "lelaki"),
        "other": ("other", "lain-lain"),
        "unknown": ("not known", "tidak diketahui"),
    },
    NationalityStatus: {
        "citizen": ("Malaysian citizen", "warganegara Malaysia"),
        "documented_migrant": ("documented migrant", "migran berdokumen"),
        "undocumented": ("undocumented", "tanpa dokumen"),
        "refugee": ("refugee", "pelarian"),
        "asylum_seeker": ("asylum seeker", "pencari suaka"),
        "stateless": ("stateless", "tanpa kerakyatan"),
        "unknown": ("not known", "tidak diketahui"),
    },
    ExploitationIndicator: {
        "sexual_exploitation": ("sexual exploitation", "eksploitasi seksual"),
        "sexual_violence": ("sexual violence", "keganasan seksual"),
        "forced_labour": ("forced labour", "buruh paksa"),
        "forced_or_child_marriage": (
            "forced or child marriage",
            "perkahwinan paksa atau bawah umur",
        ),
        "domestic_servitude": ("domestic servitude", "perhambaan domestik"),
        "forced_begging": ("forced begging", "dipaksa mengemis"),
        "forced_criminality": ("forced criminality", "dipaksa melakukan jenayah"),
        "organ_removal": ("organ removal", "pengambilan organ"),
        "other": ("other", "lain-lain"),
    },
    Location: {s.value: (w["en"], w["ms"]) for s, w in LOCATION_WORDS.items()},
    HowIdentified: {
        "raid": ("raid", "serbuan"),
        "hospital": ("at a hospital", "di hospital"),
        "school": ("at school", "di sekolah"),
        "hotline": ("hotline", "talian bantuan"),
        "self_referral": ("came forward", "tampil sendiri"),
        "border": ("at the border", "di sempadan"),
        "other": ("other", "lain-lain"),
    },
    Accompaniment: {
        "accompanied": ("with a parent or guardian", "bersama ibu bapa atau penjaga"),
        "unaccompanied": ("alone, no adult", "bersendirian, tanpa orang dewasa"),
        "separated": (
            "separated: with an adult not a parent or guardian",
            "terpisah: bersama orang dewasa yang bukan ibu bapa atau penjaga",
        ),
    },
    ImmediateRisk: {
        "injuries": ("injuries", "kecederaan"),
        "medical_urgency": ("urgent medical need", "keperluan perubatan segera"),
        "pregnancy": ("pregnancy", "kehamilan"),
        "self_harm": ("self-harm", "mencederakan diri"),
        "pursued_by_exploiters": ("pursued by exploiters", "diburu oleh pengeksploitasi"),
    },
    MalaysianState: {s.value: (w["en"], w["ms"]) for s, w in STATE_WORDS.items()},
}

# Which fields of the identification hold which codes.
CODED_FIELDS: Final[dict[str, type[StrEnum]]] = {
    "child.gender": Gender,
    "child.nationality_status": NationalityStatus,
    "child.accompaniment": Accompaniment,
    "situation.indicators": ExploitationIndicator,
    "situation.immediate_risks": ImmediateRisk,
    "situation.location": Location,
    "situation.state": MalaysianState,
    "situation.how_identified": HowIdentified,
}
LANGUAGE_FIELDS: Final = frozenset({"child.languages"})


def code_words(path: str, value: str, language: str) -> str | None:
    """The words of a coded field's value; None when the field or the code has none."""
    kind = CODED_FIELDS.get(path)
    if kind is None:
        return None
    pair = VALUE_WORDS[kind].get(value)
    return pair[1 if language == "ms" else 0] if pair else None


def language_name(code: str, language: str) -> str:
    """A language's name in the page's language (CLDR), else in English, else its code."""
    for locale in (language, "en"):
        name = Locale.parse(locale).languages.get(code)
        if name:
            return str(name)
    return code


def when(moment: datetime, language: str) -> str:
    """A moment in Malaysia's time, month named in the page's language: `6 Dis 2026, 05:11`."""
    shown = format_datetime(moment, "d MMM y, HH:mm", tzinfo=MALAYSIA_TIME, locale=language)
    return f"{shown} MYT"


def short_reference(referral_id: object) -> str:
    """The first 8 characters of a referral's id, as its email's "Referral:" line begins."""
    return str(referral_id)[:8]
