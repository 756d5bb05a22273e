"""`python -m lindung_notifier`: the notifier worker (or `dead-letters list|replay`)."""

from __future__ import annotations

from lindung_common import run

from .bootstrap import SERVICE, build
from .settings import NotifierSettings


def main() -> None:
    """Start the notifier; exit 2 with the reason when a setting or the endpoints file is bad."""
    run(SERVICE, NotifierSettings, build)


if __name__ == "__main__":
    main()
