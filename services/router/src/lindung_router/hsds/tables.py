"""HSDS 3.1's tabular form: one CSV file per table in a folder, to nested services and back.

Read and written: services, organizations, languages, service_areas, service_at_location,
locations, addresses, attributes, taxonomy_terms, service_capacity and units (what routing
and capacity use). Other tables a folder holds (phones, schedules, contacts, ...) are not
read; the JSON form keeps everything.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from .catalogue import RecordFault
from .spec import table_schema

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

__all__ = ["read_tables", "write_tables"]

Row = dict[str, Any]
_SCALAR = ("string", "number", "integer", "boolean")


def _columns(table: str) -> list[str]:
    properties = table_schema(table)["properties"]
    return [name for name, spec in properties.items() if spec.get("type") in _SCALAR]


def _file(table: str) -> str:
    return str(table_schema(table)["path"])


def _typed(table: str, file: str, line: int, row: dict[str, str]) -> Row:
    """A CSV row with its empty cells left out and its numbers as numbers."""
    properties = table_schema(table)["properties"]
    typed: Row = {}
    for name, text in row.items():
        if name is None or text is None or text == "" or name not in properties:
            continue
        kind = properties[name].get("type")
        if kind in ("number", "integer"):
            try:
                number = float(text)
            except ValueError:
                reason = f"{text!r} is not a number"
                raise RecordFault(f"{file} line {line}", name, reason) from None
            typed[name] = int(number) if number.is_integer() else number
        elif kind == "boolean":
            typed[name] = text.strip().lower() in ("true", "1", "yes")
        else:
            typed[name] = text
    return typed


def _rows(folder: Path, table: str) -> list[Row]:
    path = folder / _file(table)
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [
            _typed(table, path.name, line, row)
            for line, row in enumerate(csv.DictReader(handle), start=2)
        ]


def _group(rows: Iterable[Row], key: str) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        if key in row:
            grouped[row[key]].append(row)
    return grouped


def read_tables(folder: Path) -> list[Row]:
    """The fully nested services a folder of HSDS CSV files describes, in file order."""
    if not (folder / _file("service")).exists():
        raise RecordFault(str(folder), _file("service"), "missing: the folder holds no services")
    one = {t: {r["id"]: r for r in _rows(folder, t) if "id" in r}
           for t in ("organization", "location", "taxonomy_term", "unit")}  # fmt: skip
    addresses = _group(_rows(folder, "address"), "location_id")
    areas = _rows(folder, "service_area")
    areas_of_service = _group(areas, "service_id")
    areas_of_sal = _group(areas, "service_at_location_id")
    languages = _group(_rows(folder, "language"), "service_id")
    attributes = _group(_rows(folder, "attribute"), "link_id")
    capacities = _group(_rows(folder, "service_capacity"), "service_id")
    sals = _group(_rows(folder, "service_at_location"), "service_id")
    services = []
    for row in _rows(folder, "service"):
        sid = row.get("id", "")
        service = dict(row)
        if row.get("organization_id") in one["organization"]:
            service["organization"] = one["organization"][row["organization_id"]]
        nested: dict[str, list[Row]] = {
            "languages": languages.get(sid, []),
            "service_areas": [a for a in areas_of_service.get(sid, [])
                              if "service_at_location_id" not in a],
            "service_at_locations": [_sal(s, one["location"], addresses, areas_of_sal)
                                     for s in sals.get(sid, [])],
            "attributes": [_with(a, "taxonomy_term", one["taxonomy_term"])
                           for a in attributes.get(sid, [])],
            "capacities": [_with(c, "unit", one["unit"]) for c in capacities.get(sid, [])],
        }  # fmt: skip
        service |= {name: rows for name, rows in nested.items() if rows}
        services.append(service)
    return services


def _with(row: Row, name: str, table: dict[str, Row]) -> Row:
    linked = table.get(row.get(f"{name}_id", ""))
    return row | ({name: linked} if linked is not None else {})


def _sal(
    sal: Row,
    locations: dict[str, Row],
    addresses: dict[str, list[Row]],
    areas: dict[str, list[Row]],
) -> Row:
    nested = dict(sal)
    if sal.get("id") in areas:
        nested["service_areas"] = areas[sal["id"]]
    location = locations.get(sal.get("location_id", ""))
    if location is not None:
        nested["location"] = location | (
            {"addresses": addresses[location["id"]]} if location["id"] in addresses else {}
        )
    return nested


def write_tables(services: Iterable[Row], folder: Path) -> None:
    """Write nested services as one CSV file per table (only the tables `read_tables` reads)."""
    tables: dict[str, dict[str, Row]] = {t: {} for t in _TABLE_ORDER}

    def put(table: str, row: Row, **links: Any) -> None:
        # The tabular form links rows by ids the nested form may leave out.
        tables[table].setdefault(row["id"], row | {k: v for k, v in links.items() if v})

    for service in services:
        _flatten(service, put)
    folder.mkdir(parents=True, exist_ok=True)
    for table, rows in tables.items():
        with (folder / _file(table)).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, _columns(table), extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows.values())


def _flatten(service: Row, put: Callable[..., None]) -> None:
    """Hand each record a nested service holds to `put(table, row, **links)`."""
    sid = service["id"]
    put("service", service, organization_id=(service.get("organization") or {}).get("id"))
    if service.get("organization"):
        put("organization", service["organization"])
    for language in service.get("languages", ()):
        put("language", language, service_id=sid)
    for area in service.get("service_areas", ()):
        put("service_area", area, service_id=sid)
    for sal in service.get("service_at_locations", ()):
        _flatten_sal(sid, sal, put)
    for attribute in service.get("attributes", ()):
        term_id = (attribute.get("taxonomy_term") or {}).get("id")
        put("attribute", attribute, link_id=sid, taxonomy_term_id=term_id)
        if attribute.get("taxonomy_term"):
            put("taxonomy_term", attribute["taxonomy_term"])
    for capacity in service.get("capacities", ()):
        unit_id = (capacity.get("unit") or {}).get("id")
        put("service_capacity", capacity, service_id=sid, unit_id=unit_id)
        if capacity.get("unit"):
            put("unit", capacity["unit"])


def _flatten_sal(sid: str, sal: Row, put: Callable[..., None]) -> None:
    location_id = (sal.get("location") or {}).get("id")
    put("service_at_location", sal, service_id=sid, location_id=location_id)
    for area in sal.get("service_areas", ()):
        put("service_area", area, service_at_location_id=sal["id"])
    location = sal.get("location")
    if location:
        put("location", location)
        for address in location.get("addresses", ()):
            put("address", address, location_id=location["id"])


_TABLE_ORDER = (
    "organization",
    "service",
    "location",
    "address",
    "service_at_location",
    "service_area",
    "language",
    "taxonomy_term",
    "attribute",
    "unit",
    "service_capacity",
)
