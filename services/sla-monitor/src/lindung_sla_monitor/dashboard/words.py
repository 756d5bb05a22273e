"""The dashboard's words in Malay and English; services, states and outcomes from the contracts.

Every key has both (a test checks it). Times are shown in the dashboard's time zone with
month names from CLDR (Babel), in the page's language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from babel.dates import format_datetime
from lindung_common.signin import Phrases, span
from lindung_contracts import (
    CASE_OUTCOME_WORDS,
    SERVICE_WORDS,
    STATE_WORDS,
    CaseOutcome,
    MalaysianState,
    ServiceType,
)

if TYPE_CHECKING:
    from datetime import datetime, tzinfo

__all__ = ["WORDS", "Words", "local"]

_W: Final[dict[str, tuple[str, str]]] = {  # key: (English, Malay)
    "app": ("Lindung operations", "Operasi Lindung"),
    "tagline": ("referrals on time", "rujukan tepat pada masanya"),
    "language": ("Language", "Bahasa"),
    "change_language": ("Change", "Tukar"),
    "period": ("Period", "Tempoh"),
    "from": ("from", "dari"),
    "to": ("to", "hingga"),
    "show": ("Show", "Papar"),
    "sign_in": ("Sign in", "Log masuk"),
    "sign_out": ("Sign out", "Log keluar"),
    "signed_out_title": ("Signed out", "Telah log keluar"),
    "signed_out": ("You are signed out.", "Anda telah log keluar."),
    "why_expired": (
        "This sign-in took too long or was already used. Sign in again.",
        "Log masuk ini terlalu lama atau telah digunakan. Log masuk semula.",
    ),
    "why_failed": (
        "The identity provider's answer could not be used. Sign in again.",
        "Jawapan pembekal identiti tidak dapat digunakan. Log masuk semula.",
    ),
    "why_no_role": (
        "Only operations people read this dashboard. Signed in as someone else?",
        "Hanya kakitangan operasi membaca papan pemuka ini. Log masuk sebagai orang lain?",
    ),
    "requested": ("Referrals requested", "Rujukan yang diminta"),
    "updated": ("Updated", "Dikemas kini"),
    "every": ("every", "setiap"),
    "seconds_short": ("s", "saat"),
    "tiles": ("Now and in this period", "Kini dan dalam tempoh ini"),
    "late_now": ("late now", "lewat kini"),
    "awaiting": ("awaiting acceptance", "menunggu penerimaan"),
    "on_time": ("on time", "tepat pada masanya"),
    "of": ("of", "daripada"),
    "median_to_accept": ("median to acceptance", "median hingga diterima"),
    "within_90": ("90% within", "90% dalam"),
    "escalations": ("escalations", "eskalasi"),
    "rerouted": ("re-routed", "dihantar semula"),
    "deliveries_failed": ("deliveries failed", "penghantaran gagal"),
    "cases_closed": ("cases closed", "kes ditutup"),
    "services_delivered": ("services delivered", "perkhidmatan disampaikan"),
    "partly": ("partly", "sebahagian"),
    "not": ("not", "tidak"),
    "completed": ("completed", "selesai"),
    "open_title": (
        "Awaiting acceptance, least time left first",
        "Menunggu penerimaan, masa paling singkat dahulu",
    ),
    "th_time_left": ("Time left", "Baki masa"),
    "th_service": ("Service", "Perkhidmatan"),
    "th_provider": ("Provider", "Pembekal"),
    "th_agency": ("Agency", "Agensi"),
    "th_state": ("State", "Negeri"),
    "th_level": ("Level", "Tahap"),
    "th_due": ("Due", "Tarikh akhir"),
    "th_referral": ("Referral", "Rujukan"),
    "th_on_time": ("On time", "Tepat masa"),
    "th_late": ("Late", "Lewat"),
    "th_rate": ("Rate", "Kadar"),
    "th_median": ("Median", "Median"),
    "th_waiting": ("Waiting", "Menunggu"),
    "th_rerouted": ("Re-routed", "Dihantar semula"),
    "th_delivered": ("Delivered", "Disampaikan"),
    "th_partly": ("Partly", "Sebahagian"),
    "th_not_delivered": ("Not delivered", "Tidak disampaikan"),
    "th_not_said": ("Not said", "Tidak dinyatakan"),
    "th_completed": ("Completed", "Selesai"),
    "th_outcome": ("Outcome", "Hasil"),
    "th_cases": ("Cases", "Kes"),
    "th_channel": ("Channel", "Saluran"),
    "th_what_sent": ("What was sent", "Apa yang dihantar"),
    "th_count": ("Count", "Bilangan"),
    "paused": ("paused", "dijeda"),
    "urgent": ("urgent", "segera"),
    "attempt": ("attempt", "cubaan"),
    "late": ("late", "lewat"),
    "left": ("left", "lagi"),
    "waiting": ("waiting", "menunggu"),
    "shown_of": ("shown; all of them in", "dipaparkan; kesemuanya dalam"),
    "nothing_awaits": ("Nothing awaits acceptance.", "Tiada yang menunggu penerimaan."),
    "chart_on_time": ("On time, by service", "Tepat masa, mengikut perkhidmatan"),
    "chart_speed": ("Time to acceptance, median / 90%", "Masa hingga diterima, median / 90%"),
    "chart_escalations": ("Escalations by level", "Eskalasi mengikut tahap"),
    "chart_trend_hour": (
        "By hour requested: on time, late, waiting",
        "Mengikut jam diminta: tepat masa, lewat, menunggu",
    ),
    "chart_trend_day": (
        "By day requested: on time, late, waiting",
        "Mengikut hari diminta: tepat masa, lewat, menunggu",
    ),
    "by_hour": ("By hour requested", "Mengikut jam diminta"),
    "by_day": ("By day requested", "Mengikut hari diminta"),
    "level": ("level", "tahap"),
    "no_decided": ("No referral decided yet.", "Belum ada rujukan yang diputuskan."),
    "no_accepted": ("No referral accepted yet.", "Belum ada rujukan yang diterima."),
    "no_escalation": ("No escalation.", "Tiada eskalasi."),
    "no_referral": ("No referral in this period.", "Tiada rujukan dalam tempoh ini."),
    "by_provider": ("By provider", "Mengikut pembekal"),
    "by_agency": ("By reporting agency", "Mengikut agensi pelapor"),
    "by_state": ("By state", "Mengikut negeri"),
    "by_service": ("By service", "Mengikut perkhidmatan"),
    "delivered_title": (
        "Services delivered, by service",
        "Perkhidmatan disampaikan, mengikut perkhidmatan",
    ),
    "delivered_lead": ("Referrals completed", "Rujukan yang diselesaikan"),
    "delivered_lead_end": (
        "by what the provider says was done for the child.",
        "mengikut apa yang pembekal katakan telah dilakukan untuk kanak-kanak itu.",
    ),
    "no_completed": (
        "No referral completed in this period.",
        "Tiada rujukan diselesaikan dalam tempoh ini.",
    ),
    "closed_title": ("Cases closed, by outcome", "Kes ditutup, mengikut hasil"),
    "closed_lead": ("Cases a coordinator closed", "Kes yang ditutup oleh penyelaras"),
    "closed_lead_end": (
        "by what became of the child.",
        "mengikut apa yang berlaku kepada kanak-kanak itu.",
    ),
    "no_closed": ("No case closed in this period.", "Tiada kes ditutup dalam tempoh ini."),
    "failed_title": ("Deliveries that failed for good", "Penghantaran yang gagal sepenuhnya"),
    "none": ("None.", "Tiada."),
    "error_title": ("Cannot show this now", "Tidak dapat dipaparkan sekarang"),
    "error_400": ("This period cannot be shown.", "Tempoh ini tidak dapat dipaparkan."),
    "error_403": (
        "This form is not from your session: sign in again.",
        "Borang ini bukan daripada sesi anda: log masuk semula.",
    ),
    "error_404": ("There is nothing here.", "Tiada apa-apa di sini."),
    "error_503": (
        "Not available now. Try again in a few seconds.",
        "Tidak tersedia sekarang. Cuba lagi dalam beberapa saat.",
    ),
    "error_off": (
        "Signing in is off here: SLA_MONITOR_OIDC_ISSUER is unset.",
        "Log masuk dimatikan di sini: SLA_MONITOR_OIDC_ISSUER tidak ditetapkan.",
    ),
    "capacity_title": ("Capacity now", "Kapasiti sekarang"),
    "capacity_lead": (
        (
            "Providers' latest figures of free places, by the states they serve. A figure the "
            "router no longer counts (too old) is stale; providers that never gave one are "
            "not counted."
        ),
        (
            "Angka terkini tempat kosong penyedia, mengikut negeri yang dilayani. Angka yang "
            "tidak lagi dikira oleh penghala (terlalu lama) adalah lapuk; penyedia yang tidak "
            "pernah memberi angka tidak dikira."
        ),
    ),
    "th_with_places": ("With places free", "Ada tempat kosong"),
    "th_full": ("Full", "Penuh"),
    "th_stale": ("Unknown or stale", "Tidak diketahui atau lapuk"),
    "th_places_free": ("Places free", "Tempat kosong"),
    "no_capacity": ("No provider has given a figure yet.", "Belum ada penyedia memberi angka."),
    "whole_country": ("Whole country", "Seluruh negara"),
    "last_seven_days": ("The last seven days", "Tujuh hari lepas"),
    "preset_24h": ("24 h", "24 jam"),
    "preset_7d": ("7 days", "7 hari"),
    "preset_30d": ("30 days", "30 hari"),
    "preset_90d": ("90 days", "90 hari"),
}

_NONE: Final = "\N{EN DASH}"  # a figure that does not exist yet


class Words(Phrases):
    """The dashboard's words in one language; a missing key shows as itself."""

    def __init__(self, language: str) -> None:
        super().__init__(_W, language)

    def service(self, code: str) -> str:
        """A service's name; an unknown code shows as itself."""
        try:
            return SERVICE_WORDS[ServiceType(code)][self.language]
        except ValueError:
            return code

    def state(self, code: str) -> str:
        """A state's name (`*`: the whole country); an unknown code shows as itself."""
        if code == "*":
            return self("whole_country")
        try:
            return STATE_WORDS[MalaysianState(code)][self.language]
        except ValueError:
            return code

    def case_outcome(self, code: str) -> str:
        """A case outcome's words, from the contracts."""
        try:
            return CASE_OUTCOME_WORDS[CaseOutcome(code)][self.language]
        except ValueError:
            return code

    def duration(self, seconds: float | None) -> str:
        """A span as people read it: 45 s, 12 min, 3 h 5 min, 2 d 4 h; 3 jam 5 minit."""
        return _NONE if seconds is None else span(seconds, self.language)

    def left(self, seconds: float) -> str:
        """Time left before a deadline, or how late it is."""
        if seconds < 0:
            return f"{self('late')} {self.duration(seconds)}"
        return f"{self.duration(seconds)} {self('left')}"


def local(moment: datetime, zone: tzinfo, language: str, form: str = "d MMM HH:mm") -> str:
    """A moment in the dashboard's zone, month named in the page's language (`6 Dis 05:11`)."""
    return str(format_datetime(moment, form, tzinfo=zone, locale=language))


WORDS: Final = {language: Words(language) for language in ("en", "ms")}
