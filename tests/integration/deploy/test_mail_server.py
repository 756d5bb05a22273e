"""The stand-in mail relay the demo and the end-to-end tests share, as the notifier meets it.

The notifier's own SMTP client sends through it with STARTTLS, trusting only the run's CA:
the message is kept, written as an `.eml` file, and its desk link read back. A client that
trusts the system's CAs instead is refused by the handshake; one that skips STARTTLS is
refused before any message travels.
"""

from __future__ import annotations

from email import message_from_bytes, policy

import aiosmtplib
import pytest
from lindung_devstack.mail import MailServer
from lindung_notifier.adapters.smtp import SmtpClient

pytestmark = pytest.mark.integration

SHELTER = "rujukan@shelter-sel-1.example.org.my"
LINK = "http://127.0.0.1:8000/desk/referrals/6f1c2b8e-4a53-4c1e-9d2f-0b7e1a2c3d4e"


def _client(server: MailServer, *, ca: bool = True, starttls: bool = True) -> SmtpClient:
    return SmtpClient(
        host="127.0.0.1",
        port=server.port,
        sender="Lindung <lindung@jkm.example.gov.my>",
        starttls=starttls,
        username=None,
        password=None,
        ca_file=server.ca_file if ca else None,
        timeout_seconds=5,
    )


async def test_the_notifier_s_client_sends_through_it_and_the_mail_is_kept(tmp_path):
    with MailServer(tmp_path / "mail", keep=tmp_path / "kept") as server:
        result = await _client(server).send(
            SHELTER, "[Lindung] rujukan", f"Terima atau tolak: {LINK}\n", language="ms",
            reference="LND-TEST",
        )  # fmt: skip
        assert result.status_code == 250, result.error
        (mail,) = server.to(SHELTER)
        assert mail.links == [LINK]
        assert mail.message["Content-Language"] == "ms"
        assert mail.file is not None
        assert mail.file.parent == tmp_path / "kept"
        kept = message_from_bytes(mail.file.read_bytes(), policy=policy.default)
        assert kept["Subject"] == "[Lindung] rujukan"
        readable = mail.file.with_suffix(".txt").read_text()
        assert f"To: {SHELTER}" in readable
        assert LINK in readable  # decoded: the link on one line, as a person copies it
        assert server.to("someone.else@example.org") == []


async def test_only_a_client_that_trusts_the_run_s_ca_and_starts_tls_gets_through(tmp_path):
    with MailServer(tmp_path / "mail") as server:
        untrusting = await _client(server, ca=False).send(
            SHELTER, "s", "t", language="en", reference="LND-1"
        )
        assert untrusting.status_code is None
        assert "CERTIFICATE_VERIFY_FAILED" in (untrusting.error or "")
        async with aiosmtplib.SMTP(
            hostname="127.0.0.1", port=server.port, start_tls=False
        ) as plain:
            with pytest.raises(aiosmtplib.SMTPResponseException) as refused:
                await plain.sendmail("a@example.org", [SHELTER], b"Subject: s\r\n\r\nt\r\n")
        assert refused.value.code == 530
        assert server.messages == []
