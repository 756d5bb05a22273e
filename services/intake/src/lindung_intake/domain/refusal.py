"""Why a request changes nothing: the kind of no, and each field at fault with its reason."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lindung_contracts import FieldError

__all__ = ["Refusal", "RefusalKind"]


class RefusalKind(StrEnum):
    """The kinds of no a decision gives; each entrypoint says it its own way."""

    INVALID = "invalid"  # the request itself is wrong (HTTP 422)
    FORBIDDEN = "forbidden"  # the caller's kind may not do this (HTTP 403)
    NOT_FOUND = "not_found"  # nothing of that id the caller may know of (HTTP 404)
    CONFLICT = "conflict"  # the state does not allow it now (HTTP 409)


@dataclass(frozen=True)
class Refusal:
    """A decision's no: its kind and the fields at fault, in words that repeat no input."""

    kind: RefusalKind
    errors: tuple[FieldError, ...]

    @classmethod
    def of(cls, kind: RefusalKind, field: str, reason: str) -> Refusal:
        """A refusal naming one field."""
        return cls(kind, (FieldError(field=field, reason=reason),))
