"""A stand-in mail relay for the demo and the end-to-end tests: every message kept.

It listens on loopback and, as a private relay would, requires STARTTLS with a
certificate of its own, issued by a CA made for the run; the notifier checks it against
that CA (`smtp_ca_file`). Every message accepted is kept in memory (`messages`, `to`,
`links`) and, given a directory, written there as an `.eml` file a mail program opens,
with a `.txt` beside it that a person reads in a terminal (headers and body decoded).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import ssl
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from typing import TYPE_CHECKING, Any, Self

from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ._proc import free_port

if TYPE_CHECKING:
    from collections.abc import Iterable
    from email.message import EmailMessage
    from pathlib import Path

__all__ = ["Mail", "MailServer", "Mailbox"]

SENDER = "Lindung <lindung@jkm.example.gov.my>"
_LINK = re.compile(r"https?://\S+/desk/\S+")


@dataclass(frozen=True)
class Mailbox:
    """A recipient's email endpoint, for the notifier's endpoints file.

    With `webhook_too`, the recipient's system also gets the webhook (and the stand-in
    answers for it), so a scenario plays as before while its mails are kept.
    """

    address: str
    language: str = "ms"
    webhook_too: bool = False

    def endpoint(self) -> dict[str, str]:
        """The `email` entry of the notifier's endpoints file."""
        return {"address": self.address, "language": self.language}


@dataclass(frozen=True)
class Mail:
    """One message the relay accepted."""

    recipients: tuple[str, ...]
    message: EmailMessage
    file: Path | None

    @property
    def body(self) -> str:
        """The plain-text body."""
        part = self.message.get_body(preferencelist=("plain",))
        return str(part.get_content()) if part is not None else ""

    def readable(self) -> str:
        """Its headers and its body, decoded: what a person reads (beside the `.eml`)."""
        heads = (f"{h}: {self.message[h]}" for h in ("From", "To", "Subject", "Date"))
        return "\n".join(heads) + "\n\n" + self.body

    @property
    def links(self) -> list[str]:
        """The desk links the body carries."""
        return _LINK.findall(self.body)


class MailServer:
    """aiosmtpd on a loopback port, STARTTLS required, keeping every message."""

    def __init__(
        self, workdir: Path, *, keep: Path | None = None, refuse: Iterable[str] = ()
    ) -> None:
        """`workdir` holds the CA and the certificate; `keep`, if given, the `.eml` files.

        Mail to an address in `refuse` is refused for good (550), as for a mailbox that
        does not exist.
        """
        self.workdir = workdir
        self.keep = keep
        self.refuse = frozenset(refuse)
        self.port = free_port()
        self.ca_file = workdir / "mail-ca.pem"
        self.messages: list[Mail] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> None:
        """Make the certificates and listen."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.keep is not None:
            self.keep.mkdir(parents=True, exist_ok=True)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*self._certificates())
        self._controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            tls_context=context,
            require_starttls=True,
        )
        self._controller.start()

    def stop(self) -> None:
        """Stop listening; what was kept stays."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def notifier_settings(self, sender: str = SENDER) -> dict[str, str]:
        """The notifier's settings for this relay, in `ServiceSet` form."""
        return {
            "smtp_host": "127.0.0.1",
            "smtp_port": str(self.port),
            "smtp_ca_file": str(self.ca_file),
            "email_from": sender,
        }

    def to(self, address: str) -> list[Mail]:
        """The messages addressed to `address`, oldest first."""
        with self._lock:
            return [m for m in self.messages if address in m.recipients]

    async def handle_RCPT(  # noqa: N802
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any
    ) -> str:
        """Take a recipient (aiosmtpd's hook), unless it is one to refuse."""
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Keep the message (aiosmtpd's hook); only one that came over TLS is accepted."""
        if session.ssl is None:  # require_starttls already refuses it; say so if not
            return "530 5.7.0 must issue a STARTTLS command first"
        content: bytes = envelope.original_content or envelope.content
        message: EmailMessage = message_from_bytes(content, policy=policy.default)
        recipients = tuple(envelope.rcpt_tos)
        with self._lock:
            number = len(self.messages) + 1
            mail = Mail(recipients, message, None)
            if self.keep is not None:
                name = re.sub(r"[^A-Za-z0-9.-]+", "_", recipients[0] if recipients else "nobody")
                file = self.keep / f"{number:04d}-{name}.eml"
                file.write_bytes(content)
                file.with_suffix(".txt").write_text(mail.readable())
                mail = Mail(recipients, message, file)
            self.messages.append(mail)
        return "250 Message accepted"

    def _certificates(self) -> tuple[Path, Path]:
        """A CA for the run, and the relay's certificate for 127.0.0.1 issued by it."""
        now = dt.datetime.now(dt.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Lindung stand-in mail CA")])
        ca = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=7))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.test")]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=7))
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        cert_file, key_file = self.workdir / "mail.pem", self.workdir / "mail.key"
        self.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.touch(mode=0o600)
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return cert_file, key_file
