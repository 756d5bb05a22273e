"""A small world for the services to run in: API keys, webhook endpoints, stand-in providers.

Used by the demo and by the end-to-end tests. The stand-in is one aiohttp server that
plays every provider and every coordinator role: it receives the notifier's webhooks
(CloudEvents in structured mode) and answers referrals through intake's API, as a real
provider would, following a behaviour chosen per referral.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import aiohttp
from aiohttp import web
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from ._proc import free_port

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from .mail import Mailbox

__all__ = ["Behaviour", "Keys", "Received", "StandIn", "write_endpoints", "write_keys"]


@dataclass(frozen=True)
class Behaviour:
    """What a stand-in provider does with one referral."""

    action: Literal["accept", "decline", "ignore"]
    after_seconds: float = 0.0
    reason: str | None = None  # a reason code (`lindung_contracts.ReasonCode`)
    note: str | None = None  # words a person adds: sealed by intake, never on Kafka


@dataclass
class Keys:
    """Plain API keys by holder id, and the secret intake hashes them under (memory only)."""

    agencies: dict[str, str] = field(default_factory=dict)
    providers: dict[str, str] = field(default_factory=dict)
    coordinators: dict[str, str] = field(default_factory=dict)
    operations: dict[str, str] = field(default_factory=dict)
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    # The key intake seals personal details under, as `id:base64key`.
    data_keys: str = field(default_factory=lambda: _new_data_key("demo-1"))
    # The Standard Webhooks secret every webhook here is signed with, and checked against.
    webhook_secret: str = field(
        default_factory=lambda: "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    )

    def settings(self, path: Path) -> dict[str, str]:
        """Intake's settings for this keys file: keys file, key secret and data keys."""
        return {"api_keys_file": str(path), "key_secret": self.secret, "data_keys": self.data_keys}

    def dashboard_settings(self, path: Path) -> dict[str, str]:
        """The sla-monitor's: the same keys file and secret, for the dashboard's JSON and CSV."""
        return {"api_keys_file": str(path), "key_secret": self.secret}


def _new_data_key(key_id: str) -> str:
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


def write_keys(
    path: Path,
    agencies: list[str],
    providers: list[str],
    coordinators: tuple[str, ...] = (),
    operations: tuple[str, ...] = (),
) -> Keys:
    """Make a key per agency, provider, coordinator and operations desk; write the keys file.

    The file holds only each key's HMAC-SHA256 under `Keys.secret`, as intake's `keys`
    command writes it; give intake `Keys.settings(path)`.
    """
    keys = Keys(
        agencies={a: secrets.token_urlsafe(24) for a in agencies},
        providers={p: secrets.token_urlsafe(24) for p in providers},
        coordinators={c: secrets.token_urlsafe(24) for c in coordinators},
        operations={o: secrets.token_urlsafe(24) for o in operations},
    )
    held_by_kind = (
        ("agency", keys.agencies),
        ("provider", keys.providers),
        ("coordinator", keys.coordinators),
        ("operations", keys.operations),
    )
    entries = [
        {
            "key_id": f"k_{secrets.token_hex(8)}",
            "hmac_sha256": hmac.new(keys.secret.encode(), key.encode(), hashlib.sha256).hexdigest(),
            "kind": kind,
            "id": holder,
        }
        for kind, held in held_by_kind
        for holder, key in held.items()
    ]
    path.write_text(json.dumps({"keys": entries}, indent=2))
    return keys


def write_endpoints(
    path: Path,
    base_url: str,
    providers: list[str],
    *,
    secret: str | None = None,
    mailboxes: Mapping[str, Mailbox] | None = None,
) -> None:
    """Write the notifier's endpoints file pointing every provider and role at `base_url`.

    With `secret` (a `whsec_` Standard Webhooks secret), every webhook is signed with it.
    `mailboxes` (by provider id or role) are told by email instead, or as well when the
    mailbox says `webhook_too`.
    """
    roles = ("case_coordinator", "supervisor", "secretariat")
    signed: dict[str, object] = {"secrets": [secret]} if secret else {}
    mailboxes = mailboxes or {}

    def endpoint(recipient: str, url: str) -> dict[str, object]:
        webhook: dict[str, object] = {"webhook_url": url, **signed}
        mailbox = mailboxes.get(recipient)
        if mailbox is None:
            return webhook
        return (webhook if mailbox.webhook_too else {}) | {"email": mailbox.endpoint()}

    document = {
        "providers": {p: endpoint(p, f"{base_url}/providers/{p}") for p in providers},
        "roles": {r: endpoint(r, f"{base_url}/roles/{r}") for r in roles},
    }
    path.write_text(json.dumps(document, indent=2))


@dataclass(frozen=True)
class Received:
    """One webhook the stand-in received."""

    path: str
    event: dict[str, object]
    headers: dict[str, str]
    # Its Standard Webhooks signature checked with the published verifier, as a receiver
    # would: True when it verified, False when it did not, None when nothing was signed.
    verified: bool | None = None


class StandIn:
    """Plays providers and coordinators on one loopback port."""

    def __init__(
        self,
        intake_url: str,
        keys: Keys,
        behaviour: Callable[[dict[str, object]], Behaviour],
        *,
        read_first: bool = False,
    ) -> None:
        self.port = free_port()
        self.received: list[Received] = []
        # With `read_first`, a provider reads its referral before it answers, as a real
        # one would: (service, HTTP status, the field paths it was shown).
        self.reads: list[tuple[str, int, list[str]]] = []
        self._read_first = read_first
        self.answers: list[tuple[str, str, int]] = []  # (referral id, action, HTTP status)
        self.intake_url = intake_url
        self._keys = keys
        self._behaviour = behaviour
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def base_url(self) -> str:
        """Where the notifier should send webhooks."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Serve the webhooks."""
        app = web.Application()
        app.router.add_post("/providers/{provider_id}", self._on_provider)
        app.router.add_post("/roles/{role}", self._on_role)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        self._session = aiohttp.ClientSession()

    async def stop_answering(self) -> None:
        """Stop answering referrals; webhooks are still received."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def stop(self) -> None:
        """Stop answering and serving."""
        await self.stop_answering()
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def at(self, prefix: str) -> list[Received]:
        """The webhooks received on paths starting with `prefix`."""
        return [r for r in self.received if r.path.startswith(prefix)]

    async def _on_provider(self, request: web.Request) -> web.Response:
        event = await self._record(request)
        if event.get("type") == "org.lindung.referral.requested.v1":
            data = event["data"]
            assert isinstance(data, dict)
            chosen = self._behaviour(data)
            if chosen.action != "ignore":
                task = asyncio.create_task(self._answer(data, chosen))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        return web.json_response({"received": True})

    async def _on_role(self, request: web.Request) -> web.Response:
        await self._record(request)
        return web.json_response({"received": True})

    async def _record(self, request: web.Request) -> dict[str, object]:
        body = await request.read()
        event: dict[str, object] = json.loads(body)
        headers = dict(request.headers)
        verified = None
        if "webhook-signature" in request.headers:
            try:
                Webhook(self._keys.webhook_secret).verify(body, headers)
                verified = True
            except WebhookVerificationError:
                verified = False
        self.received.append(Received(request.path, event, headers, verified))
        return event

    async def _answer(self, referral: dict[str, object], behaviour: Behaviour) -> None:
        assert self._session is not None
        referral_id, provider_id = str(referral["referral_id"]), str(referral["provider_id"])
        if self._read_first:
            await self._read(referral_id, provider_id, str(referral["service"]))
        await asyncio.sleep(behaviour.after_seconds)
        url = f"{self.intake_url}/v1/referrals/{referral_id}/{behaviour.action}"
        body: dict[str, str] | None = None
        if behaviour.reason:
            body = {"reason": behaviour.reason}
            if behaviour.note:
                body["note"] = behaviour.note
        headers = {"Authorization": f"Bearer {self._keys.providers[provider_id]}"}
        # Once, as a provider's system would: intake holds an answer that is quicker than
        # its own news of the referral, so even an answer sent at once is not refused.
        async with self._session.post(url, json=body, headers=headers) as response:
            self.answers.append((referral_id, behaviour.action, response.status))

    async def _read(self, referral_id: str, provider_id: str, service: str) -> None:
        assert self._session is not None
        url = f"{self.intake_url}/v1/referrals/{referral_id}"
        headers = {"Authorization": f"Bearer {self._keys.providers[provider_id]}"}
        async with self._session.get(url, headers=headers) as response:
            shared = (await response.json()).get("shared", {}) if response.ok else {}
        paths: list[str] = []
        for group, fields in shared.items():  # `identified_at` is a field of its own
            paths += [f"{group}.{name}" for name in fields] if isinstance(fields, dict) else [group]
        self.reads.append((service, response.status, paths))
