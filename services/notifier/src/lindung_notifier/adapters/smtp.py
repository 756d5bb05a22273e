"""The email client: one message per attempt over SMTP with STARTTLS, as an `AttemptResult`.

A 5xx answer (no such mailbox, refused) is final; a 4xx answer, a refused or dropped
connection or a timeout is tried again later, like a webhook's 5xx.
"""

from __future__ import annotations

import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING, Protocol

import aiosmtplib

from ..domain import AttemptResult  # noqa: TID252

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["EmailSender", "SmtpClient"]

_SMTP_OK = 250
_PERMANENT = 500
_ERROR_LIMIT = 300


class EmailSender(Protocol):
    """Sends one email."""

    async def send(
        self, to: str, subject: str, text: str, *, language: str, reference: str
    ) -> AttemptResult:
        """Send it; never raises for a network or SMTP failure."""
        ...


class SmtpClient:
    """aiosmtplib, a connection per message (notices are few; no pool to go stale)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        starttls: bool,
        username: str | None,
        password: str | None,
        ca_file: Path | None,
        timeout_seconds: float,
    ) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._starttls = starttls
        self._username = username
        self._password = password
        self._timeout = timeout_seconds
        # The system's trust store, or the one CA a private mail relay is signed by.
        self._tls = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)

    async def send(
        self, to: str, subject: str, text: str, *, language: str, reference: str
    ) -> AttemptResult:
        """Send one plain-text message; 250 when the server took it."""
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(idstring=reference, domain="lindung")
        message.set_content(text)
        message["Content-Language"] = language  # after: set_content clears Content-*
        try:
            await aiosmtplib.send(
                message,
                hostname=self._host,
                port=self._port,
                start_tls=self._starttls,
                use_tls=False,
                tls_context=self._tls,
                username=self._username,
                password=self._password,
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = sorted({r.code for r in exc.recipients})
            return AttemptResult(
                status_code=None,
                error=f"mail server refused the recipient ({', '.join(map(str, codes))})",
                permanent=all(c >= _PERMANENT for c in codes),
            )
        except aiosmtplib.SMTPResponseException as exc:
            return AttemptResult(
                status_code=None,
                error=f"mail server answered {exc.code}",
                permanent=exc.code >= _PERMANENT,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            detail = f"{type(exc).__name__}: {exc}"[:_ERROR_LIMIT]
            return AttemptResult(status_code=None, error=f"mail not sent: {detail}")
        return AttemptResult(status_code=_SMTP_OK)
