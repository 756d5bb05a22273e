"""Checks that need more than the contract models: the clock and the answer's reason."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lindung_contracts import FieldError, ResponseKind

if TYPE_CHECKING:
    from datetime import datetime, timedelta

    from lindung_contracts import Identification

__all__ = ["check_identification_time", "check_response"]


def check_identification_time(
    identification: Identification, *, now: datetime, skew: timedelta
) -> list[FieldError]:
    """An identification cannot have happened in the future (beyond clock skew)."""
    if identification.identified_at > now + skew:
        return [FieldError(field="identified_at", reason="is in the future")]
    return []


def check_response(response: ResponseKind, reason: str | None) -> list[FieldError]:
    """A decline or a failure must say why; the next provider and the coordinator need it."""
    needs_reason = response in {ResponseKind.DECLINED, ResponseKind.FAILED}
    if needs_reason and not (reason and reason.strip()):
        return [FieldError(field="reason", reason=f"is required to answer {response.value}")]
    return []
