"""`python -m lindung_<service>`: the one way every service starts.

Settings are read once; a bad setting or configuration file stops the process with one
line naming it and the reason (exit code 2). Without arguments the service runs as a
Faust worker until SIGTERM or SIGINT; `dead-letters list|replay` works on the service's
dead letters instead (see `replay.py`).
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, NoReturn, TypeVar

from pydantic import ValidationError

from .logging import configure_logging
from .replay import dead_letters_command
from .service import ConfigError
from .settings import ServiceSettings
from .worker import create_worker_app, run_worker

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from .service import Service

__all__ = ["load_settings", "run"]

S = TypeVar("S", bound=ServiceSettings)


def load_settings(settings_class: type[S]) -> S:
    """The settings from the environment; raises `ConfigError` naming each bad variable."""
    prefix = str(settings_class.model_config.get("env_prefix", ""))
    try:
        return settings_class()
    except ValidationError as exc:
        faults = "; ".join(
            f"{prefix}{'_'.join(map(str, e['loc'])).upper() or 'SETTINGS'}: {e['msg']}"
            for e in exc.errors(include_url=False, include_input=False)
        )
        raise ConfigError(f"bad settings: {faults}") from None


def run(
    name: str,
    settings_class: type[S],
    build: Callable[[S], Service],
    argv: Sequence[str] | None = None,
) -> None:
    """Start service `name`: read settings, build, then run the worker or a command."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        settings = load_settings(settings_class)
        configure_logging(name, settings.log_level)
        service = build(settings)
    except ConfigError as exc:
        _refuse(name, str(exc))
    if args and args[0] == "dead-letters":
        sys.exit(asyncio.run(dead_letters_command(service, args[1:])))
    if args and args[0] in service.commands:
        sys.exit(asyncio.run(service.commands[args[0]](service, args[1:])))
    if args:
        known = ", ".join(f"`{c}`" for c in ("dead-letters", *service.commands))
        _refuse(name, f"unknown command {args[0]!r} (expected nothing or {known})")
    app, _ = create_worker_app(service)
    run_worker(app, name, settings.log_level)


def _refuse(name: str, reason: str) -> NoReturn:
    print(f"lindung-{name} cannot start: {reason}", file=sys.stderr)  # noqa: T201
    sys.exit(2)
