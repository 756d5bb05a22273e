"""The channels a delivery goes out on: a signed webhook, an email, an SMS through a gateway.

Sending changes nothing in the database: it returns what happened (`AttemptResult`), and
the dispatcher decides and records the outcome. A recipient with no address for the
delivery's channel fails for good at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lindung_contracts import Channel, DeadlineMissed, decode

from .adapters import postgres
from .domain import (
    IDEMPOTENCY_HEADER,
    AttemptResult,
    Tried,
    notice_link,
    reference,
    render_email,
    request_headers,
    sms_text,
)

if TYPE_CHECKING:
    from lindung_common import Units

    from .adapters.http import WebhookSender
    from .adapters.smtp import EmailSender
    from .domain import Endpoint, Endpoints

__all__ = ["Channels", "SmsGateway"]


@dataclass(frozen=True)
class SmsGateway:
    """Where SMS notices go."""

    url: str
    token: str | None


class Channels:
    """Sends one delivery to its recipient's address on the delivery's channel."""

    def __init__(
        self,
        *,
        units: Units,
        endpoints: Endpoints,
        sender: WebhookSender,
        sms: SmsGateway | None,
        mail: EmailSender | None,
        desk_url: str | None,
    ) -> None:
        self._units = units
        self._events = units.events
        self._endpoints = endpoints
        self._sender = sender
        self._sms = sms
        self._mail = mail
        self._desk_url = desk_url

    async def send(self, delivery: postgres.ClaimedDelivery) -> AttemptResult:
        """One attempt at a delivery: what the receiver answered, or why there was none."""
        endpoint = self._endpoints.for_recipient(delivery.recipient)
        if delivery.channel is Channel.SMS:
            return await self._send_sms(delivery, endpoint)
        if delivery.channel is Channel.EMAIL:
            return await self._send_email(delivery, endpoint)
        if endpoint is None or endpoint.webhook_url is None:
            return _no_endpoint(delivery)
        headers = request_headers(
            notification_id=delivery.notification_id,
            attempt=delivery.attempt,
            body=delivery.body,
            secrets=endpoint.secret_values(),
            now=self._events.now(),
        )
        return await self._sender.post(str(endpoint.webhook_url), delivery.body, headers)

    async def close(self) -> None:
        """Release the webhook sender's connections."""
        await self._sender.close()

    async def _send_sms(
        self, delivery: postgres.ClaimedDelivery, endpoint: Endpoint | None
    ) -> AttemptResult:
        """A reference and the desk link, through the gateway; nothing of the event's content."""
        if endpoint is None or endpoint.sms is None or self._sms is None:
            return _no_endpoint(delivery)
        notice = reference(delivery.notification_id)
        payload = decode(delivery.body).data
        link = notice_link(payload, self._desk_url)
        text = sms_text(payload, delivery.notification_id, link, endpoint.sms.language)
        headers = {
            "Content-Type": "application/json",
            IDEMPOTENCY_HEADER: str(delivery.notification_id),
        }
        if self._sms.token:
            headers["Authorization"] = f"Bearer {self._sms.token}"
        body = json.dumps({"to": endpoint.sms.to, "text": text, "reference": notice}).encode()
        return await self._sender.post(self._sms.url, body, headers)

    async def _send_email(
        self, delivery: postgres.ClaimedDelivery, endpoint: Endpoint | None
    ) -> AttemptResult:
        """The notice in the recipient's language, with what was tried for its service."""
        if endpoint is None or endpoint.email is None or self._mail is None:
            return _no_endpoint(delivery)
        payload = decode(delivery.body).data
        tried: list[Tried] = []
        if isinstance(payload, DeadlineMissed):  # an escalation says what was tried
            async with self._units.connection() as work:
                rows = await postgres.tried_for(work.conn, delivery.case_id, payload.service.value)
            tried = [Tried(at, provider, what) for at, provider, what in rows]
        notice = reference(delivery.notification_id)
        language = endpoint.email.language
        rendered = render_email(
            payload,
            language=language,
            reference=notice,
            link=notice_link(payload, self._desk_url),
            tried=tried,
            now=self._events.now(),
        )
        return await self._mail.send(
            endpoint.email.address,
            rendered.subject,
            rendered.text,
            language=language.value,
            reference=notice,
        )


def _no_endpoint(delivery: postgres.ClaimedDelivery) -> AttemptResult:
    return AttemptResult(
        status_code=None,
        error=f"no {delivery.channel.value} configured for {delivery.recipient.describe()}",
        permanent=True,
    )
