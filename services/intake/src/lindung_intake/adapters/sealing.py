"""Encryption of the personal details intake holds, before they reach PostgreSQL.

AES-256-GCM (authenticated: a changed byte fails to open, it never decrypts to something
else). Each sealed value is stored with the id of the key that sealed it, so keys rotate:
a new key goes first in `INTAKE_DATA_KEYS`, the old ones stay after it until
`python -m lindung_intake data-keys rotate` has re-sealed every row under the new one.
The case id is bound to each value as associated data: a value copied onto another row
does not open there.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["PUBLISHED_DEMO_KEY", "DataKeys", "SealError", "Sealed", "new_key_line"]

# The example key docker-compose.yml once fell back to: published, so it protects nothing.
PUBLISHED_DEMO_KEY = b"demo-data-key-replace-me-0123456"
_NONCE_BYTES = 12
_KEY_BYTES = 32
_KEY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


class SealError(ValueError):
    """A key list that cannot be used, or a value that does not open."""


@dataclass(frozen=True)
class Sealed:
    """A sealed value: which key sealed it, and the nonce followed by the ciphertext."""

    key_id: str
    blob: bytes


class DataKeys:
    """The data keys: the first seals, every one of them opens."""

    def __init__(self, keys: list[tuple[str, bytes]]) -> None:
        if not keys:
            raise SealError("no data key given")
        ids = [key_id for key_id, _ in keys]
        if len(set(ids)) != len(ids):
            raise SealError("a data key id is given twice")
        for key_id, key in keys:
            if not _KEY_ID.match(key_id):
                raise SealError(f"data key id {key_id!r} is not letters, digits, _ . -")
            if len(key) != _KEY_BYTES:
                raise SealError(f"data key {key_id} is not {_KEY_BYTES} bytes")
        self.current = ids[0]
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys}
        self.published = tuple(key_id for key_id, key in keys if key == PUBLISHED_DEMO_KEY)

    @classmethod
    def parse(cls, text: str) -> DataKeys:
        """From `id:base64key[,id:base64key…]`, the sealing key first."""
        keys: list[tuple[str, bytes]] = []
        for n, item in enumerate(part.strip() for part in text.split(",")):
            key_id, sep, encoded = item.partition(":")
            if not sep:
                raise SealError(f"data key {n + 1} is not written id:base64key")
            try:
                key = base64.b64decode(encoded, validate=True)
            except binascii.Error:
                raise SealError(f"data key {key_id} is not base64") from None
            keys.append((key_id, key))
        return cls(keys)

    @property
    def ids(self) -> tuple[str, ...]:
        """Every key id, the sealing one first."""
        return tuple(self._ciphers)

    def seal(self, plaintext: bytes, *, bound_to: bytes) -> Sealed:
        """Encrypt under the current key; `bound_to` must be given again to open it."""
        nonce = os.urandom(_NONCE_BYTES)
        aad = self.current.encode() + b"\0" + bound_to
        return Sealed(
            self.current, nonce + self._ciphers[self.current].encrypt(nonce, plaintext, aad)
        )

    def open(self, sealed: Sealed, *, bound_to: bytes) -> bytes:
        """Decrypt; SealError when the key is unknown or the value was tampered with."""
        cipher = self._ciphers.get(sealed.key_id)
        if cipher is None:
            raise SealError(f"data key {sealed.key_id} is not configured")
        nonce, ciphertext = sealed.blob[:_NONCE_BYTES], sealed.blob[_NONCE_BYTES:]
        aad = sealed.key_id.encode() + b"\0" + bound_to
        try:
            return cipher.decrypt(nonce, ciphertext, aad)
        except InvalidTag:
            raise SealError(f"a value sealed under {sealed.key_id} does not open") from None


def new_key_line(now: datetime | None = None) -> str:
    """A fresh key as `id:base64key`, its id naming the day it was made."""
    day = (now or datetime.now(UTC)).strftime("%Y%m%d")
    key_id = f"k{day}-{secrets.token_hex(3)}"
    return f"{key_id}:{base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()}"
