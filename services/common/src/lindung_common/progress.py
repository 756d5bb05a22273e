"""Is every consumer making progress? Judged from committed offsets, not from the process.

A Faust consumer can stall without dying. So the probe compares, per partition, the
group's committed offset with the partition's end offset (the lag) and remembers when
the committed offset last moved; a partition behind and not moving for longer than the
limit is stuck. `judge` is the pure decision; `LagProbe` reads the offsets from Kafka.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from .consumers import ConsumerState

__all__ = ["LagProbe", "PartitionLag", "Stalls", "judge"]


@dataclass(frozen=True)
class PartitionLag:
    """One partition as one consumer sees it."""

    consumer: str
    topic: str
    partition: int
    committed: int
    end: int

    @property
    def lag(self) -> int:
        """Records not yet committed."""
        return max(self.end - self.committed, 0)


@dataclass
class Stalls:
    """When each partition's committed offset last moved (monotonic seconds).

    Only watched time counts: after a gap between two reads longer than `blind_after`
    (the broker was away, say), every partition is watched afresh, so a consumer that
    could not commit while nobody could is not called stuck the moment the reads resume.
    """

    blind_after: float | None = None
    _seen: dict[tuple[str, str, int], tuple[int, float]] = field(default_factory=dict)
    _last: float | None = None

    def observe(self, lags: Iterable[PartitionLag], now: float) -> dict[PartitionLag, float]:
        """Record the offsets; each partition with how long its commit has not moved."""
        blind = (
            self.blind_after is not None
            and self._last is not None
            and now - self._last > self.blind_after
        )
        self._last = now
        still: dict[PartitionLag, float] = {}
        for p in lags:
            key = (p.consumer, p.topic, p.partition)
            committed, since = self._seen.get(key, (p.committed, now))
            if committed != p.committed or p.lag == 0 or blind:
                since = now
            self._seen[key] = (p.committed, since)
            still[p] = now - since
        return still


def judge(
    states: Sequence[ConsumerState],
    still: dict[PartitionLag, float],
    *,
    now: float,
    stuck_after: float,
) -> list[str]:
    """Why the consumers are not all making progress or caught up; empty when they are."""
    problems: list[str] = []
    for state in states:
        if not state.running:
            problems.append(f"consumer {state.name} is not running")
        elif state.retrying_since is not None and now - state.retrying_since > stuck_after:
            problems.append(
                f"consumer {state.name} has retried a passing failure for "
                f"{now - state.retrying_since:.0f} s: {state.retry_reason}"
            )
    for p, seconds in sorted(still.items(), key=lambda item: (item[0].topic, item[0].partition)):
        if p.lag > 0 and seconds > stuck_after:
            problems.append(
                f"consumer {p.consumer} is {p.lag} records behind on {p.topic}/{p.partition}"
                f" and its committed offset has not moved for {seconds:.0f} s"
            )
    return problems


class LagProbe:
    """Reads a consumer group's committed offsets and the end offsets of its partitions."""

    def __init__(
        self,
        kafka: Mapping[str, Any],
        group_id: str,
        partitions: Mapping[str, Sequence[TopicPartition]],
        *,
        request_timeout_ms: int = 10_000,
        assigned: Callable[[], set[TopicPartition] | None] | None = None,
    ) -> None:
        self._group_id = group_id
        self._partitions = partitions  # consumer name -> its topics' partitions
        self._assigned = assigned
        self._admin = AIOKafkaAdminClient(**kafka, request_timeout_ms=request_timeout_ms)
        self._ends = AIOKafkaConsumer(
            **kafka,
            enable_auto_commit=False,
            request_timeout_ms=request_timeout_ms,
        )
        self._started = False
        self._lock = asyncio.Lock()  # the health probe and a timer's catch-up both read

    async def read(self, *, every_partition: bool = False) -> list[PartitionLag]:
        """Each partition's committed and end offset: those this instance owns, or all."""
        async with self._lock:
            return await self._read(every_partition=every_partition)

    async def _read(self, *, every_partition: bool) -> list[PartitionLag]:
        if not self._started:
            await self._admin.start()
            await self._ends.start()
            self._started = True
        everything = [tp for tps in self._partitions.values() for tp in tps]
        committed = await self._admin.list_consumer_group_offsets(self._group_id)
        ends = await self._ends.end_offsets(everything)
        beginnings = await self._ends.beginning_offsets(everything)
        mine = self._assigned() if self._assigned and not every_partition else None
        lags: list[PartitionLag] = []
        for consumer, tps in self._partitions.items():
            for tp in tps:
                if mine is not None and tp not in mine:
                    continue
                meta = committed.get(tp)
                offset = meta.offset if meta is not None and meta.offset >= 0 else beginnings[tp]
                lags.append(PartitionLag(consumer, tp.topic, tp.partition, offset, ends[tp]))
        return lags

    async def stop(self) -> None:
        """Close the clients."""
        if self._started:
            await self._ends.stop()
            await self._admin.close()
