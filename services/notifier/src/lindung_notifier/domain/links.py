"""Where a notice's recipient acts: the desk page of its referral, or of its case.

A notice about one referral (a new referral, a withdrawal, a warning, an escalation)
links to `{desk}/referrals/{referral_id}`; one about a whole case (a detention alert, a
package alert, no provider left) to `{desk}/cases/{case_id}`. The link holds only the
pseudonymous ids the notice already carries: the page asks its reader to sign in, and
shows what their rights and the child's consent allow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from .recipients import referral_of

if TYPE_CHECKING:
    from lindung_contracts import Payload

__all__ = ["DESK_URL_MAX_LENGTH", "notice_link"]

# The longest desk address whose referral links still fit one SMS (`sms.SMS_LIMIT`):
# 52 characters of the longest kind of notice and its reference, 47 of `/referrals/<id>`.
DESK_URL_MAX_LENGTH: Final = 60


def notice_link(payload: Payload, desk_url: str | None) -> str | None:
    """The desk page where the recipient of a notice about `payload` acts; None without a desk."""
    if desk_url is None:
        return None
    desk = desk_url.rstrip("/")
    referral_id = referral_of(payload)
    if referral_id is not None:
        return f"{desk}/referrals/{referral_id}"
    case_id = getattr(payload, "case_id", None)
    if case_id is None:  # every notified event concerns a case; a new kind must say which
        raise ValueError(f"{type(payload).__name__} names neither a referral nor a case")
    return f"{desk}/cases/{case_id}"
