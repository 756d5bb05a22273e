"""What every Lindung service is built from. Import from here; the submodules are private.

A service declares a `Service` (consumers with their handlers, timers, tasks, routes) in
its `bootstrap.build`, and its `__main__` calls `run`. Everything else here is what that
declaration is made of, and what tests need to drive it without Faust.
"""

from .clock import Clock, IdFactory, SystemClock, new_id
from .consume import ConsumePath
from .consumers import Consumer, ConsumerState, Handler, Outcome, RunHandler
from .db import Database, apply_migrations, create_pool
from .deadletters import DeadLetter, announce_dead_letter, original_identity
from .events import Events
from .failures import Failure, FailureClass, RecordRefused, classify
from .guard import BodyGuard, guard_bodies, is_json, problem
from .health import Check, Concern, Health
from .inbox import first_delivery
from .kafka import client_options, create_producer
from .logging import configure_logging, logging_dict_config
from .outbox import EventTooLarge, add_to_outbox
from .records import Record
from .relay import OutboxRelay
from .replay import replay_dead_letters
from .retention import Keep, Pruner, PruneReport, cutoffs
from .run import load_settings, run
from .runtime import PRUNE_TIMER, Runtime
from .service import ConfigError, Service, Task, Timer, foundations
from .settings import ServiceSettings, schema_field
from .work import Units, Work, transaction

__all__ = [
    "PRUNE_TIMER",
    "BodyGuard",
    "Check",
    "Clock",
    "Concern",
    "ConfigError",
    "ConsumePath",
    "Consumer",
    "ConsumerState",
    "Database",
    "DeadLetter",
    "EventTooLarge",
    "Events",
    "Failure",
    "FailureClass",
    "Handler",
    "Health",
    "IdFactory",
    "Keep",
    "OutboxRelay",
    "Outcome",
    "PruneReport",
    "Pruner",
    "Record",
    "RecordRefused",
    "RunHandler",
    "Runtime",
    "Service",
    "ServiceSettings",
    "SystemClock",
    "Task",
    "Timer",
    "Units",
    "Work",
    "add_to_outbox",
    "announce_dead_letter",
    "apply_migrations",
    "classify",
    "client_options",
    "configure_logging",
    "create_pool",
    "create_producer",
    "cutoffs",
    "first_delivery",
    "foundations",
    "guard_bodies",
    "is_json",
    "load_settings",
    "logging_dict_config",
    "new_id",
    "original_identity",
    "problem",
    "replay_dead_letters",
    "run",
    "schema_field",
    "transaction",
]
