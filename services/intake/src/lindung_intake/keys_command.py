"""`python -m lindung_intake keys`: issue, list, rotate and revoke API keys.

    python -m lindung_intake keys issue --kind agency --id pdrm-selangor
    python -m lindung_intake keys list
    python -m lindung_intake keys rotate --key-id k_...
    python -m lindung_intake keys revoke --key-id k_...

Works on INTAKE_API_KEYS_FILE under INTAKE_KEY_SECRET. A new key is printed once, and
only its keyed hash is written; the file is replaced atomically, and a running intake
takes the change within a second or two. Rotating issues a new key to the same holder
and revokes the old one at once; revoked keys stay listed, refused.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from lindung_common.keys import KeyEntry, KeysFile, hash_key, new_key, read_keys_file

from .domain import PrincipalKind

if TYPE_CHECKING:
    from collections.abc import Sequence

    from lindung_common import Service

__all__ = ["issue_key", "keys_command", "revoke_key"]


def issue_key(
    path: Path, secret: bytes, kind: str, holder: str, states: Sequence[str] | None = None
) -> tuple[str, str]:
    """Add a new key for `holder`; returns its id and the key itself (shown once).

    `states` binds a coordinator's key to the states whose alerts it sees (`*`: all).
    """
    document = read_keys_file(path) if path.exists() else KeysFile(keys=())
    key = new_key()
    entry = KeyEntry(
        key_id=f"k_{secrets.token_hex(8)}",
        hmac_sha256=hash_key(key, secret),
        kind=kind,  # type: ignore[arg-type]  # validated by argparse's choices
        id=holder,
        states=None if states is None else tuple(states),  # type: ignore[arg-type]  # validated here
        created_at=datetime.now(UTC),
    )
    _write(path, KeysFile(keys=(*document.keys, entry)))
    return entry.key_id, key


def revoke_key(path: Path, key_id: str) -> KeyEntry:
    """Refuse a key from now on; returns its entry. Unknown ids raise LookupError."""
    document = read_keys_file(path)
    found = next((k for k in document.keys if k.key_id == key_id), None)
    if found is None:
        raise LookupError(f"no key {key_id}")
    revoked = found.model_copy(update={"revoked_at": found.revoked_at or datetime.now(UTC)})
    _write(path, KeysFile(keys=tuple(revoked if k is found else k for k in document.keys)))
    return revoked


async def keys_command(service: Service, argv: Sequence[str]) -> int:
    """The command line; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m lindung_intake keys")
    sub = parser.add_subparsers(dest="action", required=True)
    issue = sub.add_parser("issue", help="issue a new key; it is printed once")
    issue.add_argument("--kind", required=True, choices=[k.value for k in PrincipalKind])
    issue.add_argument("--id", required=True, dest="holder")
    issue.add_argument(
        "--states", nargs="+", help="a coordinator's states (e.g. selangor kuala_lumpur, or *)"
    )
    sub.add_parser("list", help="every key: id, holder, issued, revoked (never the key)")
    for name, text in (("rotate", "new key for the same holder; old one revoked"),
                       ("revoke", "refuse a key from now on")):  # fmt: skip
        sub.add_parser(name, help=text).add_argument("--key-id", required=True)
    args = parser.parse_args(list(argv))
    settings = service.settings
    path: Path = settings.api_keys_file  # type: ignore[attr-defined]
    secret = settings.key_secret.get_secret_value().encode()  # type: ignore[attr-defined]
    try:
        if args.action == "issue":
            key_id, key = issue_key(path, secret, args.kind, args.holder, args.states)
            _print({"key_id": key_id, "kind": args.kind, "id": args.holder, "key": key})
        elif args.action == "list":
            for entry in read_keys_file(path).keys:
                _print(entry.model_dump(mode="json", exclude={"hmac_sha256"}))
        elif args.action == "revoke":
            _print(revoke_key(path, args.key_id).model_dump(mode="json", exclude={"hmac_sha256"}))
        else:
            old = revoke_key(path, args.key_id)
            key_id, key = issue_key(path, secret, old.kind, old.id, old.states)
            _print({"key_id": key_id, "kind": old.kind, "id": old.id, "key": key,
                    "replaces": old.key_id})  # fmt: skip
    except LookupError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    return 0


def _write(path: Path, document: KeysFile) -> None:
    # A new file renamed over the old: a running intake never reads half a file.
    text = json.dumps(document.model_dump(mode="json", exclude_none=True), indent=2) + "\n"
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".keys-")
    with os.fdopen(handle, "w") as out:
        out.write(text)
    Path(temporary).chmod(0o600)
    Path(temporary).replace(path)


def _print(line: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(line) + "\n")
