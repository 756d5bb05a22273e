"""Intake's rules: who may call, and what a valid identification or answer is."""

from .auth import Principal, PrincipalKind, hash_key, new_key
from .linking import Linker
from .projection import FIELDS_FOR, may_share, pick, project, shown_fields
from .rules import check_identification_time, check_response, fingerprint

__all__ = [
    "FIELDS_FOR",
    "Linker",
    "Principal",
    "PrincipalKind",
    "check_identification_time",
    "check_response",
    "fingerprint",
    "hash_key",
    "may_share",
    "new_key",
    "pick",
    "project",
    "shown_fields",
]
