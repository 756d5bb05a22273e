"""Malaysia's states and federal territories as HSDS service areas name them."""

from __future__ import annotations

import re

from lindung_contracts import STATE_ISO_CODES, STATE_WORDS, MalaysianState

from ..domain import NATIONWIDE  # noqa: TID252

__all__ = ["COUNTRY", "ISO_CODES", "area_of", "state_coded", "state_named"]

# ISO 3166-2:MY subdivision codes and the English names the export writes.
ISO_CODES = {state: (code, STATE_WORDS[state]["en"]) for state, code in STATE_ISO_CODES.items()}
COUNTRY = ("MY", "Malaysia")
_BY_CODE = {code: state for state, (code, _) in ISO_CODES.items()}
_BY_NAME = (
    {name.lower(): state for state, (_, name) in ISO_CODES.items()}
    | {state.value.replace("_", " "): state for state in MalaysianState}
    | {
        "pulau pinang": MalaysianState.PENANG,
        "malacca": MalaysianState.MELAKA,
        "negri sembilan": MalaysianState.NEGERI_SEMBILAN,
    }
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
