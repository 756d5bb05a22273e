"""`python -m lindung_intake`: the API, the Kafka door and the outbox relay in one worker."""

from __future__ import annotations

from lindung_common import run

from .bootstrap import SERVICE, build
from .settings import IntakeSettings


def main() -> None:
    """Start intake; exit 2 with the reason when a setting or the keys file is bad."""
    run(SERVICE, IntakeSettings, build)


if __name__ == "__main__":
    main()
