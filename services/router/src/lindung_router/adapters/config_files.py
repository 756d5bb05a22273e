"""Reading the policy (TOML) and the directory (JSON): a bad file stops start-up, clearly."""

from __future__ import annotations

import json
import tomllib
from typing import TYPE_CHECKING, Any, TypeVar

from lindung_common import ConfigError
from pydantic import BaseModel, ValidationError

from ..domain import Directory, Policy  # noqa: TID252

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

__all__ = ["ConfigFileError", "load_directory", "load_policy"]

M = TypeVar("M", bound=BaseModel)


class ConfigFileError(ConfigError):
    """A policy or directory file cannot be used; the message names the file and each fault."""


def load_policy(path: Path) -> Policy:
    """The routing policy in a TOML file."""
    return _load(path, "policy", "TOML", tomllib.loads, Policy)


def load_directory(path: Path) -> Directory:
    """The provider directory in a JSON file."""
    return _load(path, "directory", "JSON", json.loads, Directory)


def _load(path: Path, what: str, syntax: str, parse: Callable[[str], Any], model: type[M]) -> M:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError(f"{what} file {path}: cannot be read ({exc})") from None
    try:
        document = parse(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ConfigFileError(f"{what} file {path}: not valid {syntax} ({exc})") from None
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        faults = "; ".join(_fault(err) for err in exc.errors(include_url=False))
        raise ConfigFileError(f"{what} file {path} is invalid: {faults}") from None


def _fault(error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "(top level)"
    return f"{where}: {error['msg']}"
