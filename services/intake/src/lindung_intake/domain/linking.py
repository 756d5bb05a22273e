"""Knowing the same child when a second agency reports them, without storing who they are.

A document number is exact: two identifications naming the same (normalised) number of
the same kind of document are the same child, and the second joins the first case. A
name with a date of birth is not: two children may share both, so a match is only
flagged for a coordinator. Both are compared as keyed hashes (HMAC-SHA256 under a key
derived from the server's secret): the hashes alone tell nothing, and a guessed number
cannot be checked against them without the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from typing import TYPE_CHECKING

from lindung_contracts import DocumentKind

if TYPE_CHECKING:
    from lindung_contracts import IdentityDocument, PersonalDetails

__all__ = ["Linker", "normalise_name", "normalise_number"]

# A MyKid's number stays the child's number on their MyKad: one kind for linking.
_SAME_NUMBERS = {DocumentKind.MYKID: DocumentKind.MYKAD}
_IGNORED_IN_NUMBERS = re.compile(r"[\s./-]+")


def normalise_number(number: str) -> str:
    """A document number as compared: upper case, without spaces, dots, slashes, hyphens."""
    return _IGNORED_IN_NUMBERS.sub("", number).upper()


def normalise_name(name: str) -> str:
    """A name as compared: accents and case folded, punctuation dropped, spaces single."""
    decomposed = unicodedata.normalize("NFKD", name)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = re.sub(r"[^\w\s]", " ", letters.casefold()).split()
    return " ".join(words)


class Linker:
    """The keyed hashes of one identification's documents and likeness."""

    def __init__(self, secret: bytes) -> None:
        # Derived for this one purpose, so it is never the key that hashes API keys.
        self._key = hmac.new(secret, b"lindung/case-linking/v1", hashlib.sha256).digest()

    def documents(self, personal: PersonalDetails | None) -> list[bytes]:
        """One hash per document, sorted (the order locks are taken in)."""
        if personal is None:
            return []
        return sorted({self._document(d) for d in personal.documents})

    def likeness(self, personal: PersonalDetails | None) -> bytes | None:
        """The hash of name plus date of birth; None unless both are given."""
        if personal is None or personal.name is None or personal.date_of_birth is None:
            return None
        name = normalise_name(personal.name)
        if not name:
            return None
        return self._digest(b"likeness", name, personal.date_of_birth.isoformat())

    def reference(self, agency_id: str, agency_reference: str) -> bytes:
        """The hash of an agency's reference: two sends of one reference are decided in turn."""
        return self._digest(b"reference", agency_id, agency_reference)

    def _document(self, document: IdentityDocument) -> bytes:
        kind = _SAME_NUMBERS.get(document.kind, document.kind)
        return self._digest(b"document", kind.value, normalise_number(document.number))

    def _digest(self, label: bytes, *parts: str) -> bytes:
        message = label + b"".join(b"\0" + part.encode() for part in parts)
        return hmac.new(self._key, message, hashlib.sha256).digest()
