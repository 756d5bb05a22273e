"""The one error a use case raises for a caller's mistake: a status and the fields at fault.

Like safir's `ClientRequestError`: the HTTP API has one handler for it, which answers
in the documented shape `{"errors": [{"field", "reason"}]}` with the status and headers
the error carries, so no route catches anything. The Kafka door turns the same errors
into a refused record.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar

from lindung_contracts import FieldError

from lindung_intake.domain import RefusalKind

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from lindung_intake.domain import Refusal

__all__ = ["Busy", "ClientError", "Conflict", "Forbidden", "Invalid", "NotFound", "refused"]


class ClientError(Exception):
    """A request refused for what it asks; `errors` names each field and why."""

    status: ClassVar[int] = 400

    def __init__(
        self, errors: Iterable[FieldError], *, headers: Mapping[str, str] | None = None
    ) -> None:
        self.errors = list(errors)
        self.headers = dict(headers or {})
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in self.errors))


class Invalid(ClientError):
    """The request itself is wrong."""

    status = 422


class Forbidden(ClientError):
    """The caller is known, but callers of its kind may not do this."""

    status = 403


class NotFound(ClientError):
    """Nothing of that id that this caller may know of."""

    status = 404


class Conflict(ClientError):
    """The state does not allow it now (or the reference names another identification)."""

    status = 409


class Busy(ClientError):
    """Too many requests of this key, or of everyone, are waiting already; retry later."""

    status = 429

    def __init__(self, reason: str, *, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(
            [FieldError(field="authorization", reason=f"{reason}; retry in {seconds} s")],
            headers={"Retry-After": str(seconds)},
        )


_ERROR_OF: dict[RefusalKind, type[ClientError]] = {
    RefusalKind.INVALID: Invalid,
    RefusalKind.FORBIDDEN: Forbidden,
    RefusalKind.NOT_FOUND: NotFound,
    RefusalKind.CONFLICT: Conflict,
}


def refused(refusal: Refusal) -> ClientError:
    """The error that says a decision's no."""
    return _ERROR_OF[refusal.kind](refusal.errors)
