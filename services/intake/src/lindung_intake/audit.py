"""`python -m lindung_intake audit`: who read which referral or case, when, and what.

    python -m lindung_intake audit [--resource ID] [--reader ID] [--since ISO] [--limit N]

One JSON line per read, newest first; refused reads (`"shown": false`) included.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from lindung_common import Units

from .adapters import postgres as db

if TYPE_CHECKING:
    from collections.abc import Sequence

    from lindung_common import Service

__all__ = ["audit_command"]


async def audit_command(service: Service, argv: Sequence[str]) -> int:
    """Print the read audit, filtered; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m lindung_intake audit")
    parser.add_argument("--resource", type=uuid.UUID, help="a referral or case id")
    parser.add_argument("--reader", help="a provider or agency id")
    parser.add_argument("--since", type=datetime.fromisoformat, help="ISO 8601 time")
    parser.add_argument("--limit", type=int, default=100)
    args = parser.parse_args(list(argv))
    await service.db.start()
    try:
        async with Units(service.db, service.events).connection() as work:
            rows = await db.read_audit(
                work.conn,
                resource=args.resource,
                reader=args.reader,
                since=args.since,
                limit=args.limit,
            )
    finally:
        await service.db.stop()
    for row in rows:
        line = dict(row) | {"at": row["at"].isoformat(), "resource_id": str(row["resource_id"])}
        sys.stdout.write(json.dumps(line) + "\n")
    return 0
