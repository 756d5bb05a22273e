"""Reads and validates the endpoints file; a bad file stops start-up with every reason."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lindung_common import ConfigError
from pydantic import ValidationError

from ..domain import Endpoints  # noqa: TID252

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["EndpointsFileError", "load_endpoints", "parse_endpoints"]


class EndpointsFileError(ConfigError):
    """The endpoints file is missing, not JSON, or not valid; the message says where."""


def load_endpoints(path: Path) -> Endpoints:
    """The validated endpoints in `path`, or `EndpointsFileError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EndpointsFileError(f"endpoints file {path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise EndpointsFileError(f"endpoints file {path}: cannot read: not UTF-8") from None
    return parse_endpoints(text, source=str(path))


def parse_endpoints(text: str, *, source: str) -> Endpoints:
    """The validated endpoints in `text` (read from `source`), or `EndpointsFileError`."""
    try:
        return Endpoints.model_validate_json(text)
    except ValidationError as exc:
        # Input values are left out: they may be secrets.
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(file)'}: {err['msg']}"
            for err in exc.errors(include_url=False, include_input=False)
        )
        raise EndpointsFileError(f"endpoints file {source}: {reasons}") from None
