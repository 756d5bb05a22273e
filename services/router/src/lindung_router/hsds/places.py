"""Malaysia's states and federal territories as HSDS service areas name them."""

from __future__ import annotations

import re

from lindung_contracts import MalaysianState

from ..domain import NATIONWIDE  # noqa: TID252

__all__ = ["COUNTRY", "ISO_CODES", "area_of", "state_coded", "state_named"]

_S = MalaysianState
# ISO 3166-2:MY subdivision codes and the English names the export writes.
ISO_CODES: dict[MalaysianState, tuple[str, str]] = {
    _S.JOHOR: ("MY-01", "Johor"),
    _S.KEDAH: ("MY-02", "Kedah"),
    _S.KELANTAN: ("MY-03", "Kelantan"),
    _S.MELAKA: ("MY-04", "Melaka"),
    _S.NEGERI_SEMBILAN: ("MY-05", "Negeri Sembilan"),
    _S.PAHANG: ("MY-06", "Pahang"),
    _S.PENANG: ("MY-07", "Penang"),
    _S.PERAK: ("MY-08", "Perak"),
    _S.PERLIS: ("MY-09", "Perlis"),
    _S.SELANGOR: ("MY-10", "Selangor"),
    _S.TERENGGANU: ("MY-11", "Terengganu"),
    _S.SABAH: ("MY-12", "Sabah"),
    _S.SARAWAK: ("MY-13", "Sarawak"),
    _S.KUALA_LUMPUR: ("MY-14", "Kuala Lumpur"),
    _S.LABUAN: ("MY-15", "Labuan"),
    _S.PUTRAJAYA: ("MY-16", "Putrajaya"),
}
COUNTRY = ("MY", "Malaysia")
_BY_CODE = {code: state for state, (code, _) in ISO_CODES.items()}
_BY_NAME = (
    {name.lower(): state for state, (_, name) in ISO_CODES.items()}
    | {state.value.replace("_", " "): state for state in MalaysianState}
    | {"pulau pinang": _S.PENANG, "malacca": _S.MELAKA, "negri sembilan": _S.NEGERI_SEMBILAN}
)
# "WP Kuala Lumpur", "Wilayah Persekutuan Labuan", "Federal Territory of Putrajaya".
_TERRITORY = re.compile(r"^(w\.?p\.?|wilayah persekutuan|federal territory( of)?)\s+")
_CODE = re.compile(r"(MY-\d{2}|MY)$", re.IGNORECASE)


def state_coded(text: str) -> MalaysianState | str | None:
    """The state whose ISO 3166-2 code ends `text` (`*` for `MY`, the country), if any."""
    match = _CODE.search(text.strip())
    if match is None:
        return None
    code = match.group(1).upper()
    return NATIONWIDE if code == COUNTRY[0] else _BY_CODE.get(code)


def state_named(text: str) -> MalaysianState | str | None:
    """The state a name names (`*` for Malaysia), in English or Malay, if any."""
    name = _TERRITORY.sub("", text.strip().lower())
    if name in (COUNTRY[1].lower(), COUNTRY[0].lower()):
        return NATIONWIDE
    return _BY_NAME.get(name)


def area_of(state: str) -> tuple[str, str]:
    """The ISO 3166-2 code and name Lindung writes for a state (or `*`, the country)."""
    return COUNTRY if state == NATIONWIDE else ISO_CODES[MalaysianState(state)]
