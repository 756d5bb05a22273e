"""The dispatcher's own loop when the database is gone: it keeps trying and says why."""

from __future__ import annotations

import asyncio
import contextlib

from lindung_common import Events, Units
from lindung_notifier.dispatcher import Dispatcher
from lindung_notifier.domain import AttemptResult, Endpoints, RetryPolicy
from structlog.testing import capture_logs

SECRET_LOOKING = "password=hunter2"


class UnreachableDatabase:
    """A started database whose every connection attempt is refused."""

    async def wait_started(self) -> None:
        return None

    @property
    def pool(self):
        raise ConnectionRefusedError(f"refused ({SECRET_LOOKING})")


class NoSender:
    async def post(self, *_: object) -> AttemptResult:
        raise AssertionError("nothing is due when nothing can be claimed")

    async def close(self) -> None:
        return None


def dispatcher(stuck_after_seconds: float) -> Dispatcher:
    return Dispatcher(
        units=Units(UnreachableDatabase(), Events("notifier")),  # type: ignore[arg-type]
        endpoints=Endpoints(),
        sender=NoSender(),
        policy=RetryPolicy(max_attempts=3, base_seconds=1, cap_seconds=2),
        batch_size=5,
        idle_seconds=0.01,
        lease_seconds=60,
        backoff_cap_seconds=0.02,
        stuck_after_seconds=stuck_after_seconds,
    )


async def run_for(subject: Dispatcher, seconds: float) -> str | None:
    task = asyncio.create_task(subject.run())
    await asyncio.sleep(seconds)
    reason = await subject.check()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return reason


async def test_failing_passes_are_retried_and_logged_without_the_exception_message():
    with capture_logs() as logs:
        await run_for(dispatcher(stuck_after_seconds=60), 0.3)

    failed = [e for e in logs if e["event"] == "dispatch pass failed; retrying"]
    assert len(failed) >= 3
    assert failed[0]["reason"] == "connection failed or timed out (ConnectionRefusedError)"
    assert failed[0]["failure_class"] == "transient"
    assert SECRET_LOOKING not in repr(logs)


async def test_readiness_names_the_failure_once_it_lasts_too_long():
    assert await run_for(dispatcher(stuck_after_seconds=60), 0.1) is None

    reason = await run_for(dispatcher(stuck_after_seconds=0.1), 0.3)

    assert reason is not None
    assert reason.startswith("dispatcher: passes failing for ")
    assert reason.endswith("(connection failed or timed out (ConnectionRefusedError))")
