"""Checks that need more than the contract models: the clock, the answer's reason and note."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from lindung_contracts import FieldError, ResponseKind

from .notes import check_note

if TYPE_CHECKING:
    from lindung_contracts import IdentificationFacts, Outcome, ReasonCode

__all__ = ["check_identification_time", "check_response", "fingerprint"]


# Without a limit, a back-dated identification would have every deadline of its ladder
# already passed: every escalation of every referral at once.
DEFAULT_OLDEST = timedelta(days=30)


def check_identification_time(
    identification: IdentificationFacts,
    *,
    now: datetime,
    skew: timedelta,
    oldest: timedelta = DEFAULT_OLDEST,
) -> list[FieldError]:
    """Not in the future (beyond clock skew), and not older than `oldest`.

    Nor may the sexual violence it reports be in the future: the post-exposure clock
    would run from a time that has not come. (It may follow the identification: violence
    in custody is reported like any other.)
    """
    errors: list[FieldError] = []
    if identification.identified_at > now + skew:
        errors.append(FieldError(field="identified_at", reason="is in the future"))
    elif identification.identified_at < now - oldest:
        reason = f"is more than {oldest.days} days ago; a coordinator must refer this child"
        errors.append(FieldError(field="identified_at", reason=reason))
    violence = identification.situation.sexual_violence_at
    if violence is not None and violence > now + skew:
        errors.append(FieldError(field="situation.sexual_violence_at", reason="is in the future"))
    return errors


def check_response(
    response: ResponseKind,
    reason: ReasonCode | None,
    note: str | None = None,
    *,
    outcome: Outcome | None = None,
    outcome_reason: ReasonCode | None = None,
) -> list[FieldError]:
    """A decline or a failure must say why, as a code; a note may add words to either.

    An outcome (what was done for the child) goes only with a completion; one short of
    delivered must say why as a code (`outcome_reason`), and may add a note too. The next
    provider, the coordinator and the reports need the codes; the words stay with intake.
    """
    errors: list[FieldError] = []
    if response in {ResponseKind.DECLINED, ResponseKind.FAILED} and reason is None:
        why = f"is required to answer {response.value}: one of the reason codes"
        errors.append(FieldError(field="reason", reason=why))
    if outcome is not None and response is not ResponseKind.COMPLETED:
        why = f"is taken only with complete, not with {response.value}"
        errors.append(FieldError(field="outcome", reason=why))
    elif outcome is not None and outcome.needs_reason and outcome_reason is None:
        why = f"is required with outcome {outcome.value}: one of the reason codes"
        errors.append(FieldError(field="outcome_reason", reason=why))
    if outcome_reason is not None and (outcome is None or not outcome.needs_reason):
        why = "is taken only with outcome partly_delivered or not_delivered"
        errors.append(FieldError(field="outcome_reason", reason=why))
    falls_short = response is ResponseKind.COMPLETED and outcome_reason is not None
    return errors + check_note(note, response=response, falls_short=falls_short)


def fingerprint(identification: IdentificationFacts, key: bytes) -> str:
    """A keyed hash, equal for equal identifications however their times were written.

    The same instant written as `...Z` or `...+08:00` is the same identification. Keyed
    (HMAC-SHA256), since it covers the personal details too: a plain hash of everything
    else stored beside it would let a name or a date of birth be guessed and checked.
    """
    canonical = _utc(identification.model_dump(mode="python"))
    if canonical.get("personal") is None:  # none given: the same over HTTP as over Kafka
        canonical.pop("personal", None)
    text = json.dumps(canonical, sort_keys=True, default=str).encode()
    return hmac.new(key, text, hashlib.sha256).hexdigest()


def _utc(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, dict):
        return {k: _utc(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_utc(v) for v in value]
    return value
