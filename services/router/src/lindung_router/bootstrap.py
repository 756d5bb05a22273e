"""The one place that wires the router together: its files, its handlers, its service shape."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from lindung_common import Service, foundations

from .adapters.config_files import load_catalogue, load_policy
from .handlers import Router
from .hsds.api import hsds_routes
from .hsds.command import export_command
from .replay import replay_command

if TYPE_CHECKING:
    from lindung_common import Clock, IdFactory

    from .settings import RouterSettings

__all__ = ["MIGRATIONS", "SERVICE", "build"]

SERVICE = "router"
MIGRATIONS = Path(__file__).parent / "migrations"
log = structlog.get_logger(__name__)


def build(
    settings: RouterSettings,
    *,
    schema: str | None = None,
    clock: Clock | None = None,
    ids: IdFactory | None = None,
) -> Service:
    """The router as a service; raises `ConfigFileError` when the policy or directory is bad."""
    policy = load_policy(settings.policy_file)
    catalogue = load_catalogue(settings.directory_file)
    directory = catalogue.directory
    log.info(
        "policy and directory loaded",
        policy_version=policy.version,
        directory_version=directory.version,
        providers=len(directory.providers),
        hsds_services=len(catalogue.services),
    )
    for service in directory.services_without_provider():
        log.warning("no accepting provider offers this service", service_type=service.value)
    db, events = foundations(SERVICE, settings, MIGRATIONS, schema=schema, clock=clock, ids=ids)
    router = Router(policy, directory)
    return Service(
        name=SERVICE,
        settings=settings,
        db=db,
        events=events,
        consumers=[router.consumer()],
        routes=[hsds_routes(catalogue)] if settings.hsds_api else [],
        commands={"hsds-export": export_command(catalogue), "replay": replay_command},
    )
