"""Reads and validates the rota file; a bad file stops start-up naming every bad entry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lindung_common import ConfigError

from ..domain import RotaFile  # noqa: TID252
from .json_file import parse_model, read_model

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["RotaFileError", "load_rotas", "parse_rotas"]


class RotaFileError(ConfigError):
    """The rota file is missing, not JSON, or not valid; the message says where."""


def load_rotas(path: Path) -> RotaFile:
    """The validated rotas in `path`, or `RotaFileError`."""
    return read_model(path, RotaFile, what="rota file", error=RotaFileError)


def parse_rotas(text: str, *, source: str) -> RotaFile:
    """The validated rotas in `text` (read from `source`), or `RotaFileError`."""
    return parse_model(text, RotaFile, source=source, what="rota file", error=RotaFileError)
