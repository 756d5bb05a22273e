"""Why a provider declined or could not deliver, and why a clock stopped or runs again.

A reason is a code from one documented list, never words: words a person types can name
the child ("no bed for Aye Aye Mon, 15"), and an event travels to every consumer of its
topic. Whatever a person wants to add is a note, sealed by intake like the child's other
personal details and read through its API with an audit record; no event carries it.
Each code has its plain words in English and Malay here, for notices and pages.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "MATCHED_TIER_WORDS",
    "PASSED_OVER_WORDS",
    "REASON_WORDS",
    "MatchedTier",
    "PassedOverCode",
    "ReasonCode",
]


class ReasonCode(StrEnum):
    """Why, as a code: for a decline, a failure, a pause, a resume, a re-route or a withdrawal.

    `no_answer` and `undelivered` are the router's own, on the re-routes and withdrawals
    it makes after a silence or a delivery that failed for good; `case_closed` too, on the
    referrals it cancels when a coordinator closes their case.
    """

    AT_CAPACITY = "at_capacity"
    NOT_ELIGIBLE = "not_eligible"
    OUTSIDE_AREA = "outside_area"
    LANGUAGE = "language"
    CANNOT_REACH_CHILD = "cannot_reach_child"
    CHILD_IN_HOSPITAL = "child_in_hospital"
    CHILD_MISSING = "child_missing"
    CHILD_DECLINED = "child_declined"
    SAFETY_CONCERN = "safety_concern"
    CHILD_AVAILABLE = "child_available"
    # A case coordinator arranged the service with another provider (by phone, say).
    COORDINATOR_ARRANGED = "coordinator_arranged"
    # Set by the router when it takes a referral back: nobody answered, or it never arrived.
    NO_ANSWER = "no_answer"
    UNDELIVERED = "undelivered"
    # Set by the router on the referrals it cancels when a coordinator closes their case.
    CASE_CLOSED = "case_closed"
    OTHER = "other"


# The words each code stands for, in each language notices and pages are written in.
REASON_WORDS: dict[ReasonCode, dict[str, str]] = {
    ReasonCode.AT_CAPACITY: {
        "en": "at capacity: no place, bed or staff free",
        "ms": "penuh: tiada tempat, katil atau kakitangan",
    },
    ReasonCode.NOT_ELIGIBLE: {
        "en": "the child is not eligible for this service",
        "ms": "kanak-kanak tidak layak untuk perkhidmatan ini",
    },
    ReasonCode.OUTSIDE_AREA: {
        "en": "outside the area this provider serves",
        "ms": "di luar kawasan yang dilayani pembekal ini",
    },
    ReasonCode.LANGUAGE: {
        "en": "nobody available speaks the child's language",
        "ms": "tiada sesiapa yang bertutur dalam bahasa kanak-kanak",
    },
    ReasonCode.CANNOT_REACH_CHILD: {
        "en": "the child cannot be reached",
        "ms": "kanak-kanak tidak dapat dihubungi",
    },
    ReasonCode.CHILD_IN_HOSPITAL: {
        "en": "the child is in hospital",
        "ms": "kanak-kanak berada di hospital",
    },
    ReasonCode.CHILD_MISSING: {
        "en": "the child is missing",
        "ms": "kanak-kanak hilang",
    },
    ReasonCode.CHILD_DECLINED: {
        "en": "the child (or guardian) does not want the service",
        "ms": "kanak-kanak (atau penjaga) tidak mahu perkhidmatan ini",
    },
    ReasonCode.SAFETY_CONCERN: {
        "en": "a safety concern for the child or staff",
        "ms": "kebimbangan keselamatan bagi kanak-kanak atau kakitangan",
    },
    ReasonCode.CHILD_AVAILABLE: {
        "en": "the child can be seen again",
        "ms": "kanak-kanak boleh ditemui semula",
    },
    ReasonCode.COORDINATOR_ARRANGED: {
        "en": "the case coordinator arranged the service with another provider",
        "ms": "penyelaras kes telah mengatur perkhidmatan dengan penyedia lain",
    },
    ReasonCode.NO_ANSWER: {
        "en": "no answer before the deadline",
        "ms": "tiada jawapan sebelum tarikh akhir",
    },
    ReasonCode.UNDELIVERED: {
        "en": "the referral could not be delivered to the provider",
        "ms": "rujukan tidak dapat dihantar kepada penyedia",
    },
    ReasonCode.CASE_CLOSED: {
        "en": "the case coordinator closed the case",
        "ms": "penyelaras kes telah menutup kes ini",
    },
    ReasonCode.OTHER: {
        "en": "another reason (see the note in Lindung, if any)",
        "ms": "sebab lain (lihat nota dalam Lindung, jika ada)",
    },
}


class PassedOverCode(StrEnum):
    """Why the router did not ask a provider ranked above the one it chose, as a code.

    The router ranks the providers of a service by nearness to the child and priority,
    the child's languages first; a provider it would have asked sooner but for one of
    these is recorded on the referral with the first that applies, in this order.
    """

    # Declined this service for this case already.
    DECLINED_BEFORE = "declined_before"
    # Asked for this service of this case already, and gave it up otherwise: no answer,
    # not delivered, reported failure, or moved away by a coordinator.
    TRIED_BEFORE = "tried_before"
    # Marked in the directory as taking no new referrals.
    NOT_ACCEPTING = "not_accepting"
    # Serves neither the child's state, nor a neighbouring one, nor the whole country.
    OUT_OF_AREA = "out_of_area"
    # Nearer or first by priority, but speaks none of the child's languages, and the
    # chosen provider speaks one.
    WRONG_LANGUAGE = "wrong_language"


# The words each code stands for, in each language pages are written in.
PASSED_OVER_WORDS: dict[PassedOverCode, dict[str, str]] = {
    PassedOverCode.DECLINED_BEFORE: {
        "en": "declined this service for this case before",
        "ms": "telah menolak perkhidmatan ini bagi kes ini sebelum ini",
    },
    PassedOverCode.TRIED_BEFORE: {
        "en": "asked before for this case, without an acceptance",
        "ms": "telah diminta sebelum ini bagi kes ini, tanpa penerimaan",
    },
    PassedOverCode.NOT_ACCEPTING: {
        "en": "not taking new referrals",
        "ms": "tidak menerima rujukan baharu",
    },
    PassedOverCode.OUT_OF_AREA: {
        "en": "does not serve the child's area",
        "ms": "tidak melayani kawasan kanak-kanak",
    },
    PassedOverCode.WRONG_LANGUAGE: {
        "en": "speaks none of the child's languages",
        "ms": "tidak bertutur dalam mana-mana bahasa kanak-kanak",
    },
}


class MatchedTier(StrEnum):
    """How near the chosen provider is to the child, or who chose it, as a code.

    The router asks the providers of the child's district first, then the rest of the
    child's state, then a neighbouring state, then those serving the whole country; a
    case coordinator may also name the provider.
    """

    DISTRICT = "district"
    STATE = "state"
    NEIGHBOURING = "neighbouring"
    NATIONAL = "national"
    COORDINATOR = "coordinator"


# Why this provider, in each language pages are written in.
MATCHED_TIER_WORDS: dict[MatchedTier, dict[str, str]] = {
    MatchedTier.DISTRICT: {
        "en": "based in the child's district",
        "ms": "berpangkalan di daerah kanak-kanak",
    },
    MatchedTier.STATE: {
        "en": "serves the child's state",
        "ms": "melayani negeri kanak-kanak",
    },
    MatchedTier.NEIGHBOURING: {
        "en": "none left in the child's state; serves a neighbouring state",
        "ms": "tiada lagi di negeri kanak-kanak; melayani negeri jiran",
    },
    MatchedTier.NATIONAL: {
        "en": "none left in or next to the child's state; serves the whole country",
        "ms": "tiada lagi di negeri kanak-kanak atau negeri jirannya; melayani seluruh negara",
    },
    MatchedTier.COORDINATOR: {
        "en": "chosen by a case coordinator",
        "ms": "dipilih oleh penyelaras kes",
    },
}
