"""Reads and validates the endpoints file; a bad file stops start-up with every reason."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lindung_common import ConfigError

from ..domain import Endpoints  # noqa: TID252
from .json_file import parse_model, read_model

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["EndpointsFileError", "load_endpoints", "parse_endpoints"]


class EndpointsFileError(ConfigError):
    """The endpoints file is missing, not JSON, or not valid; the message says where."""


def load_endpoints(path: Path) -> Endpoints:
    """The validated endpoints in `path`, or `EndpointsFileError`."""
    return read_model(path, Endpoints, what="endpoints file", error=EndpointsFileError)


def parse_endpoints(text: str, *, source: str) -> Endpoints:
    """The validated endpoints in `text` (read from `source`), or `EndpointsFileError`."""
    return parse_model(
        text, Endpoints, source=source, what="endpoints file", error=EndpointsFileError
    )
