"""Pages in Malay and English: which language a page is in, and words both pages share.

The language is the person's choice, else their browser's, else English. `Phrases` are a
page's words from a table of (English, Malay) pairs; `span` says a stretch of time as
people do, in either language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["DEFAULT", "LANGUAGES", "Phrases", "pick_language", "span"]

LANGUAGES: Final = ("ms", "en")
DEFAULT: Final = "en"
_UNITS: Final = {"en": ("d", "h", "min", "s"), "ms": ("hari", "jam", "minit", "saat")}
_MINUTE, _HOUR, _DAY = 60, 3600, 86400


class Phrases:
    """The words of one language from `table` (key: (English, Malay)).

    A missing key shows as itself, so a page never breaks for want of a word (each page's
    tests check that none is missing).
    """

    def __init__(self, table: Mapping[str, tuple[str, str]], language: str) -> None:
        self.language = language if language in LANGUAGES else DEFAULT
        self._table = table
        self._index = 1 if self.language == "ms" else 0

    def __call__(self, key: str) -> str:
        """The words for `key`."""
        pair = self._table.get(key)
        return pair[self._index] if pair else key

    def of(self, pairs: Mapping[str, tuple[str, str]], key: str) -> str:
        """The words for `key` in another table of pairs; an unknown key shows as itself."""
        pair = pairs.get(key)
        return pair[self._index] if pair else key


def span(seconds: float, language: str = DEFAULT) -> str:
    """A stretch of time as people read it: 45 s, 12 min, 3 h 5 min, 2 d 4 h; 3 jam 5 minit.

    The sign is dropped (say "late" or "left" around it); the two largest units are shown,
    the smaller only when it is not zero.
    """
    day, hour, minute, second = _UNITS.get(language, _UNITS[DEFAULT])
    s = round(abs(seconds))
    if s < _MINUTE:
        return f"{s} {second}"
    if s < _HOUR:
        return f"{s // _MINUTE} {minute}"
    if s < _DAY:
        hours, minutes = s // _HOUR, s % _HOUR // _MINUTE
        return f"{hours} {hour} {minutes} {minute}" if minutes else f"{hours} {hour}"
    days, hours = s // _DAY, s % _DAY // _HOUR
    return f"{days} {day} {hours} {hour}" if hours else f"{days} {day}"


def pick_language(
    *, chosen: str | None = None, cookie: str | None = None, accept: str | None = None
) -> str:
    """The session's choice, else the cookie's, else the best of `Accept-Language`."""
    for given in (chosen, cookie):
        if given in LANGUAGES:
            assert given is not None  # for mypy
            return given
    return _from_header(accept or "")


def _from_header(header: str) -> str:
    """The language of ours the browser weighs highest (`ms-MY;q=0.9, en;q=0.8`)."""
    best, weight = DEFAULT, 0.0
    for item in header.split(",")[:20]:
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                continue
        if q > weight:  # equal weights: the one listed first
            best, weight = primary, q
    return best
