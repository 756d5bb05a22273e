"""`python -m lindung_sla_monitor`: load the settings once, configure logging, run the worker."""

from __future__ import annotations

from lindung_common import configure_logging
from lindung_common.faust_app import run_worker

from .bootstrap import SERVICE, build_app
from .settings import SlaMonitorSettings


def main() -> None:
    """Run the sla-monitor worker until SIGTERM or SIGINT."""
    settings = SlaMonitorSettings()
    configure_logging(SERVICE, settings.log_level)
    run_worker(build_app(settings), SERVICE, settings.log_level)


if __name__ == "__main__":
    main()
