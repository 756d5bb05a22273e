"""Which language a page is in: the person's choice, else their browser's, else English."""

from __future__ import annotations

from typing import Final

__all__ = ["DEFAULT", "LANGUAGES", "pick_language"]

LANGUAGES: Final = ("ms", "en")
DEFAULT: Final = "en"


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
