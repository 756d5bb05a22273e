"""Runtime shared by the Lindung services. Import from here; the submodules are private."""

from .clock import Clock, IdFactory, SystemClock, new_id
from .db import apply_migrations, create_pool
from .health import health_router
from .inbox import first_delivery
from .kafka import create_producer, dead_letter
from .logging import configure_logging, logging_dict_config
from .outbox import OutboxRelay, add_to_outbox
from .runtime import Handler, Record, Runtime
from .settings import ServiceSettings, schema_field

__all__ = [
    "Clock",
    "Handler",
    "IdFactory",
    "OutboxRelay",
    "Record",
    "Runtime",
    "ServiceSettings",
    "SystemClock",
    "add_to_outbox",
    "apply_migrations",
    "configure_logging",
    "create_pool",
    "create_producer",
    "dead_letter",
    "first_delivery",
    "health_router",
    "logging_dict_config",
    "new_id",
    "schema_field",
]
