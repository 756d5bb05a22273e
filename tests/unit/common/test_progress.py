"""Is every consumer making progress? `Stalls` remembers offsets, `judge` says what is wrong."""

from __future__ import annotations

import pytest
from lindung_common import ConsumerState
from lindung_common.progress import PartitionLag, Stalls, judge

LIMIT = 30.0
TOPIC = "lindung.cases.v1"


def lag(committed: int, end: int, *, partition: int = 2, consumer: str = "router-cases"):
    return PartitionLag(consumer, TOPIC, partition, committed, end)


def running(name: str = "router-cases") -> ConsumerState:
    return ConsumerState(name, running=True)


def problems_after(observations: list[tuple[float, list[PartitionLag]]]) -> list[str]:
    """Observe each (time, lags) in turn; what `judge` says after the last one."""
    stalls = Stalls()
    still: dict[PartitionLag, float] = {}
    for now, lags in observations:
        still = stalls.observe(lags, now)
    return judge([running()], still, now=observations[-1][0], stuck_after=LIMIT)


def test_consumers_running_and_caught_up_are_fine():
    assert problems_after([(0.0, [lag(50, 50)]), (100.0, [lag(50, 50)])]) == []


def test_a_consumer_that_is_not_running_is_reported_by_name():
    states = [running("router-cases"), ConsumerState("router-responses", running=False)]

    assert judge(states, {}, now=0.0, stuck_after=LIMIT) == [
        "consumer router-responses is not running"
    ]


@pytest.mark.parametrize(
    ("seconds", "reported"),
    [(LIMIT - 1, False), (LIMIT + 1, True)],
    ids=["not-yet", "longer-than-the-limit"],
)
def test_retrying_a_transient_failure_is_reported_after_the_limit(seconds, reported):
    state = ConsumerState(
        "router-cases",
        running=True,
        retrying_since=100.0,
        retry_reason="database unavailable (AdminShutdownError, 57P01)",
    )

    problems = judge([state], {}, now=100.0 + seconds, stuck_after=LIMIT)

    assert bool(problems) is reported
    if reported:
        (problem,) = problems
        assert "router-cases" in problem
        assert "database unavailable (AdminShutdownError, 57P01)" in problem
        assert f"{seconds:.0f} s" in problem


def test_a_partition_behind_that_does_not_move_is_reported_with_its_lag():
    problems = problems_after([(0.0, [lag(10, 50)]), (20.0, [lag(10, 60)]), (41.0, [lag(10, 60)])])

    assert problems == [
        (
            f"consumer router-cases is 50 records behind on {TOPIC}/2"
            " and its committed offset has not moved for 41 s"
        )
    ]


def test_a_partition_behind_is_not_reported_before_the_limit():
    assert problems_after([(0.0, [lag(10, 50)]), (LIMIT - 1, [lag(10, 50)])]) == []


def test_a_partition_behind_that_moves_is_not_reported():
    observations = [(t * 20.0, [lag(10 + t, 50)]) for t in range(6)]

    assert problems_after(observations) == []


def test_a_partition_that_was_stuck_and_moves_again_is_no_longer_reported():
    stuck = [(0.0, [lag(10, 50)]), (40.0, [lag(10, 50)])]

    assert problems_after(stuck) != []
    assert problems_after([*stuck, (41.0, [lag(11, 50)])]) == []


def test_the_time_behind_counts_from_the_last_catch_up():
    # Caught up at 0 and 30; records arrive after that and the commit stays put.
    observations = [(0.0, [lag(50, 50)]), (30.0, [lag(50, 50)]), (50.0, [lag(50, 70)])]

    assert problems_after(observations) == []
    assert problems_after([*observations, (61.0, [lag(50, 70)])]) != []


def test_only_the_stuck_partition_of_several_is_reported_and_each_is_named():
    observations = [
        (0.0, [lag(10, 50, partition=0), lag(10, 50, partition=1), lag(5, 5, partition=2)]),
        (40.0, [lag(30, 50, partition=0), lag(10, 50, partition=1), lag(5, 5, partition=2)]),
    ]

    (problem,) = problems_after(observations)

    assert f"on {TOPIC}/1 " in problem


def test_two_consumers_on_one_partition_are_watched_apart():
    stalls = Stalls()
    stalls.observe([lag(10, 50, consumer="a"), lag(10, 50, consumer="b")], 0.0)
    still = stalls.observe([lag(20, 50, consumer="a"), lag(10, 50, consumer="b")], 40.0)

    (problem,) = judge([running("a"), running("b")], still, now=40.0, stuck_after=LIMIT)

    assert problem.startswith("consumer b is 40 records behind")


def test_a_committed_offset_past_the_end_is_no_lag():
    assert lag(60, 50).lag == 0


def test_a_gap_in_the_reads_is_not_counted_as_time_without_progress():
    # The broker was away from 5 to 60: nobody could read or commit; reads resume at 60.
    stalls = Stalls(blind_after=15.0)
    stalls.observe([lag(10, 50)], 0.0)
    stalls.observe([lag(10, 50)], 5.0)
    still = stalls.observe([lag(10, 80)], 60.0)

    assert judge([running()], still, now=60.0, stuck_after=LIMIT) == []
    # Watched again from then on: a commit that still does not move is reported.
    still = stalls.observe([lag(10, 80)], 65.0)
    still = stalls.observe([lag(10, 80)], 75.0)
    still = stalls.observe([lag(10, 80)], 85.0)
    still = stalls.observe([lag(10, 80)], 95.0)
    assert judge([running()], still, now=95.0, stuck_after=LIMIT) != []
