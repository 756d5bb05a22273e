"""Callers (an agency, a provider, a case coordinator, operations), known by a keyed hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Principal", "PrincipalKind", "hash_key", "new_key"]

_KEY_PREFIX = "lk_"


class PrincipalKind(StrEnum):
    """What a caller is allowed to be."""

    AGENCY = "agency"
    PROVIDER = "provider"
    COORDINATOR = "coordinator"
    OPERATIONS = "operations"  # reads the read audit; reads no case or referral


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    kind: PrincipalKind
    id: str


def hash_key(api_key: str, secret: bytes) -> str:
    """HMAC-SHA256 of an API key under the server's secret, hex: what the keys file holds.

    Keyed, so a leaked keys file cannot be checked against guessed or leaked keys
    without the secret, which lives in the settings, not beside the file.
    """
    return hmac.new(secret, api_key.encode(), hashlib.sha256).hexdigest()


def new_key() -> str:
    """A fresh API key: 256 random bits, URL-safe, recognisable by its prefix."""
    return _KEY_PREFIX + secrets.token_urlsafe(32)
