"""The one place that wires the router together: files, runtime and handlers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from lindung_common import Runtime, new_id

from .adapters.config_files import load_directory, load_policy
from .handlers import Router

if TYPE_CHECKING:
    from collections.abc import Mapping

    from lindung_common import Clock, Handler, IdFactory
    from lindung_contracts import Payload

    from .settings import RouterSettings

__all__ = ["MIGRATIONS", "SERVICE", "Wired", "bootstrap"]

SERVICE = "router"
MIGRATIONS = Path(__file__).parent / "migrations"
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Wired:
    """The wired service: what the entry points need."""

    runtime: Runtime
    router: Router

    @property
    def handlers(self) -> Mapping[type[Payload], Handler]:
        """The handler for each consumed event type."""
        return self.router.handlers


def bootstrap(
    settings: RouterSettings,
    *,
    schema: str | None = None,
    clock: Clock | None = None,
    ids: IdFactory = new_id,
) -> Wired:
    """Build the router; raises `ConfigFileError` when the policy or directory file is bad."""
    policy = load_policy(settings.policy_file)
    directory = load_directory(settings.directory_file)
    log.info(
        "policy and directory loaded",
        policy_version=policy.version,
        directory_version=directory.version,
        providers=len(directory.providers),
    )
    for service in directory.services_without_provider():
        log.warning("no accepting provider offers this service", service_type=service.value)
    runtime = Runtime(
        service=SERVICE,
        schema=schema or settings.db_schema,
        settings=settings,
        migrations=MIGRATIONS,
        clock=clock,
        ids=ids,
    )
    return Wired(runtime=runtime, router=Router(runtime, policy, directory))
