"""Reading the policy (TOML) and the directory: a bad file stops start-up, clearly.

The directory is Open Referral HSDS 3.1 (a JSON list of services, a JSON page of them, or a
folder of the tabular form's CSV files), or, during the move to HSDS, Lindung's own JSON
format (an object with `version` and `providers`), which is read as before and served as HSDS.
"""

from __future__ import annotations

import json
import tomllib
from typing import TYPE_CHECKING, Any, TypeVar

from lindung_common import ConfigError
from pydantic import BaseModel, ValidationError

from ..domain import Directory, Policy  # noqa: TID252
from ..hsds import Catalogue, RecordFault, catalogue_of, read_tables, services_in  # noqa: TID252

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

__all__ = ["ConfigFileError", "load_catalogue", "load_directory", "load_policy"]

M = TypeVar("M", bound=BaseModel)


class ConfigFileError(ConfigError):
    """A policy or directory file cannot be used; the message names the file and each fault."""


def load_policy(path: Path) -> Policy:
    """The routing policy in a TOML file."""
    return _load(path, "policy", "TOML", tomllib.loads, Policy)


def load_directory(path: Path) -> Directory:
    """The router's provider directory, from an HSDS directory or one in Lindung's format."""
    return load_catalogue(path).directory


def load_catalogue(path: Path) -> Catalogue:
    """The directory as HSDS services and as the router's directory (see the module)."""
    try:
        if path.is_dir():
            return Catalogue.of(read_tables(path))
        document = _parse(path, "directory", "JSON", json.loads)
        if isinstance(document, dict) and "contents" not in document:  # Lindung's own format
            return catalogue_of(_valid(path, "directory", document, Directory))
        return Catalogue.of(services_in(document))
    except RecordFault as fault:
        raise ConfigFileError(f"directory {path} is invalid: {fault}") from None


def _load(path: Path, what: str, syntax: str, parse: Callable[[str], Any], model: type[M]) -> M:
    return _valid(path, what, _parse(path, what, syntax, parse), model)


def _parse(path: Path, what: str, syntax: str, parse: Callable[[str], Any]) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError(f"{what} file {path}: cannot be read ({exc})") from None
    try:
        document = parse(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ConfigFileError(f"{what} file {path}: not valid {syntax} ({exc})") from None
    return document


def _valid(path: Path, what: str, document: Any, model: type[M]) -> M:
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        faults = "; ".join(_fault(err) for err in exc.errors(include_url=False))
        raise ConfigFileError(f"{what} file {path} is invalid: {faults}") from None


def _fault(error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "(top level)"
    return f"{where}: {error['msg']}"
