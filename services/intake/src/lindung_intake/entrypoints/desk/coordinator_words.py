"""The words of the coordinator's pages, in English and Malay (part of the desk's words)."""

from __future__ import annotations

from typing import Final

from lindung_contracts import MILESTONE_WORDS

__all__ = ["COORDINATOR_WORDS", "NOTICE_WORDS"]

COORDINATOR_WORDS: Final[dict[str, tuple[str, str]]] = {  # key: (English, Malay)
    "queue": ("Alerts", "Amaran"),
    "queue_lead": ("Alerts of the states you cover:", "Amaran bagi negeri di bawah jagaan anda:"),
    "all_states": ("every state", "semua negeri"),
    "queue_empty": ("No alerts here.", "Tiada amaran di sini."),
    "queue_newest": (
        "The newest {shown} are shown; older ones appear as these are handled.",
        "{shown} yang terbaharu dipaparkan; yang lebih lama muncul apabila ini diuruskan.",
    ),
    "alerts": ("Alerts", "Amaran"),
    "alerts_open": ("Waiting for someone to take them", "Menunggu seseorang mengambilnya"),
    "alerts_held": ("Taken by a coordinator", "Telah diambil oleh penyelaras"),
    "alert_deadline_missed": ("Late referral", "Rujukan lewat"),
    "alert_package_missed": ("Services not all accepted", "Tidak semua perkhidmatan diterima"),
    "alert_no_provider": ("No provider left", "Tiada pembekal lagi"),
    "alert_detention": ("Child in detention", "Kanak-kanak dalam tahanan"),
    "alert_delivery_failed": ("Notice not delivered", "Notis tidak dapat dihantar"),
    "alert_legal_clock_missed": ("Legal time limit missed", "Had masa undang-undang terlepas"),
    "not_recorded": ("not recorded", "belum direkodkan"),
    "notice": ("Notice", "Notis"),
    "notice_to": ("to", "kepada"),
    "channel_webhook": ("by webhook", "melalui webhook"),
    "channel_email": ("by email", "melalui e-mel"),
    "channel_sms": ("by SMS", "melalui SMS"),
    "attempts": ("attempts, then given up", "percubaan, kemudian dihentikan"),
    "level": ("level", "tahap"),
    "addressed_to": ("To", "Kepada"),
    "role_provider": ("the provider", "pembekal"),
    "role_case_coordinator": ("the case coordinator", "penyelaras kes"),
    "role_supervisor": ("the supervisor", "penyelia"),
    "role_secretariat": ("the secretariat", "urus setia"),
    "raised": ("Raised", "Dibangkitkan"),
    "tried": ("What was tried", "Apa yang telah dicuba"),
    "was_due": ("was due", "sepatutnya pada"),
    "nobody": ("nobody", "tiada sesiapa"),
    "unmet": ("not yet in place", "belum tersedia"),
    "referrals_made": ("referrals made", "rujukan dibuat"),
    "held_by": ("Taken by", "Diambil oleh"),
    "on_call": ("Sent to, on call", "Dihantar kepada, bertugas"),
    "acknowledge": ("I am on it", "Saya uruskan"),
    "done_acknowledged": (
        (
            "You have taken the alert. The next level waits the acknowledgement window, then "
            "fires anyway if the referral is still not accepted."
        ),
        (
            "Anda telah mengambil amaran ini. Tahap seterusnya menunggu tempoh pengakuan, "
            "kemudian tetap dicetuskan jika rujukan masih belum diterima."
        ),
    ),
    "done_sent": (
        "The referral is being sent on; its provider is told it was taken back.",
        "Rujukan sedang dihantar semula; pembekalnya dimaklumkan ia ditarik balik.",
    ),
    "done_paused": ("The clock is paused.", "Jam telah dihentikan."),
    "done_resumed": ("The clock runs again.", "Jam telah berjalan semula."),
    "done_noted": ("Your note is kept, sealed.", "Nota anda disimpan secara tertutup."),
    "done_closing": (
        "The case is being closed; what still waits is cancelled.",
        "Kes sedang ditutup; apa yang masih menunggu dibatalkan.",
    ),
    "back_queue": ("Back to the alerts", "Kembali ke amaran"),
    "case": ("Case", "Kes"),
    "case_closed": ("This case is closed", "Kes ini telah ditutup"),
    "referrals_of_case": ("Referrals", "Rujukan"),
    "where_it_stands": ("Where it stands", "Kedudukan semasa"),
    "provider": ("Provider", "Pembekal"),
    "deadline": ("Deadline to accept", "Tarikh akhir untuk menerima"),
    "ladder": ("Escalation ladder", "Tangga eskalasi"),
    "matched_by": ("Why this provider", "Mengapa pembekal ini"),
    "passed_over": (
        "Ranked above it, not asked",
        "Berkedudukan lebih tinggi, tidak diminta",
    ),
    "step_warning": ("Warning", "Amaran awal"),
    "step_escalation": ("Level", "Tahap"),
    "stepstate_fired": ("sent", "dihantar"),
    "stepstate_due": ("due (held or on its way)", "tiba masanya (ditahan atau dalam perjalanan)"),
    "stepstate_to_come": ("to come", "akan datang"),
    "stepstate_off": ("not needed", "tidak diperlukan"),
    "cstatus_requested": ("waiting for the provider", "menunggu pembekal"),
    "cstatus_accepted": ("accepted", "diterima"),
    "cstatus_in_progress": ("in progress", "sedang dijalankan"),
    "cstatus_completed": ("completed", "selesai"),
    "cstatus_declined": ("declined", "ditolak"),
    "cstatus_failed": ("could not be delivered", "tidak dapat disampaikan"),
    "cstatus_withdrawn": ("taken back", "ditarik balik"),
    "whole_case": ("The whole case", "Keseluruhan kes"),
    "identification": ("Identification", "Pengenalpastian"),
    "agency_reference": ("Agency's reference", "Rujukan agensi"),
    "reported_by": ("Reported by", "Dilaporkan oleh"),
    "field_state": ("State", "Negeri"),
    "received": ("Received", "Diterima pada"),
    "possible_duplicates": ("Possibly the same child", "Mungkin kanak-kanak yang sama"),
    "timeline": ("What happened", "Apa yang berlaku"),
    "moment_identified": ("Child identified", "Kanak-kanak dikenal pasti"),
    "moment_received": ("Identification received", "Pengenalpastian diterima"),
    "moment_referred": ("Referred", "Dirujuk"),
    "moment_taken_back": ("Taken back from", "Ditarik balik daripada"),
    "moment_answer_accepted": ("Accepted", "Diterima"),
    "moment_answer_declined": ("Declined", "Ditolak"),
    "moment_answer_started": ("Service started", "Perkhidmatan bermula"),
    "moment_answer_completed": ("Service completed", "Perkhidmatan selesai"),
    "moment_answer_failed": ("Could not be delivered", "Tidak dapat disampaikan"),
    "moment_clock_pause": ("Clock paused", "Jam dihentikan"),
    "moment_clock_resume": ("Clock resumed", "Jam disambung"),
    "moment_moved": ("Sent to another provider", "Dihantar kepada pembekal lain"),
    "moment_alert_deadline_missed": ("Escalated, level", "Dieskalasi, tahap"),
    "moment_alert_package_missed": (
        "Services not all accepted",
        "Tidak semua perkhidmatan diterima",
    ),
    "moment_alert_no_provider": ("No provider left", "Tiada pembekal lagi"),
    "moment_alert_detention": ("Child in detention", "Kanak-kanak dalam tahanan"),
    "moment_alert_delivery_failed": ("Notice not delivered", "Notis tidak dapat dihantar"),
    "moment_alert_legal_clock_missed": (
        "Legal time limit missed",
        "Had masa undang-undang terlepas",
    ),
    "moment_acknowledged": ("Alert taken", "Amaran diambil"),
    "moment_closed": ("Case closed", "Kes ditutup"),
    "send": ("Send to another provider", "Hantar kepada pembekal lain"),
    "send_to": ("Send to", "Hantar kepada"),
    "next_suitable": ("The next suitable provider", "Pembekal sesuai seterusnya"),
    "other_provider": ("Or another provider's id", "Atau id pembekal lain"),
    "other_provider_hint": (
        "Lower-case letters, digits, dots and dashes, e.g. shelter-sel-2. It wins over the list.",
        "Huruf kecil, digit, titik dan sempang, cth. shelter-sel-2. Ia mengatasi senarai.",
    ),
    "coordinator_note_hint": (
        "Kept sealed; only coordinators read it.",
        "Disimpan tertutup; hanya penyelaras boleh membacanya.",
    ),
    "clock_pause": ("Pause the clock", "Hentikan jam"),
    "clock_resume": ("Resume the clock", "Sambung jam"),
    "case_note": ("Add a sealed case note", "Tambah nota kes tertutup"),
    "case_note_words": ("Note", "Nota"),
    "case_note_add": ("Add the note", "Tambah nota"),
    "case_notes": ("Notes on the case (sealed)", "Nota mengenai kes (tertutup)"),
    "no_case_notes": ("No notes on the case.", "Tiada nota mengenai kes."),
    "note_about_case": ("note", "nota"),
    "note_about_close": ("with the closing", "bersama penutupan"),
    "close_case": ("Close the case", "Tutup kes"),
    "case_outcome": ("What became of the child", "Apa yang berlaku kepada kanak-kanak"),
    "no_reason_given": ("(no reason code)", "(tiada kod sebab)"),
    "not_found_case": (
        (
            "There is no case or referral here for you. Check the link, or sign in with "
            "another account."
        ),
        (
            "Tiada kes atau rujukan di sini untuk anda. Semak pautan, atau log masuk dengan "
            "akaun lain."
        ),
    ),
    "milestones": ("Legal milestones", "Peristiwa undang-undang"),
    "milestones_lead": (
        (
            "What happened to the child, and when. Each starts or stops a legal time limit "
            "(Child Act 2001 s.18 and s.20; legal aid before a court date); when one runs "
            "out, you are alerted."
        ),
        (
            "Apa yang berlaku kepada kanak-kanak, dan bila. Setiap satu memulakan atau "
            "menghentikan had masa undang-undang (Akta Kanak-Kanak 2001 s.18 dan s.20; "
            "bantuan guaman sebelum tarikh mahkamah); apabila had masa tamat, anda dimaklumkan."
        ),
    ),
    "milestones_none": ("None recorded yet.", "Belum ada yang direkodkan."),
    "milestone_record": ("Record a milestone", "Rekod peristiwa"),
    "milestone_kind": ("What happened", "Apa yang berlaku"),
    "milestone_at": ("When it happened (Malaysia time)", "Bila ia berlaku (waktu Malaysia)"),
    "milestone_at_hint": (
        "Record it late if need be: the time limits run from when it happened.",
        "Rekodkan walaupun lewat: had masa dikira dari masa ia berlaku.",
    ),
    "milestone_court_date": (
        'Court date (only for "court date set")',
        'Tarikh mahkamah (hanya untuk "tarikh mahkamah ditetapkan")',
    ),
    "court_date": ("court date", "tarikh mahkamah"),
    "legal_clocks": ("Legal time limits", "Had masa undang-undang"),
    "clock_due": ("due by", "perlu sebelum"),
    "clock_done_at": ("done", "dibuat"),
    "clockstate_running": ("running", "sedang berjalan"),
    "clockstate_met": ("met", "dipenuhi"),
    "clockstate_late": ("done late", "dibuat lewat"),
    "clockstate_missed": ("missed", "terlepas"),
    "done_milestone": (
        "The milestone is recorded; the time limits it starts or stops follow it.",
        "Peristiwa telah direkodkan; had masa yang dimulakan atau dihentikannya mengikutinya.",
    ),
    # Each milestone as the contracts word it, capitalised as a label.
    **{
        f"milestone_{kind.value}": (
            w["en"][0].upper() + w["en"][1:],
            w["ms"][0].upper() + w["ms"][1:],
        )
        for kind, w in MILESTONE_WORDS.items()
    },
    "refused_case_conflict": (
        (
            "The case or referral has moved on since this page was shown (it was answered, "
            "moved, paused or closed). Nothing was changed."
        ),
        (
            "Kes atau rujukan ini telah berubah sejak halaman ini dipaparkan (dijawab, "
            "dipindahkan, dihentikan atau ditutup). Tiada apa yang diubah."
        ),
    ),
}

# The notices the notifier delivers, by event type, as a coordinator reads of one it could not.
NOTICE_WORDS: Final[dict[str, tuple[str, str]]] = {
    "org.lindung.referral.requested.v1": ("the referral", "rujukan"),
    "org.lindung.referral.rerouted.v1": ("the withdrawal", "penarikan balik"),
    "org.lindung.referral.cancelled.v1": ("the cancellation", "pembatalan"),
    "org.lindung.deadline.warning.v1": ("the deadline warning", "amaran tarikh akhir"),
    "org.lindung.deadline.missed.v1": ("the escalation", "eskalasi"),
    "org.lindung.case.package-missed.v1": ("the package alert", "amaran pakej"),
    "org.lindung.referral.no-provider.v1": ("the no-provider alert", "amaran tiada pembekal"),
    "org.lindung.case.detention-escalated.v1": ("the detention alert", "amaran tahanan"),
    "org.lindung.case.legal-clock-missed.v1": (
        "the legal time limit alert",
        "amaran had masa undang-undang",
    ),
}
