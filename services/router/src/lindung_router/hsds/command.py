"""`python -m lindung_router hsds-export PATH`: the directory as HSDS 3.1, for partners."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .tables import write_tables

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine, Sequence

    from lindung_common import Service

    from .catalogue import Catalogue

__all__ = ["export_command"]

_USAGE = (
    "usage: python -m lindung_router hsds-export PATH\n"
    "  PATH ending in .json: one JSON list of fully nested HSDS services; any other PATH:\n"
    "  a folder of HSDS CSV tables, one per table (created if need be).\n"
)


def export_command(
    catalogue: Catalogue,
) -> Callable[[Service, Sequence[str]], Coroutine[Any, Any, int]]:
    """The command, bound to the directory the router was configured with."""

    async def export(_service: Service, args: Sequence[str]) -> int:
        if len(args) != 1:
            sys.stderr.write(_USAGE)
            return 2
        await asyncio.to_thread(_write, list(catalogue.services), args[0])
        return 0

    return export


def _write(services: list[dict[str, Any]], where: str) -> None:
    text = json.dumps(services, indent=1, ensure_ascii=False) + "\n"
    if where.endswith(".json"):
        Path(where).write_text(text, encoding="utf-8")
    else:
        write_tables(services, Path(where))
