"""A readable, per-case timeline of everything that crosses Kafka."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiokafka import AIOKafkaConsumer
from lindung_contracts import DecodeError, decode

from .kafka import registry_topics

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["Timeline"]

_GREY, _RED, _GREEN, _YELLOW, _BOLD, _RESET = (
    "\033[90m", "\033[31m", "\033[32m", "\033[33m", "\033[1m", "\033[0m"
)  # fmt: skip


@dataclass
class Timeline:
    """Reads every registry topic and prints one line per event, grouped by case label."""

    kafka: Mapping[str, Any]  # the admin's client arguments: it reads every topic
    agencies: tuple[str, ...] = ()  # whose own topics it reads too
    labels: dict[str, str] = field(default_factory=dict)  # case id -> short label
    agency_labels: dict[str, str] = field(default_factory=dict)  # agency id -> label
    # case id -> (seconds since start, event kind, line) for the per-case story at the end;
    # by case id, since a case's referrals can be read before the event that labels it
    lines: dict[str, list[tuple[float, str, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    color: bool = True
    _started: float = field(default_factory=time.monotonic)

    async def run(self) -> None:
        """Print events until cancelled."""
        consumer = AIOKafkaConsumer(
            *(t.name for t in registry_topics(self.agencies)),
            **self.kafka,
            group_id=f"lindung-demo-timeline-{uuid.uuid4().hex[:8]}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            async for message in consumer:
                try:
                    envelope = decode(message.value, tuple(message.headers or ()))
                except DecodeError as exc:
                    self._print("?", f"{_RED}undecodable record on {message.topic}: {exc}{_RESET}")
                    continue
                self.show(envelope.type, envelope.data.model_dump(mode="json"))
        finally:
            await consumer.stop()

    def show(self, event_type: str, data: dict[str, Any]) -> None:
        """Format one event and print it."""
        kind = event_type.removeprefix("org.lindung.").removesuffix(".v1")
        case_id = str(data.get("case_id", ""))
        if kind == "case.opened" and data["agency_id"] in self.agency_labels:
            self.labels.setdefault(case_id, self.agency_labels[data["agency_id"]])
        label = self.labels.get(case_id, case_id[:8] or "-")
        text = _describe(kind, data)
        if text is None:
            return
        self.lines[case_id or label].append((self.elapsed(), kind, text))
        self._print(label, text)

    def elapsed(self) -> float:
        """Seconds since the timeline started."""
        return time.monotonic() - self._started

    def story(self, label: str) -> list[str]:
        """One case's events in order, without the delivery receipts."""
        return [
            f"+{at:6.1f}s  {self._plain(text)}"
            for at, kind, text in self._of(label)
            if not kind.startswith("notification.")
        ]

    def counts(self, label: str) -> dict[str, int]:
        """How many events of each kind one case had."""
        counted: dict[str, int] = defaultdict(int)
        for _, kind, _ in self._of(label):
            counted[kind] += 1
        return counted

    def _of(self, label: str) -> list[tuple[float, str, str]]:
        found = [
            line
            for case_id, lines in self.lines.items()
            if self.labels.get(case_id, case_id) == label
            for line in lines
        ]
        # The case was opened first, whichever topic was read first.
        return sorted(found, key=lambda line: (line[1] != "case.opened", line[0]))

    def _print(self, label: str, text: str) -> None:
        print(f"  +{self.elapsed():6.1f}s  {label:<2} {self._plain(text)}", flush=True)

    def _plain(self, text: str) -> str:
        if not self.color:
            for code in (_GREY, _RED, _GREEN, _YELLOW, _BOLD, _RESET):
                text = text.replace(code, "")
        return text


def _due_in(data: dict[str, Any]) -> str:
    start = datetime.fromisoformat(data["requested_at"])
    due = datetime.fromisoformat(data["due_at"])
    return f"{(due - start).total_seconds():.0f}s"


def _case_opened(d: dict[str, Any]) -> str:
    child, situation = d["child"], d["situation"]
    return (
        f"{_BOLD}case opened{_RESET}            by {d['agency_id']}: age "
        f"{child['age_years'] or '?'}, {child['nationality_status']}, "
        f"{', '.join(situation['indicators']) or 'no indicators'}, "
        f"at {situation['location']} in {situation['state']}"
    )


def _requested(d: dict[str, Any]) -> str:
    urgent = f"{_YELLOW}urgent{_RESET}, " if d["urgent"] else ""
    attempt = f", attempt {d['attempt']}" if d["attempt"] > 1 else ""
    return (
        f"referral requested     {d['service']} -> {d['provider_id']} "
        f"({urgent}accept within {_due_in(d)}{attempt})"
    )


def _rejected(d: dict[str, Any]) -> str:
    reasons = "; ".join(f"{e['field']}: {e['reason']}" for e in d["errors"])
    return f"{_RED}identification rejected{_RESET} from {d['agency_id']}: {reasons}"


_FORMATS: dict[str, Callable[[dict[str, Any]], str]] = {
    "case.opened": _case_opened,
    "identification.rejected": _rejected,
    "referral.requested": _requested,
    "referral.accepted": lambda d: (
        f"{_GREEN}accepted{_RESET}               {d['service']} by {d['provider_id']}"
    ),
    "referral.declined": lambda d: (
        f"{_YELLOW}declined{_RESET}               {d['service']} by {d['provider_id']}: "
        f"{d['reason']}"
    ),
    "referral.rerouted": lambda d: (
        f"re-routed              {d['service']} {d['provider_id']} -> {d['new_provider_id']}"
    ),
    "case.detention-escalated": lambda d: (
        f"{_RED}DETENTION ALERT{_RESET}        child held at {d['location']} in {d['state']}: "
        f"{len(d['referrals'])} referrals made -> {d['notify']}"
    ),
    "case.package-missed": lambda d: (
        f"{_RED}PACKAGE LATE{_RESET}           {len(d['unaccepted'])} referral(s) still not "
        f"accepted: {', '.join(u['service'] for u in d['unaccepted'])} -> {d['notify']}"
    ),
    "referral.paused": lambda d: (
        f"{_YELLOW}clock paused{_RESET}           {d['service']} at {d['provider_id']} "
        f"by {d['coordinator_id']}: {d['reason']}"
    ),
    "referral.resumed": lambda d: (
        f"clock resumed          {d['service']} at {d['provider_id']} by {d['coordinator_id']}"
    ),
    "referral.cancelled": lambda d: (
        f"withdrawn              {d['service']} from {d['provider_id']}: {d['reason']}"
    ),
    "referral.no-provider": lambda d: (
        f"{_RED}NO PROVIDER{_RESET}            for {d['service']}: coordinator alerted"
    ),
    "deadline.warning": lambda d: (
        f"{_GREY}warning {d['percent_of_window']}%{_RESET}            "
        f"{d['service']} at {d['provider_id']} not accepted yet -> {d['notify']}"
    ),
    "deadline.missed": lambda d: (
        f"{_RED}ESCALATION level {d['escalation_level']}{_RESET}     "
        f"{d['service']} at {d['provider_id']} "
        f"{d.get('cause') or 'missed its deadline'} -> {d['notify']}"
    ),
    "notification.delivered": lambda d: (
        f"{_GREY}delivered{_RESET}              {_short(d['cause_type'])} to "
        f"{d['recipient']} (HTTP {d['status_code']}, attempt {d['attempts']})"
    ),
    "notification.failed": lambda d: (
        f"{_RED}delivery failed{_RESET}        to {d['recipient']}: {d['error']}"
    ),
    "event.dead-lettered": lambda d: (
        f"{_RED}dead letter{_RESET}            from {d['consumer']}: {d['reason']}"
    ),
}


def _describe(kind: str, data: dict[str, Any]) -> str | None:
    format_ = _FORMATS.get(kind)
    return format_(data) if format_ else None


def _short(event_type: str) -> str:
    return event_type.removeprefix("org.lindung.").removesuffix(".v1")
