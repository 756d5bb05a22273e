"""`python -m lindung_intake data-keys`: make a data key, see what each key sealed, rotate.

    python -m lindung_intake data-keys new       # prints `id:base64key`, once
    python -m lindung_intake data-keys status    # cases and notes sealed per key id
    python -m lindung_intake data-keys rotate    # re-seal under the first key

To rotate: put a new key first in INTAKE_DATA_KEYS and keep the old ones after it,
restart intake (new personal details and notes are sealed under the new key from then
on), run `rotate`, then remove the old keys. `rotate` works in small transactions and
skips rows another process holds, so it can run beside a live intake and be run again.
It also seals into notes any words an older version stored as reasons (intake does so
at start as well); `status` counts what is left of them, and exits 1 while any is.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from lindung_common import Units

from .adapters import notes as stored
from .adapters import postgres as db
from .adapters.sealing import DataKeys, Sealed, new_key_line
from .use_cases import seal_old_words

if TYPE_CHECKING:
    from collections.abc import Sequence

    from lindung_common import Service

__all__ = ["data_keys_command", "reseal_all", "reseal_notes"]


async def reseal_all(service: Service, keys: DataKeys, *, batch: int = 200) -> int:
    """Re-seal under the current key every case an older configured key sealed; how many.

    A case sealed by a key no longer configured is left as it is (and `status` names it).
    """
    units = _units(service)
    done = 0
    while True:
        async with units.open() as work:
            rows = await db.personal_to_reseal(work.conn, keys.ids[1:], batch)
            for row in rows:
                bound_to = row["case_id"].bytes
                sealed = Sealed(row["personal_key_id"], row["personal"])
                plain = keys.open(sealed, bound_to=bound_to)
                await db.reseal(work.conn, row["case_id"], keys.seal(plain, bound_to=bound_to))
        done += len(rows)
        if len(rows) < batch:
            return done


async def reseal_notes(service: Service, keys: DataKeys, *, batch: int = 200) -> int:
    """Re-seal under the current key every note an older configured key sealed; how many."""
    units = _units(service)
    done = 0
    while True:
        async with units.open() as work:
            rows = await stored.notes_to_reseal(work.conn, keys.ids[1:], batch)
            for row in rows:
                sealed = Sealed(row["words_key_id"], bytes(row["words"]))
                words = stored.open_words(keys, row["note_id"], sealed)
                fresh = stored.seal_words(keys, row["note_id"], words)
                await stored.reseal_note(work.conn, row["note_id"], fresh)
        done += len(rows)
        if len(rows) < batch:
            return done


async def data_keys_command(service: Service, argv: Sequence[str]) -> int:
    """The command line; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m lindung_intake data-keys")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("new", help="print a fresh key as id:base64key (put it first to use it)")
    sub.add_parser("status", help="how many cases and notes each key id sealed")
    sub.add_parser("rotate", help="re-seal every case and note under the first key")
    args = parser.parse_args(list(argv))
    if args.action == "new":
        sys.stdout.write(new_key_line() + "\n")
        return 0
    secret = service.settings.data_keys.get_secret_value()  # type: ignore[attr-defined]
    keys = DataKeys.parse(secret)
    await service.db.start()
    try:
        if args.action == "rotate":
            words = await seal_old_words(_units(service), keys)
            count = await reseal_all(service, keys)
            notes = await reseal_notes(service, keys)
            _print(
                {
                    "resealed": count,
                    "notes_resealed": notes,
                    "old_reasons_sealed": words,
                    "key_id": keys.current,
                }
            )
        async with _units(service).connection() as work:
            sealed = await db.personal_by_key(work.conn)
            notes_sealed = await stored.notes_by_key(work.conn)
            words_left = await stored.old_words_left(work.conn)
        unknown = sorted((set(sealed) | set(notes_sealed)) - set(keys.ids))
        _print(
            {
                "current": keys.current,
                "sealed_by_key": sealed,
                "notes_by_key": notes_sealed,
                "old_reasons_unsealed": words_left,
                "unknown_keys": unknown,
            }
        )
    finally:
        await service.db.stop()
    return 1 if unknown or words_left else 0


def _units(service: Service) -> Units:
    limit = service.settings.outbox_max_event_bytes
    return Units(service.db, service.events, max_event_bytes=limit)


def _print(line: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(line) + "\n")
