"""What an HSDS 3 service means to routing, and back: pure functions, no I/O.

One HSDS `service` is one Lindung provider:

- the provider id is the `value` of an attribute whose taxonomy term is `provider_id` in the
  taxonomy `lindung:provider` (or, without one, the service's own id);
- its Lindung services are the `code`s of attributes whose term is in the taxonomy
  `lindung:service_type` (`safe_shelter`, `health`, ...); a service with none is not
  Lindung's to route to and is left out of routing (it is still kept and served);
- the states it serves come from its service areas (its own and its service-at-locations'):
  an ISO 3166-2:MY code (`MY-10`) as a `text` extent or at the end of the `uri`, or the
  state's name (`Selangor`, `Pulau Pinang`, `WP Kuala Lumpur`); `Malaysia` or `MY` is the
  whole country. Without service areas, the `state_province` of its locations' addresses;
- districts come from its locations: an `external_identifier` of type `lindung:district`,
  or the `city` of an address, as a slug the way identifications name them (`Kuala
  Selangor` -> `kuala-selangor`);
- languages are its `languages[].code`, lower case, any region tag dropped (`en-GB` -> `en`);
- `status` `active` is accepting, `inactive` or `temporarily closed` is not, `defunct`
  leaves it out; the `priority` attribute (taxonomy `lindung:provider`) orders it (lower
  first; 100 without one);
- its name is the service's `name`.

Everything else the service holds (organization, contacts, schedules, eligibility,
`capacities`, ...) is kept as written and served, but does not route.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

from lindung_contracts import MalaysianState, ServiceType
from pydantic import ValidationError

from ..domain import NATIONWIDE, Provider  # noqa: TID252
from .places import area_of, state_coded, state_named

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "DISTRICT_ID_TYPE",
    "PROVIDER_TAXONOMY",
    "SERVICE_TYPE_TAXONOMY",
    "HsdsFault",
    "hsds_id",
    "to_provider",
    "to_service",
]

SERVICE_TYPE_TAXONOMY = "lindung:service_type"
PROVIDER_TAXONOMY = "lindung:provider"
DISTRICT_ID_TYPE = "lindung:district"
_DEFAULT_PRIORITY = 100
_NAMESPACE = uuid.UUID("5c0f8a52-4d0e-5b5e-9a43-0d6c1f2b7a11")


class HsdsFault(ValueError):
    """A service Lindung cannot route with: which field, and why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def hsds_id(*parts: str) -> str:
    """A stable UUID for a record Lindung writes, from what it stands for."""
    return str(uuid.uuid5(_NAMESPACE, ":".join(parts)))


def _terms(service: Mapping[str, Any], taxonomy: str) -> list[tuple[int, dict[str, Any]]]:
    """(index, attribute) for each of the service's attributes with a term of `taxonomy`."""
    found = []
    for i, attribute in enumerate(service.get("attributes") or ()):
        term = attribute.get("taxonomy_term") or {}
        if term.get("taxonomy") == taxonomy:
            found.append((i, attribute))
    return found


def _area_state(area: Mapping[str, Any]) -> MalaysianState | str | None:
    """The state an area names (`*` for the whole country), or None if it names none."""
    candidates = []
    if area.get("extent_type") == "text" and area.get("extent"):
        candidates.append(str(area["extent"]))
    if area.get("uri"):
        candidates.append(str(area["uri"]))
    for text in candidates:
        if (state := state_coded(text)) is not None:
            return state
    return state_named(str(area.get("name") or ""))


def _states(service: Mapping[str, Any]) -> tuple[str, ...]:
    areas = list(service.get("service_areas") or ())
    for sal in service.get("service_at_locations") or ():
        areas += sal.get("service_areas") or ()
    named = [_area_state(a) for a in areas]
    if not areas:  # no service areas: where its locations are
        named = [state_named(str(a.get("state_province", ""))) for a in _addresses(service)]
    states = list(dict.fromkeys(s for s in named if s is not None))
    if not states:
        where = "service_areas" if areas else "service_areas (none) or location addresses"
        raise HsdsFault(where, "names no Malaysian state (an ISO 3166-2:MY code or a name)")
    return (NATIONWIDE,) if NATIONWIDE in states else tuple(states)


def _addresses(service: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [
        address
        for sal in service.get("service_at_locations") or ()
        for address in (sal.get("location") or {}).get("addresses") or ()
    ]


def _districts(service: Mapping[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    for sal in service.get("service_at_locations") or ():
        location = sal.get("location") or {}
        if location.get("external_identifier_type") == DISTRICT_ID_TYPE:
            found.append(str(location.get("external_identifier", "")).strip())
        found += [str(a.get("city", "")).strip() for a in location.get("addresses") or ()]
    slugs = (re.sub(r"[^a-z0-9]+", "-", d.lower()).strip("-") for d in found)
    return tuple(dict.fromkeys(d for d in slugs if d))


def _languages(service: Mapping[str, Any]) -> tuple[str, ...]:
    codes = []
    for i, language in enumerate(service.get("languages") or ()):
        code = str(language.get("code") or "").split("-")[0].strip().lower()
        if not re.fullmatch(r"[a-z]{2,3}", code):
            raise HsdsFault(f"languages[{i}].code", "not an ISO 639-1 or 639-3 code")
        codes.append(code)
    return tuple(dict.fromkeys(codes))


def _provider_attribute(service: Mapping[str, Any], code: str) -> tuple[str, str] | None:
    """(field, value) of the service's `lindung:provider` attribute with that term code."""
    for i, attribute in _terms(service, PROVIDER_TAXONOMY):
        if attribute["taxonomy_term"].get("code") == code:
            return f"attributes[{i}].value", str(attribute.get("value") or "").strip()
    return None


def to_provider(service: Mapping[str, Any]) -> Provider | None:
    """The provider an HSDS service is; None if it offers no Lindung service or is defunct.

    Raises `HsdsFault` naming the field when it offers one but cannot be routed to.
    """
    types = []
    for i, attribute in _terms(service, SERVICE_TYPE_TAXONOMY):
        code = attribute["taxonomy_term"].get("code")
        try:
            types.append(ServiceType(code))
        except ValueError:
            known = ", ".join(s.value for s in ServiceType)
            raise HsdsFault(
                f"attributes[{i}].taxonomy_term.code", f"{code!r} is not one of {known}"
            ) from None
    if not types or service.get("status") == "defunct":
        return None
    id_field, provider_id = _provider_attribute(service, "provider_id") or ("id", service["id"])
    priority = _DEFAULT_PRIORITY
    if (found := _provider_attribute(service, "priority")) is not None:
        field, value = found
        if not value.isdigit():
            raise HsdsFault(field, f"priority {value!r} is not a whole number of 0 or more")
        priority = int(value)
    fields = {
        "id": provider_id.lower(),
        "name": service["name"],
        "services": tuple(dict.fromkeys(types)),
        "states": _states(service),
        "districts": _districts(service),
        "languages": _languages(service),
        "accepting": service.get("status") == "active",
        "priority": priority,
    }
    try:
        return Provider.model_validate(fields)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = {"id": id_field, "name": "name"}.get(str(error["loc"][0]), str(error["loc"][0]))
        raise HsdsFault(where, str(error["msg"])) from None


def _term(taxonomy: str, code: str, name: str, description: str) -> dict[str, Any]:
    return {
        "id": hsds_id("taxonomy_term", taxonomy, code),
        "code": code,
        "name": name,
        "description": description,
        "taxonomy": taxonomy,
    }


def _attribute(service_id: str, term: dict[str, Any], value: str | None = None) -> dict[str, Any]:
    attribute = {
        "id": hsds_id("attribute", service_id, term["taxonomy"], term["code"]),
        "link_id": service_id,
        "link_type": term["taxonomy"],
        "link_entity": "service",
        "taxonomy_term_id": term["id"],
        "taxonomy_term": term,
    }
    return attribute | ({"value": value} if value is not None else {})


def _area(service_id: str, state: str) -> dict[str, Any]:
    code, name = area_of(state)
    return {
        "id": hsds_id("service_area", service_id, code),
        "service_id": service_id,
        "name": name,
        "extent": code,
        "extent_type": "text",
    }


def to_service(
    provider: Provider, *, organization: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The provider as one fully nested HSDS 3.1 service (ids derived from the provider id)."""
    sid = hsds_id("service", provider.id)
    org = (
        dict(organization)
        if organization is not None
        else {
            "id": hsds_id("organization", provider.id),
            "name": provider.name,
            "description": provider.name,
        }
    )
    attributes = [
        _attribute(sid, _term(PROVIDER_TAXONOMY, "provider_id", "Lindung provider id",
                              "The id Lindung's referrals and answers name this provider by."),
                   provider.id),
        _attribute(sid, _term(PROVIDER_TAXONOMY, "priority", "Lindung priority",
                              "Among equally near providers, lower is asked first."),
                   str(provider.priority)),
    ] + [
        _attribute(sid, _term(SERVICE_TYPE_TAXONOMY, s.value, s.value.replace("_", " "),
                              f"Lindung refers children to this service for {s.value}."))
        for s in provider.services
    ]  # fmt: skip
    locations = [
        {
            "id": hsds_id("service_at_location", sid, district),
            "service_id": sid,
            "location_id": hsds_id("location", sid, district),
            "location": {
                "id": hsds_id("location", sid, district),
                "location_type": "physical",
                "name": district,
                "external_identifier": district,
                "external_identifier_type": DISTRICT_ID_TYPE,
            },
        }
        for district in provider.districts
    ]
    service = {
        "id": sid,
        "organization_id": org["id"],
        "name": provider.name,
        "status": "active" if provider.accepting else "temporarily closed",
        "languages": [
            {"id": hsds_id("language", sid, code), "service_id": sid, "code": code}
            for code in provider.languages
        ],
        "service_areas": [_area(sid, state) for state in provider.states],
        "service_at_locations": locations,
        "attributes": attributes,
        "organization": org,
    }
    return {k: v for k, v in service.items() if v != []}
