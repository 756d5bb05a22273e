"""`python -m lindung_<service>`: the one way every service starts.

Settings are read once; a bad setting or configuration file stops the process with one
line naming it and the reason (exit code 2). Without arguments the service runs as a
Faust worker until SIGTERM or SIGINT; `dead-letters list|replay` works on the service's
dead letters instead (see `replay.py`); `--help` lists every setting, needing none.
"""

from __future__ import annotations

import asyncio
import sys
import textwrap
from typing import TYPE_CHECKING, NoReturn, TypeVar

from pydantic import SecretStr, ValidationError

from .logging import configure_logging
from .replay import dead_letters_command
from .service import ConfigError
from .settings import ServiceSettings
from .worker import create_worker_app, run_worker

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from .service import Service

__all__ = ["load_settings", "run", "usage"]

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
    if args and args[0] in {"-h", "--help", "help"}:
        print(usage(name, settings_class))  # noqa: T201
        sys.exit(0)
    try:
        settings = load_settings(settings_class)
        # A command's output is its stdout: its logs go to stderr.
        configure_logging(name, settings.log_level, sys.stderr if args else None)
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


def usage(name: str, settings_class: type[ServiceSettings]) -> str:
    """How to start the service, and every setting it reads, for `--help`.

    Needs no setting itself: an operator asks before anything is configured.
    """
    prefix = str(settings_class.model_config.get("env_prefix", ""))
    lines = [
        f"usage: python -m lindung_{name.replace('-', '_')} [COMMAND ...]",
        "",
        "Without a command, runs the service until SIGTERM or SIGINT.",
        "Commands: `dead-letters list|replay`, and those its README names.",
        "A bad or missing setting stops it with exit code 2, naming each.",
        "",
        "Settings, from the environment:",
    ]
    for field_name, info in settings_class.model_fields.items():
        if info.is_required():
            given = "required"
        elif info.default_factory is not None:
            given = "computed when not set"
        elif isinstance(info.default, SecretStr):
            given = "secret, has a default"
        else:
            given = f"default {info.default!r}"
        lines.append(f"  {prefix}{field_name.upper()}  ({given})")
        described = info.description or info.title or ""
        lines.extend(
            textwrap.wrap(described, width=88, initial_indent=" " * 6, subsequent_indent=" " * 6)
        )
    return "\n".join(lines)


def _refuse(name: str, reason: str) -> NoReturn:
    print(f"lindung-{name} cannot start: {reason}", file=sys.stderr)  # noqa: T201
    sys.exit(2)
