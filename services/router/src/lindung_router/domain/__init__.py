"""The router's rules: needs, deadlines, ladders, provider choice, lifecycle. No I/O."""

from .clock import ClockChange, change_clock
from .closing import Closing, close_case, ended_by_closing
from .directory import NATIONWIDE, NEIGHBOURS, Choice, Directory, Provider, choose_provider
from .durations import Duration, format_duration, parse_duration
from .guardrails import detention_alert
from .lifecycle import (
    Outcome,
    ReferralState,
    ReferralStatus,
    apply_response,
    reason_of,
    transition,
)
from .policy import Ladder, Policy, Silence, Window, due_time, escalation_ladder
from .reassignment import Chosen, choose, refuse_reassignment
from .routing import CaseFacts, Routed, reroute, route
from .rules import PEP_WINDOW, Need, needs, pep_deadline
from .silence import SILENCE_NOTE, UNDELIVERED_NOTE, Miss, MissOutcome, on_missed

__all__ = [
    "NATIONWIDE",
    "NEIGHBOURS",
    "PEP_WINDOW",
    "SILENCE_NOTE",
    "UNDELIVERED_NOTE",
    "CaseFacts",
    "Choice",
    "Chosen",
    "ClockChange",
    "Closing",
    "Directory",
    "Duration",
    "Ladder",
    "Miss",
    "MissOutcome",
    "Need",
    "Outcome",
    "Policy",
    "Provider",
    "ReferralState",
    "ReferralStatus",
    "Routed",
    "Silence",
    "Window",
    "apply_response",
    "change_clock",
    "choose",
    "choose_provider",
    "close_case",
    "detention_alert",
    "due_time",
    "ended_by_closing",
    "escalation_ladder",
    "format_duration",
    "needs",
    "on_missed",
    "parse_duration",
    "pep_deadline",
    "reason_of",
    "refuse_reassignment",
    "reroute",
    "route",
    "transition",
]
