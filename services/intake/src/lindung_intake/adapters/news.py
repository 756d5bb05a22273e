"""News of referrals the mirror has stored, for requests waiting on them: NOTIFY and LISTEN.

A provider may act on its webhook before intake's mirror has stored the referral. The
request waits, without a connection and without polling: the mirror's transaction sends
`NOTIFY <schema>_referrals` with each new referral's id (delivered at commit, to every
intake process), and one connection per process LISTENs and wakes the requests waiting
on that id in this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import TYPE_CHECKING

import structlog
from lindung_common import classify

if TYPE_CHECKING:
    from lindung_common import Database

__all__ = ["ReferralNews", "channel_of"]

log = structlog.get_logger(__name__)


def channel_of(schema: str) -> str:
    """The NOTIFY channel of a schema's referral mirror."""
    return f"{schema}_referrals"


class ReferralNews:
    """One LISTEN connection per process, waking the requests that wait on a referral.

    Runs as a task of the service. Whenever it starts listening (at start, or again after
    its connection was lost) it wakes every waiting request once, since news may have
    been sent while nobody listened: each looks once more, then waits again.
    """

    name = "referral-news"

    def __init__(
        self, db: Database, *, check_seconds: float = 5.0, backoff_cap_seconds: float = 5.0
    ) -> None:
        self._db = db
        self._check = check_seconds
        self._backoff_cap = backoff_cap_seconds
        self._waiting: dict[uuid.UUID, set[asyncio.Future[None]]] = {}
        self._stopping = asyncio.Event()
        self.listening = False

    @property
    def channel(self) -> str:
        """The channel the mirror announces new referrals on."""
        return channel_of(self._db.schema)

    def subscribe(self, referral_id: uuid.UUID) -> asyncio.Future[None]:
        """A future done when news of `referral_id` arrives (or may have been missed)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(referral_id, set()).add(future)
        return future

    def unsubscribe(self, referral_id: uuid.UUID, future: asyncio.Future[None]) -> None:
        """Forget a future given by `subscribe`."""
        futures = self._waiting.get(referral_id)
        if futures is not None:
            futures.discard(future)
            if not futures:
                del self._waiting[referral_id]

    async def run(self) -> None:
        """Listen until stopped; a lost connection is replaced, with capped backoff."""
        backoff = 0.1
        while not self._stopping.is_set():
            try:
                async with self._db.pool.acquire() as conn:
                    await conn.add_listener(self.channel, self._heard)
                    try:
                        self.listening = True
                        self._wake_all()
                        backoff = 0.1
                        while not await self._stopped_within(self._check):
                            # A connection gone half-open would never deliver: find out.
                            await conn.fetchval("SELECT 1", timeout=self._check)
                    finally:
                        self.listening = False
                        with contextlib.suppress(Exception):
                            await conn.remove_listener(self.channel, self._heard)
            except Exception as exc:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise asyncio.CancelledError from None  # a cancel the failure swallowed
                log.warning(
                    "listening for referral news failed; retrying", reason=classify(exc).reason
                )
                await self._stopped_within(backoff)
                backoff = min(backoff * 2, self._backoff_cap)

    def stop(self) -> None:
        """Ask `run` to return."""
        self._stopping.set()

    async def close(self) -> None:
        """Nothing is held once `run` has ended."""

    async def _stopped_within(self, seconds: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        return self._stopping.is_set()

    def _heard(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        try:
            referral_id = uuid.UUID(payload)
        except ValueError:
            return  # not ours to read: nothing waits on it
        for future in self._waiting.get(referral_id, ()):
            if not future.done():
                future.set_result(None)

    def _wake_all(self) -> None:
        for futures in self._waiting.values():
            for future in futures:
                if not future.done():
                    future.set_result(None)
