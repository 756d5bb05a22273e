"""Reads and validates the rota file; a bad file stops start-up naming every bad entry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lindung_common import ConfigError
from pydantic import ValidationError

from ..domain import RotaFile  # noqa: TID252

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["RotaFileError", "load_rotas", "parse_rotas"]


class RotaFileError(ConfigError):
    """The rota file is missing, not JSON, or not valid; the message says where."""


def load_rotas(path: Path) -> RotaFile:
    """The validated rotas in `path`, or `RotaFileError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RotaFileError(f"rota file {path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise RotaFileError(f"rota file {path}: cannot read: not UTF-8") from None
    return parse_rotas(text, source=str(path))


def parse_rotas(text: str, *, source: str) -> RotaFile:
    """The validated rotas in `text` (read from `source`), or `RotaFileError`."""
    try:
        return RotaFile.model_validate_json(text)
    except ValidationError as exc:
        # Input values are left out: they may be secrets, phones or addresses.
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(file)'}: {err['msg']}"
            for err in exc.errors(include_url=False, include_input=False)
        )
        raise RotaFileError(f"rota file {source}: {reasons}") from None
