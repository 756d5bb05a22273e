"""`python -m lindung_notifier`: load the settings once, configure logging, run the worker."""

from __future__ import annotations

import sys

import structlog
from lindung_common import configure_logging
from lindung_common.faust_app import run_worker

from .adapters.endpoints_file import EndpointsFileError
from .bootstrap import SERVICE
from .entrypoints.app import create_app
from .settings import NotifierSettings


def main() -> None:
    """Start the notifier worker; exit 2 with the reason when the endpoints file is bad."""
    settings = NotifierSettings()  # type: ignore[call-arg,unused-ignore]  # from the environment
    configure_logging(SERVICE, settings.log_level)
    try:
        app = create_app(settings)
    except EndpointsFileError as exc:
        structlog.get_logger(__name__).error("cannot start: bad endpoints file", error=str(exc))
        sys.exit(2)
    run_worker(app, SERVICE, settings.log_level)


if __name__ == "__main__":
    main()
