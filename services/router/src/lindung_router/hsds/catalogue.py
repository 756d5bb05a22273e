"""A directory as HSDS 3.1 services, validated, and the router's directory built from it."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ..domain import Directory  # noqa: TID252
from .mapping import HsdsFault, to_provider, to_service
from .spec import service_validator

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from jsonschema import ValidationError as SchemaError

__all__ = ["Catalogue", "RecordFault", "catalogue_of", "services_in"]

_MAX_FAULTS = 3


class RecordFault(ValueError):
    """One record of an HSDS directory is unusable: which record, which field, why."""

    def __init__(self, record: str, field: str, reason: str) -> None:
        super().__init__(f"{record}: {field}: {reason}")
        self.record, self.field, self.reason = record, field, reason


@dataclass(frozen=True)
class Catalogue:
    """The HSDS services as read (everything kept) and the router's directory from them."""

    services: tuple[dict[str, Any], ...]
    directory: Directory
    _by_id: dict[str, dict[str, Any]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {s["id"]: s for s in self.services})

    def service(self, service_id: str) -> dict[str, Any] | None:
        """The fully nested service with that id, if there is one."""
        return self._by_id.get(service_id)

    @classmethod
    def of(cls, services: Iterable[Mapping[str, Any]]) -> Catalogue:
        """Validate HSDS services against the 3.1 schema and build the directory from them.

        Raises `RecordFault` for the first record that is not valid HSDS or cannot be routed.
        """
        kept = tuple(dict(s) for s in services)
        validator = service_validator()
        for index, service in enumerate(kept):
            errors = sorted(validator.iter_errors(service), key=lambda e: list(map(str, e.path)))
            if errors:
                more = len(errors) - _MAX_FAULTS
                reason = "; ".join(e.message for e in errors[:_MAX_FAULTS])
                reason += f" (and {more} more)" if more > 0 else ""
                raise RecordFault(_record(index, service), _path(errors[0]), reason)
        repeated = [i for i, n in Counter(s["id"] for s in kept).items() if n > 1]
        if repeated:
            index = next(i for i, s in enumerate(kept) if s["id"] == repeated[0])
            raise RecordFault(_record(index, kept[index]), "id", "another service has this id")
        providers = []
        for index, service in enumerate(kept):
            try:
                provider = to_provider(service)
            except HsdsFault as fault:
                raise RecordFault(_record(index, service), fault.field, fault.reason) from None
            if provider is not None:
                providers.append(provider)
        digest = hashlib.sha256(json.dumps(kept, sort_keys=True).encode()).hexdigest()
        try:
            directory = Directory(version=f"hsds-{digest[:16]}", providers=tuple(providers))
        except ValidationError as exc:
            message = str(exc.errors(include_url=False)[0]["msg"]).removeprefix("Value error, ")
            raise RecordFault("services", "provider id", message) from None
        return cls(kept, directory)


def catalogue_of(directory: Directory) -> Catalogue:
    """A directory in Lindung's own format, as HSDS 3.1 services (version kept)."""
    services = tuple(to_service(p) for p in directory.providers)
    return Catalogue(services, directory)


def services_in(document: Any) -> list[dict[str, Any]]:
    """The services of an HSDS JSON document: a list of services, or a page of `contents`."""
    if isinstance(document, dict) and isinstance(document.get("contents"), list):
        document = document["contents"]
    if not isinstance(document, list) or not all(isinstance(s, dict) for s in document):
        raise RecordFault(
            "(top level)", "(document)", "expected a list of HSDS services or a page of them"
        )
    return document


def _record(index: int, service: Mapping[str, Any]) -> str:
    name = service.get("name")
    named = f", {name!r}" if isinstance(name, str) else ""
    return f"service {index} (id {service.get('id')!r}{named})"


def _path(error: SchemaError) -> str:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    if error.validator == "required" and isinstance(error.validator_value, list):
        missing = [f for f in error.validator_value if f not in (error.instance or {})]
        path += f".{missing[0]}" if missing else ""
    return path.lstrip(".") or "(record)"
