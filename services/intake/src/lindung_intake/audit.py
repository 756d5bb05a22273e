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

if TYPE_CHECKING:
    from collections.abc import Sequence

    from lindung_common import Service

__all__ = ["audit_command"]

_SELECT = (
    "SELECT at, reader_kind, reader_id, resource, resource_id, fields, shown FROM read_audit"
    " WHERE ($1::uuid IS NULL OR resource_id = $1) AND ($2::text IS NULL OR reader_id = $2)"
    " AND ($3::timestamptz IS NULL OR at >= $3) ORDER BY at DESC, id DESC LIMIT $4"
)


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
        async with service.db.pool.acquire() as conn:
            rows = await conn.fetch(_SELECT, args.resource, args.reader, args.since, args.limit)
    finally:
        await service.db.stop()
    for row in rows:
        line = dict(row) | {"at": row["at"].isoformat(), "resource_id": str(row["resource_id"])}
        sys.stdout.write(json.dumps(line) + "\n")
    return 0
