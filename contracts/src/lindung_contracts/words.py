"""Services, states and places in plain words, English and Malay, for notices and pages.

Events carry the codes (`legal_aid`, `penang`); a page a person reads names them, in the
language that person chose. One list here, beside `REASON_WORDS`, so that the desk and
the dashboard say the same thing.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from .identification import Location, MalaysianState
from .referral import ServiceType

__all__ = ["LOCATION_WORDS", "MALAYSIA_TIME", "SERVICE_WORDS", "STATE_ISO_CODES", "STATE_WORDS"]

SERVICE_WORDS: dict[ServiceType, dict[str, str]] = {
    ServiceType.CHILD_PROTECTOR: {"en": "Child protector", "ms": "Pelindung kanak-kanak"},
    ServiceType.SAFE_SHELTER: {"en": "Safe shelter", "ms": "Tempat perlindungan selamat"},
    ServiceType.HEALTH: {"en": "Health care", "ms": "Penjagaan kesihatan"},
    ServiceType.LEGAL_AID: {"en": "Legal aid", "ms": "Bantuan guaman"},
    ServiceType.UNHCR: {"en": "UNHCR", "ms": "UNHCR"},
    ServiceType.INTERPRETATION: {"en": "Interpretation", "ms": "Jurubahasa"},
    ServiceType.PSYCHOSOCIAL: {"en": "Psychosocial support", "ms": "Sokongan psikososial"},
}

# Malay names the federal territories in full; place names are otherwise the same.
STATE_WORDS: dict[MalaysianState, dict[str, str]] = {
    MalaysianState.JOHOR: {"en": "Johor", "ms": "Johor"},
    MalaysianState.KEDAH: {"en": "Kedah", "ms": "Kedah"},
    MalaysianState.KELANTAN: {"en": "Kelantan", "ms": "Kelantan"},
    MalaysianState.MELAKA: {"en": "Melaka", "ms": "Melaka"},
    MalaysianState.NEGERI_SEMBILAN: {"en": "Negeri Sembilan", "ms": "Negeri Sembilan"},
    MalaysianState.PAHANG: {"en": "Pahang", "ms": "Pahang"},
    MalaysianState.PENANG: {"en": "Penang", "ms": "Pulau Pinang"},
    MalaysianState.PERAK: {"en": "Perak", "ms": "Perak"},
    MalaysianState.PERLIS: {"en": "Perlis", "ms": "Perlis"},
    MalaysianState.SABAH: {"en": "Sabah", "ms": "Sabah"},
    MalaysianState.SARAWAK: {"en": "Sarawak", "ms": "Sarawak"},
    MalaysianState.SELANGOR: {"en": "Selangor", "ms": "Selangor"},
    MalaysianState.TERENGGANU: {"en": "Terengganu", "ms": "Terengganu"},
    MalaysianState.KUALA_LUMPUR: {
        "en": "Kuala Lumpur",
        "ms": "Wilayah Persekutuan Kuala Lumpur",
    },
    MalaysianState.LABUAN: {"en": "Labuan", "ms": "Wilayah Persekutuan Labuan"},
    MalaysianState.PUTRAJAYA: {"en": "Putrajaya", "ms": "Wilayah Persekutuan Putrajaya"},
}

# Where the child is now, as a phrase that follows "in" / "di" where it is a place.
LOCATION_WORDS: dict[Location, dict[str, str]] = {
    Location.IMMIGRATION_DETENTION: {"en": "immigration detention", "ms": "tahanan imigresen"},
    Location.POLICE_LOCKUP: {"en": "police lock-up", "ms": "lokap polis"},
    Location.HOSPITAL: {"en": "hospital", "ms": "hospital"},
    Location.SHELTER: {"en": "shelter", "ms": "tempat perlindungan"},
    Location.FAMILY: {"en": "with family", "ms": "bersama keluarga"},
    Location.WORKPLACE: {"en": "workplace", "ms": "tempat kerja"},
    Location.COMMUNITY: {"en": "in the community", "ms": "dalam komuniti"},
    Location.UNKNOWN: {"en": "not known", "ms": "tidak diketahui"},
}

# Each state and federal territory's ISO 3166-2:MY code, as directories (HSDS service
# areas) and calendars (the `holidays` package's subdivisions) name it.
STATE_ISO_CODES: dict[MalaysianState, str] = {
    MalaysianState.JOHOR: "MY-01",
    MalaysianState.KEDAH: "MY-02",
    MalaysianState.KELANTAN: "MY-03",
    MalaysianState.MELAKA: "MY-04",
    MalaysianState.NEGERI_SEMBILAN: "MY-05",
    MalaysianState.PAHANG: "MY-06",
    MalaysianState.PENANG: "MY-07",
    MalaysianState.PERAK: "MY-08",
    MalaysianState.PERLIS: "MY-09",
    MalaysianState.SELANGOR: "MY-10",
    MalaysianState.TERENGGANU: "MY-11",
    MalaysianState.SABAH: "MY-12",
    MalaysianState.SARAWAK: "MY-13",
    MalaysianState.KUALA_LUMPUR: "MY-14",
    MalaysianState.LABUAN: "MY-15",
    MalaysianState.PUTRAJAYA: "MY-16",
}

# Malaysia's time, in which notices, pages and rotas give every instant (events carry UTC).
MALAYSIA_TIME = ZoneInfo("Asia/Kuala_Lumpur")
