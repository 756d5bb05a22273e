"""An operator's JSON file read into its model; a bad file stops start-up naming each fault.

The endpoints file and the rota file are read the same way: a file that cannot be read,
is not UTF-8 or does not fit its model raises the caller's `ConfigError` with one line
naming the file, each bad entry and why. Input values are left out of the message: they
may be secrets, phone numbers or addresses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    from pathlib import Path

    from lindung_common import ConfigError

__all__ = ["parse_model", "read_model"]

M = TypeVar("M", bound=BaseModel)


def read_model(path: Path, model: type[M], *, what: str, error: type[ConfigError]) -> M:
    """The validated `model` in the file at `path` (`what` names it), or `error`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"{what} {path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise error(f"{what} {path}: cannot read: not UTF-8") from None
    return parse_model(text, model, source=str(path), what=what, error=error)


def parse_model(
    text: str, model: type[M], *, source: str, what: str, error: type[ConfigError]
) -> M:
    """The validated `model` in `text` (read from `source`), or `error`."""
    try:
        return model.model_validate_json(text)
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(file)'}: {err['msg']}"
            for err in exc.errors(include_url=False, include_input=False)
        )
        raise error(f"{what} {source}: {reasons}") from None
