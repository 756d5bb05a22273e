"""`python -m lindung_router`: the router worker (or `dead-letters list|replay`)."""

from __future__ import annotations

from lindung_common import run

from .bootstrap import SERVICE, build
from .settings import RouterSettings


def main() -> None:
    """Start the router; exit 2 with the reason when a setting or a file is bad."""
    run(SERVICE, RouterSettings, build)


if __name__ == "__main__":
    main()
