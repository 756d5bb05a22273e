"""The words of the provider's "Places free" page, in English and Malay (part of the desk's)."""

from __future__ import annotations

from typing import Final

from lindung_contracts import CapacityUnit

__all__ = ["CAPACITY_WORDS"]

_UNITS: Final = {
    CapacityUnit.BEDS: ("beds", "katil"),
    CapacityUnit.PLACES: ("places", "tempat"),
    CapacityUnit.APPOINTMENTS: ("appointments", "temujanji"),
    CapacityUnit.SESSIONS: ("sessions", "sesi"),
}

CAPACITY_WORDS: Final[dict[str, tuple[str, str]]] = {  # key: (English, Malay)
    "capacity": ("Places free", "Tempat kosong"),
    "capacity_lead": (
        (
            "Say how many places you have free for each service you offer. Lindung sends new "
            "referrals first to providers with places free and none to a provider that is full. "
            "A figure older than 12 hours counts as unknown: set it again when it changes, and "
            "at least twice a day."
        ),
        (
            "Nyatakan bilangan tempat kosong bagi setiap perkhidmatan anda. Lindung menghantar "
            "rujukan baharu dahulu kepada penyedia yang ada tempat kosong dan tiada kepada "
            "penyedia yang penuh. Angka yang lebih lama daripada 12 jam dianggap tidak diketahui: "
            "tetapkan semula apabila berubah, dan sekurang-kurangnya dua kali sehari."
        ),
    ),
    "capacity_others": ("Other services", "Perkhidmatan lain"),
    "capacity_unit": ("Counted in", "Dikira dalam"),
    "capacity_available": ("Free now (0 when full)", "Kosong sekarang (0 jika penuh)"),
    "capacity_maximum": ("In all (if you wish)", "Jumlah keseluruhan (jika mahu)"),
    "capacity_set": ("Save", "Simpan"),
    "capacity_last": ("Last set", "Terakhir ditetapkan"),
    "capacity_by": ("by", "oleh"),
    "capacity_never": ("Not set yet.", "Belum ditetapkan."),
    "capacity_of": ("of", "daripada"),
    "capacity_done": ("Saved. New referrals follow it.", "Disimpan. Rujukan baharu mengikutinya."),
    "capacity_refused_available": (
        "Free now must be a whole number from 0, and not more than in all.",
        "Kosong sekarang mesti nombor bulat dari 0, dan tidak melebihi jumlah keseluruhan.",
    ),
    "capacity_refused_maximum": (
        "In all must be a whole number from 0, or left empty.",
        "Jumlah keseluruhan mesti nombor bulat dari 0, atau dibiarkan kosong.",
    ),
    "capacity_refused_unit": ("Choose what is counted.", "Pilih apa yang dikira."),
    **{f"unit_{unit.value}": words for unit, words in _UNITS.items()},
}
