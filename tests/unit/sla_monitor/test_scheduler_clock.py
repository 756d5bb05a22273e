"""The scheduler's clock when the wall clock steps, with PostgreSQL agreeing or not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lindung_contracts import RecipientRole, StepKind
from lindung_sla_monitor.domain import Step, Verdict, verdict
from lindung_sla_monitor.scheduler_clock import SchedulerClock
from structlog.testing import capture_logs

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


class Host:
    """This host's wall and monotonic clocks and PostgreSQL's, each set by the test."""

    def __init__(self) -> None:
        self.wall = START
        self.ticks = 1000.0
        self.database = START
        self.asked = 0

    def passes(self, seconds: float) -> None:
        """Time passes: every clock moves on together."""
        self.wall += timedelta(seconds=seconds)
        self.ticks += seconds
        self.database += timedelta(seconds=seconds)

    async def database_now(self) -> datetime:
        self.asked += 1
        return self.database

    def clock(self) -> SchedulerClock:
        return SchedulerClock(
            self.database_now, wall=lambda: self.wall, monotonic=lambda: self.ticks
        )


def _warning_at(at: datetime) -> tuple[Step, datetime]:
    """A warning step at `at`, and its referral's deadline an hour and a half later."""
    step = Step(
        step_no=0,
        kind=StepKind.WARNING,
        level=0,
        percent_of_window=50,
        at=at,
        notify=RecipientRole.PROVIDER,
    )
    return step, at + HOUR * 1.5


def _errors(logs: list[dict]) -> list[dict]:
    return [entry for entry in logs if entry["log_level"] == "error"]


async def test_time_is_the_wall_clock_while_it_agrees_with_the_monotonic_clock():
    host = Host()
    clock = host.clock()

    assert await clock.now() == START
    host.passes(30)
    host.wall += timedelta(milliseconds=400)  # a small correction, within the tolerance

    assert await clock.now() == START + timedelta(seconds=30)
    assert host.asked == 0


async def test_a_jump_forward_that_postgresql_does_not_confirm_fires_nothing_early():
    host = Host()
    clock = host.clock()
    await clock.now()
    step, due_at = _warning_at(START + HOUR)

    host.passes(10)
    host.wall += HOUR
    with capture_logs() as logs:
        now = await clock.now()
        host.passes(5)
        later = await clock.now()

    assert now == START + timedelta(seconds=10)
    assert later == START + timedelta(seconds=15)
    assert verdict(step, due_at, later) is Verdict.NOT_YET
    (error,) = _errors(logs)  # once for the jump, not on every reading
    assert error["jump_seconds"] == 3600
    assert "PostgreSQL's clock disagrees" in error["event"]


async def test_after_a_jump_back_that_postgresql_does_not_confirm_time_still_runs():
    host = Host()
    clock = host.clock()
    await clock.now()
    step, due_at = _warning_at(START + timedelta(seconds=20))

    host.passes(10)
    host.wall -= HOUR
    with capture_logs() as logs:
        before = await clock.now()
        host.passes(15)
        after = await clock.now()

    assert verdict(step, due_at, before) is Verdict.NOT_YET
    assert after == START + timedelta(seconds=25)
    assert verdict(step, due_at, after) is Verdict.FIRE
    (error,) = _errors(logs)
    assert error["jump_seconds"] == -3600


async def test_a_step_postgresql_confirms_is_a_correction_the_clock_follows():
    host = Host()
    clock = host.clock()
    await clock.now()
    host.passes(10)
    host.wall += timedelta(minutes=5)
    host.database += timedelta(minutes=5)  # this host's clock was five minutes slow

    with capture_logs() as logs:
        corrected = await clock.now()
        host.passes(1)
        next_reading = await clock.now()

    assert corrected == START + timedelta(minutes=5, seconds=10)
    assert next_reading == corrected + timedelta(seconds=1)
    assert host.asked == 1  # re-anchored: the wall clock agrees again
    assert [(e["log_level"], e["step_seconds"]) for e in logs] == [("warning", 300)]


async def test_another_jump_while_one_is_disputed_is_reported_again():
    host = Host()
    clock = host.clock()
    await clock.now()
    host.wall += HOUR
    with capture_logs() as logs:
        await clock.now()
        host.wall += HOUR
        now = await clock.now()

    assert now == START
    assert [e["jump_seconds"] for e in _errors(logs)] == [3600, 7200]


async def test_once_the_wall_clock_is_set_right_again_nothing_is_asked_or_reported():
    host = Host()
    clock = host.clock()
    await clock.now()
    host.wall += HOUR
    with capture_logs() as logs:
        await clock.now()
        host.wall -= HOUR
        host.passes(2)
        now = await clock.now()

    assert now == START + timedelta(seconds=2)
    assert host.asked == 1
    assert len(_errors(logs)) == 1


async def test_a_disputed_jump_is_put_to_postgresql_at_most_once_a_second():
    host = Host()
    clock = host.clock()
    await clock.now()
    host.wall += HOUR  # PostgreSQL will not confirm it

    for _ in range(50):  # a busy scheduler asks the time every few milliseconds
        host.passes(0.01)
        await clock.now()
    asked_within_the_second = host.asked
    host.passes(1.0)
    await clock.now()

    assert asked_within_the_second == 1
    assert host.asked == 2
