"""`python -m lindung_sla_monitor`: the sla-monitor worker (or `dead-letters list|replay`)."""

from __future__ import annotations

from lindung_common import run

from .bootstrap import SERVICE, build
from .settings import SlaMonitorSettings


def main() -> None:
    """Start the sla-monitor; exit 2 with the reason when a setting is bad."""
    run(SERVICE, SlaMonitorSettings, build)


if __name__ == "__main__":
    main()
