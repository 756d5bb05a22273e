"""`python -m lindung_router`: load the settings once, configure logging, run the worker."""

from __future__ import annotations

import sys
from typing import NoReturn

import structlog
from lindung_common import configure_logging
from lindung_common.faust_app import run_worker
from pydantic import ValidationError

from .adapters.config_files import ConfigFileError
from .bootstrap import SERVICE
from .entrypoints.app import create_app
from .settings import RouterSettings

_PREFIX = RouterSettings.model_config.get("env_prefix", "")


def main() -> None:
    """Start the router worker; exit 2 with the reason when a setting or a file is bad."""
    try:
        settings = RouterSettings()  # type: ignore[call-arg,unused-ignore]  # from the environment
    except ValidationError as exc:
        faults = "; ".join(
            f"{_PREFIX}{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        _refuse(f"bad settings: {faults}")
    configure_logging(SERVICE, settings.log_level)
    try:
        app = create_app(settings)
    except ConfigFileError as exc:
        structlog.get_logger(__name__).error("cannot start: bad configuration file", error=str(exc))
        _refuse(str(exc))
    run_worker(app, SERVICE, settings.log_level)


def _refuse(reason: str) -> NoReturn:
    # Also on stderr, for whoever started the process at a shell.
    print(f"lindung-router cannot start: {reason}", file=sys.stderr)  # noqa: T201
    sys.exit(2)


if __name__ == "__main__":
    main()
