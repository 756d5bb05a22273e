"""The desk's words in Malay and English; reason codes take theirs from the contracts."""

from __future__ import annotations

from typing import Final

from lindung_common.signin import Phrases
from lindung_contracts import (
    CASE_OUTCOME_WORDS,
    MATCHED_TIER_WORDS,
    OUTCOME_WORDS,
    PASSED_OVER_WORDS,
    REASON_WORDS,
    SERVICE_WORDS,
    CaseOutcome,
    MatchedTier,
    Outcome,
    PassedOverCode,
    ReasonCode,
)

from .coordinator_words import COORDINATOR_WORDS, NOTICE_WORDS

__all__ = ["DECLINE_REASONS", "FIELD_WORDS", "OUTCOME_REASONS", "WORDS", "Words"]

# Reasons a provider may give for a decline (the others are for pauses and resumes).
DECLINE_REASONS: Final = (
    ReasonCode.AT_CAPACITY,
    ReasonCode.NOT_ELIGIBLE,
    ReasonCode.OUTSIDE_AREA,
    ReasonCode.LANGUAGE,
    ReasonCode.SAFETY_CONCERN,
    ReasonCode.CHILD_DECLINED,
    ReasonCode.OTHER,
)

# Reasons a service was delivered only in part, or not at all.
OUTCOME_REASONS: Final = (
    ReasonCode.CANNOT_REACH_CHILD,
    ReasonCode.CHILD_DECLINED,
    ReasonCode.CHILD_MISSING,
    ReasonCode.CHILD_IN_HOSPITAL,
    ReasonCode.SAFETY_CONCERN,
    ReasonCode.NOT_ELIGIBLE,
    ReasonCode.LANGUAGE,
    ReasonCode.AT_CAPACITY,
    ReasonCode.OTHER,
)

_W: Final[dict[str, tuple[str, str]]] = {  # key: (English, Malay)
    "app": ("Lindung desk", "Meja Lindung"),
    "skip": ("Skip to the content", "Langkau ke kandungan"),
    "language": ("Language", "Bahasa"),
    "change_language": ("Change", "Tukar"),
    "signed_in_as": ("Signed in as", "Log masuk sebagai"),
    "for_provider": ("for", "untuk"),
    "sign_in": ("Sign in", "Log masuk"),
    "sign_out": ("Sign out", "Log keluar"),
    "sign_in_title": ("Sign in to act on referrals", "Log masuk untuk bertindak atas rujukan"),
    "sign_in_lead": (
        "Sign in with your organisation's account to see and answer the referrals sent to you.",
        "Log masuk dengan akaun organisasi anda untuk melihat dan menjawab rujukan kepada anda.",
    ),
    "signed_out": ("You are signed out.", "Anda telah log keluar."),
    "inbox": ("Referrals", "Rujukan"),
    "inbox_empty": ("No referrals here.", "Tiada rujukan di sini."),
    "service": ("Service", "Perkhidmatan"),
    "status": ("Status", "Status"),
    "requested": ("Requested", "Diminta"),
    "time_left": ("Time left to accept", "Masa untuk menerima"),
    "late_by": ("late by", "lewat"),
    "left": ("left", "lagi"),
    "paused": ("clock paused", "jam dihentikan"),
    "open": ("Open", "Buka"),
    "referral": ("Referral", "Rujukan"),
    "reference": ("Ref.", "No. rujukan"),
    "back": ("Back to referrals", "Kembali ke rujukan"),
    "what_you_may_see": (
        "What you may see (consent and your service decide)",
        "Apa yang boleh anda lihat (mengikut persetujuan dan perkhidmatan anda)",
    ),
    "nothing_shared": ("Nothing is shared with you.", "Tiada apa dikongsi dengan anda."),
    "actions": ("What to do", "Tindakan"),
    "accept": ("Accept", "Terima"),
    "decline": ("Decline", "Tolak"),
    "start": ("Start the service", "Mulakan perkhidmatan"),
    "complete": ("Service completed", "Perkhidmatan selesai"),
    "outcome": ("What was done for the child", "Apa yang telah dilakukan untuk kanak-kanak"),
    "outcome_reason": (
        "Why not in full (needed unless delivered in full)",
        "Mengapa tidak sepenuhnya (perlu kecuali diberikan sepenuhnya)",
    ),
    "no_reason": ("(delivered in full: no reason)", "(diberikan sepenuhnya: tiada sebab)"),
    "reason": ("Reason", "Sebab"),
    "note": ("Note (optional; kept sealed)", "Nota (pilihan; disimpan tertutup)"),
    "note_hint": (
        "Only your organisation and the case coordinators can read it.",
        "Hanya organisasi anda dan penyelaras kes boleh membacanya.",
    ),
    "withdrawn": (
        (
            "This referral was taken back from you: another provider has it now, or nobody. "
            "There is nothing to do."
        ),
        (
            "Rujukan ini telah ditarik balik daripada anda: pembekal lain mengendalikannya "
            "sekarang, atau tiada. Tiada tindakan diperlukan."
        ),
    ),
    "nothing_to_do": ("Nothing more to do here.", "Tiada tindakan lanjut di sini."),
    "done_accepted": ("You accepted the referral.", "Anda telah menerima rujukan ini."),
    "done_declined": ("You declined the referral.", "Anda telah menolak rujukan ini."),
    "done_started": ("The service has started.", "Perkhidmatan telah bermula."),
    "done_completed": ("The service is completed.", "Perkhidmatan telah selesai."),
    "not_found_title": ("Not found", "Tidak dijumpai"),
    "not_found": (
        "There is no referral here for you. Check the link, or sign in with another account.",
        "Tiada rujukan di sini untuk anda. Semak pautan, atau log masuk dengan akaun lain.",
    ),
    "refused_title": ("That could not be done", "Tindakan itu tidak dapat dilakukan"),
    "refused_conflict": (
        (
            "The referral has moved on since this page was shown (it was answered, or taken "
            "back). Nothing was changed."
        ),
        (
            "Rujukan ini telah berubah sejak halaman ini dipaparkan (telah dijawab atau ditarik "
            "balik). Tiada apa yang diubah."
        ),
    ),
    "refused_invalid": (
        "Something in the form was not right. Nothing was changed.",
        "Ada yang tidak betul dalam borang. Tiada apa yang diubah.",
    ),
    "forbidden_title": ("Refused", "Ditolak"),
    "forbidden": (
        (
            "This form has expired or did not come from this page. Nothing was done. "
            "Go back, reload the page and try again."
        ),
        (
            "Borang ini telah tamat tempoh atau bukan daripada halaman ini. Tiada apa yang "
            "dilakukan. Kembali, muat semula halaman dan cuba lagi."
        ),
    ),
    "sign_in_expired": (
        "The sign-in took too long or was started elsewhere. Please sign in again.",
        (
            "Log masuk mengambil masa terlalu lama atau dimulakan di tempat lain. "
            "Sila log masuk semula."
        ),
    ),
    "sign_in_failed": (
        "The sign-in could not be completed. Please try again.",
        "Log masuk tidak dapat diselesaikan. Sila cuba lagi.",
    ),
    "sign_in_no_role": (
        "Your account has no role in Lindung yet. Ask your administrator.",
        "Akaun anda belum mempunyai peranan dalam Lindung. Hubungi pentadbir anda.",
    ),
    "coming_title": ("Your desk is coming", "Meja anda akan datang"),
    "coming": (
        (
            "The pages for your role are being built. Until then, the alerts you receive by "
            "email and the API remain where you act."
        ),
        (
            "Halaman untuk peranan anda sedang dibina. Sehingga itu, amaran yang anda terima "
            "melalui e-mel dan API kekal sebagai tempat anda bertindak."
        ),
    ),
    "error_title": ("Something went wrong", "Sesuatu tidak kena"),
    "error": (
        "Lindung could not do this just now. Nothing was lost; please try again shortly.",
        (
            "Lindung tidak dapat melakukannya sekarang. Tiada apa yang hilang; "
            "sila cuba sebentar lagi."
        ),
    ),
    "yes": ("yes", "ya"),
    "no": ("no", "tidak"),
    # Standings
    "standing_late": ("Late", "Lewat"),
    "standing_due_soon": ("Due soon", "Hampir tamat"),
    "standing_new": ("New", "Baharu"),
    "standing_accepted": ("Accepted", "Diterima"),
    "standing_in_progress": ("In progress", "Sedang dijalankan"),
    "standing_closed": ("Closed", "Ditutup"),
    # Statuses
    "status_requested": ("waiting for your answer", "menunggu jawapan anda"),
    "status_accepted": ("accepted", "diterima"),
    "status_in_progress": ("in progress", "sedang dijalankan"),
    "status_completed": ("completed", "selesai"),
    "status_declined": ("declined", "ditolak"),
    "status_failed": ("could not be delivered", "tidak dapat disampaikan"),
    "status_withdrawn": ("taken back", "ditarik balik"),
    # Services
    **{f"service_{s.value}": (w["en"], w["ms"]) for s, w in SERVICE_WORDS.items()},
}

_W.update(COORDINATOR_WORDS)

# Labels of the identification's fields a provider may see.
FIELD_WORDS: Final[dict[str, tuple[str, str]]] = {
    "child.age_years": ("Age (years)", "Umur (tahun)"),
    "child.age_disputed": ("Age disputed", "Umur dipertikaikan"),
    "child.gender": ("Gender", "Jantina"),
    "child.languages": ("Languages", "Bahasa"),
    "child.officer_age_estimate_years": ("Officer's age estimate", "Anggaran umur oleh pegawai"),
    "child.accompaniment": ("Accompanied by", "Ditemani oleh"),
    "child.nationality_status": ("Nationality status", "Status kewarganegaraan"),
    "situation.how_identified": ("How identified", "Cara dikenal pasti"),
    "situation.indicators": ("Indicators", "Petunjuk"),
    "situation.immediate_risks": ("Immediate risks", "Risiko segera"),
    "situation.sexual_violence_at": ("Sexual violence at", "Keganasan seksual pada"),
    "situation.location": ("Where the child is", "Lokasi kanak-kanak"),
    "situation.state": ("State", "Negeri"),
    "situation.district": ("District", "Daerah"),
    "situation.safe_place_tonight": ("Safe place tonight", "Tempat selamat malam ini"),
    "situation.court_date_pending": ("Court date pending", "Tarikh mahkamah belum selesai"),
    "situation.interview_scheduled": ("Interview scheduled", "Temu duga dijadualkan"),
    "identified_at": ("Identified at", "Dikenal pasti pada"),
    "personal.name": ("Name", "Nama"),
    "personal.date_of_birth": ("Date of birth", "Tarikh lahir"),
    "personal.documents": ("Documents", "Dokumen"),
    "personal.whereabouts": ("Whereabouts", "Keberadaan"),
    "personal.officer": ("Identifying officer", "Pegawai yang mengenal pasti"),
    "personal.narrative": ("What happened", "Apa yang berlaku"),
}


class Words(Phrases):
    """The desk's words in one language; a missing key shows as itself (a test checks none is)."""

    def __init__(self, language: str) -> None:
        super().__init__(_W, language)

    def reason(self, code: str) -> str:
        """A reason code's words, from the contracts."""
        return REASON_WORDS[ReasonCode(code)][self.language]

    def passed_over(self, code: str) -> str:
        """Why a better-ranked provider was not asked, from the contracts."""
        return PASSED_OVER_WORDS[PassedOverCode(code)][self.language]

    def matched_tier(self, code: str) -> str:
        """Why a referral's provider was chosen, from the contracts."""
        return MATCHED_TIER_WORDS[MatchedTier(code)][self.language]

    def outcome(self, code: str) -> str:
        """An outcome code's words, from the contracts."""
        return OUTCOME_WORDS[Outcome(code)][self.language]

    def case_outcome(self, code: str) -> str:
        """A case outcome code's words, from the contracts."""
        return CASE_OUTCOME_WORDS[CaseOutcome(code)][self.language]

    def notice(self, event_type: str) -> str:
        """What kind of notice an event type is; an unknown type shows as itself."""
        return self.of(NOTICE_WORDS, event_type)

    def field(self, path: str) -> str:
        """A shared field's label; unknown fields show their path."""
        return self.of(FIELD_WORDS, path)


WORDS: Final = {language: Words(language) for language in ("en", "ms")}
