"""`python -m lindung_router replay`: what a draft policy or directory would have changed.

    python -m lindung_router replay --policy DRAFT.toml --directory DRAFT.json --since 30d

Reads every `CaseOpened` recorded on the cases topic since then (from the offsets for that
time, as a consumer of no group that commits nothing) and what the router decided for each
(its database, read only), routes each case again under the draft, and prints one line per
difference, then a summary. It publishes nothing and writes nothing. Either file may be
left out: the live one (the router's settings) stands in for it. Exit 0 when it ran, 2 for
bad arguments or a draft that start-up would refuse.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from aiokafka import AIOKafkaConsumer, TopicPartition
from lindung_common import ConfigError
from lindung_common.db import create_pool
from lindung_common.kafka import client_options
from lindung_contracts import CASES, CaseOpened, DecodeError, decode

from .adapters.config_files import load_directory, load_policy
from .adapters.recorded import decided
from .domain import parse_duration
from .domain.replay import Recorded, Tally, replay_case

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from lindung_common import Service

    from .domain import Directory, Policy
    from .settings import RouterSettings

__all__ = ["read_cases", "replay_command"]


class _Refused(Exception):
    """Bad arguments or a bad draft: exit 2 with the message."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _Refused(message)


def _parser() -> _Parser:
    parser = _Parser(
        prog="python -m lindung_router replay",
        description="Route the cases recorded since a time again under a draft policy and "
        "directory; print what would have changed. Publishes and writes nothing.",
    )
    parser.add_argument("--policy", type=Path, help="draft policy (TOML); default: the live one")
    parser.add_argument(
        "--directory",
        type=Path,
        help="draft directory (HSDS 3.1 JSON or CSV folder, or Lindung's JSON); default: live",
    )
    parser.add_argument("--since", required=True, help="how far back, e.g. 30d, 12h")
    return parser


async def replay_command(service: Service, argv: Sequence[str]) -> int:
    """The command: prints the differences and the summary; the exit code."""
    settings: RouterSettings = service.settings  # type: ignore[assignment]
    try:
        args = _parser().parse_args(list(argv))
        since = parse_duration(args.since)
        if since <= timedelta(0):
            raise _Refused("--since must be longer than 0s")
        policy = load_policy(args.policy or settings.policy_file)
        directory = load_directory(args.directory or settings.directory_file)
    except (_Refused, ValueError, ConfigError) as exc:
        sys.stderr.write(f"replay refused: {exc}\n")
        return 2
    start = service.events.now() - since
    cases = await read_cases(settings, start)
    recorded = await _recorded(settings, service.db.schema, cases)
    _report(recorded, policy=policy, directory=directory, start=start)
    return 0


async def read_cases(settings: RouterSettings, start: datetime) -> list[CaseOpened]:
    """Every CaseOpened on the cases topic from `start` to its end now, in topic order."""
    consumer = AIOKafkaConsumer(
        **client_options(settings),
        client_id="lindung-router-replay",
        group_id=None,
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        partitions = [
            TopicPartition(CASES.name, p)
            for p in sorted(consumer.partitions_for_topic(CASES.name) or range(CASES.partitions))
        ]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        found = await consumer.offsets_for_times(
            {p: int(start.timestamp() * 1000) for p in partitions}
        )
        for partition in partitions:
            at = found.get(partition)
            consumer.seek(partition, at.offset if at is not None else ends[partition])
        cases: list[CaseOpened] = []
        while await _behind(consumer, ends):
            batches = await consumer.getmany(timeout_ms=500)
            for partition, messages in batches.items():
                for message in messages:
                    if message.offset >= ends[partition]:
                        continue
                    try:
                        event = decode(message.value, message.headers).data
                    except DecodeError:
                        continue  # not an event of ours: the router dead-lettered it too
                    if isinstance(event, CaseOpened):
                        cases.append(event)
        return cases
    finally:
        await consumer.stop()


async def _behind(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for partition, end in ends.items():
        if await consumer.position(partition) < end:
            return True
    return False


async def _recorded(
    settings: RouterSettings, schema: str, cases: list[CaseOpened]
) -> list[Recorded | CaseOpened]:
    """Each case with what was decided for it; a case the router never stored stays bare."""
    pool = await create_pool(
        settings.database_url.get_secret_value(),
        schema,
        max_size=1,
        connect_timeout=settings.db_connect_timeout_seconds,
        command_timeout=settings.db_command_timeout_seconds,
        statement_timeout=settings.db_statement_timeout_seconds,
    )
    try:
        async with pool.acquire() as conn:
            found = await decided(conn, list({c.case_id for c in cases}))
    finally:
        await pool.close()
    seen = set()
    result: list[Recorded | CaseOpened] = []
    for case in cases:
        if case.case_id in seen:
            continue  # published again: routed once
        seen.add(case.case_id)
        decisions = found.get(case.case_id)
        result.append(case if decisions is None else Recorded(case, decisions))
    return result


def _report(
    recorded: list[Recorded | CaseOpened],
    *,
    policy: Policy,
    directory: Directory,
    start: datetime,
) -> None:
    out = sys.stdout
    out.write(
        f"replay of {len(recorded)} cases recorded since "
        f"{start.isoformat(timespec='seconds')} under policy {policy.version} "
        f"and directory {directory.version}\n"
    )
    differences = []
    for item in recorded:
        if isinstance(item, Recorded):
            found = replay_case(item, policy=policy, directory=directory)
            differences += found
            out.writelines(d.line() + "\n" for d in found)
    replayed = sum(isinstance(item, Recorded) for item in recorded)
    out.write(Tally.of(replayed, len(recorded) - replayed, differences).line() + "\n")
