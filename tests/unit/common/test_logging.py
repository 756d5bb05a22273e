"""A library's repeated warnings are written once per window, with a count; ours always."""

from __future__ import annotations

import logging

from lindung_common.logging import Repeats


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def record(name: str, msg: str, *args: object, level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, args, None)


def test_the_first_of_a_run_is_written_its_repeats_counted_into_the_next_written():
    clock = Clock()
    repeats = Repeats(window=60.0, clock=clock)
    unable = "Unable connect to node with id %s: %s"

    written = [repeats.filter(record("aiokafka", unable, 1, f"refused {i}")) for i in range(500)]
    clock.now = 61.0
    again = record("aiokafka", unable, 1, "refused")

    assert written == [True] + [False] * 499
    assert repeats.filter(again)
    assert again.getMessage() == (
        "Unable connect to node with id 1: refused [repeated 499 times since last written]"
    )


def test_each_kind_of_message_and_each_logger_is_its_own_run():
    repeats = Repeats(window=60.0, clock=Clock())

    assert repeats.filter(record("aiokafka", "Unable to update metadata from %s", [1]))
    assert repeats.filter(record("aiokafka.consumer.fetcher", "Failed fetch messages from %s", 1))
    assert repeats.filter(record("aiokafka", "Unable connect to node with id %s: %s", 1, "x"))
    assert not repeats.filter(record("aiokafka", "Unable to update metadata from %s", [1]))


def test_lindung_s_own_lines_and_lines_below_warning_are_never_held_back():
    repeats = Repeats(window=60.0, clock=Clock())

    assert all(
        repeats.filter(record("lindung_common.kafka", "broker does not answer")) for _ in range(5)
    )
    assert all(repeats.filter(record("faust", "recovery", level=logging.INFO)) for _ in range(5))
