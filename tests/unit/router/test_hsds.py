"""The directory as Open Referral HSDS 3.1: the pure mapping, validation, the demo seed, CSV."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path

import pytest
from lindung_contracts import MalaysianState, ServiceType
from lindung_router.adapters.config_files import ConfigFileError, load_catalogue, load_directory
from lindung_router.domain import Provider, choose_provider
from lindung_router.hsds import Catalogue, RecordFault, read_tables, write_tables
from lindung_router.hsds.mapping import HsdsFault, to_provider, to_service
from lindung_router.hsds.spec import service_validator

ROOT = Path(__file__).parents[3]
DEMO = ROOT / "deploy" / "demo"
SEED = DEMO / "directory.hsds.json"
OTHER_TOOL = ROOT / "tests" / "integration" / "router" / "hsds" / "other_tool.json"
SPEC_EXAMPLE = ROOT / "tests" / "integration" / "router" / "hsds" / "spec_service_full.json"


def _id() -> str:
    return str(uuid.uuid4())


def lindung_term(code: str, taxonomy: str = "lindung:service_type", value: str | None = None):
    attribute = {
        "id": _id(),
        "taxonomy_term": {"id": _id(), "code": code, "name": code, "description": code,
                          "taxonomy": taxonomy},
    }  # fmt: skip
    return attribute | ({"value": value} if value is not None else {})


def service(**fields):
    """A minimal valid HSDS service offering a shelter in Johor."""
    return {
        "id": _id(),
        "name": "Rumah Contoh",
        "status": "active",
        "service_areas": [{"id": _id(), "name": "Johor"}],
        "attributes": [lindung_term("safe_shelter")],
    } | fields


def test_a_service_becomes_a_provider_as_the_mapping_says():
    hsds = service(
        status="temporarily closed",
        languages=[{"id": _id(), "code": "en-GB"}, {"id": _id(), "code": "MS"}],
        service_areas=[
            {"id": _id(), "name": "WP Kuala Lumpur"},
            {"id": _id(), "name": "anything", "uri": "https://www.iso.org/obp/ui/#iso:code:3166:MY-07"},
            {"id": _id(), "name": "Pulau Pinang"},  # the same state again, by its Malay name
            {"id": _id(), "name": "MY-01", "extent": "MY-01", "extent_type": "text"},
            {"id": _id(), "name": "Kampung Baru"},  # names no state: not a state, no fault
        ],
        attributes=[
            lindung_term("safe_shelter"),
            lindung_term("psychosocial"),
            lindung_term("provider_id", "lindung:provider", "Shelter-Contoh-1"),
            lindung_term("priority", "lindung:provider", "3"),
            lindung_term("something", "another taxonomy"),
        ],
    )  # fmt: skip
    provider = to_provider(hsds)
    assert provider == Provider(
        id="shelter-contoh-1",
        name="Rumah Contoh",
        services=(ServiceType.SAFE_SHELTER, ServiceType.PSYCHOSOCIAL),
        states=(MalaysianState.KUALA_LUMPUR, MalaysianState.PENANG, MalaysianState.JOHOR),
        languages=("en", "ms"),
        accepting=False,
        priority=3,
    )


def test_without_a_provider_id_the_service_id_names_the_provider_and_addresses_place_it():
    hsds = service(
        service_areas=[],
        service_at_locations=[{
            "id": _id(),
            "location": {"id": _id(), "location_type": "physical", "addresses": [
                {"id": _id(), "address_1": "1 Jalan", "city": "Kota Kinabalu",
                 "state_province": "Sabah", "postal_code": "88000", "country": "MY",
                 "address_type": "physical"}]},
        }],
    )  # fmt: skip
    provider = to_provider(hsds)
    assert provider is not None
    assert provider.id == hsds["id"]
    assert provider.states == (MalaysianState.SABAH,)
    assert provider.districts == ("kota-kinabalu",)
    assert provider.priority == 100


def test_malaysia_as_a_service_area_means_every_state():
    provider = to_provider(service(service_areas=[{"id": _id(), "name": "Malaysia"}]))
    assert provider is not None
    assert provider.states == ("*",)


@pytest.mark.parametrize("hsds", [service(attributes=[]), service(status="defunct")])
def test_a_service_that_is_not_lindungs_or_is_defunct_is_no_provider(hsds):
    assert to_provider(hsds) is None


@pytest.mark.parametrize(
    ("hsds", "field", "reason"),
    [
        (service(attributes=[lindung_term("shelter")]), "attributes[0].taxonomy_term.code",
         "'shelter' is not one of child_protector"),
        (service(service_areas=[{"id": _id(), "name": "Bangkok"}]), "service_areas",
         "names no Malaysian state"),
        (service(languages=[{"id": _id(), "code": "Bahasa"}]), "languages[0].code",
         "not an ISO 639-1 or 639-3 code"),
        (service(attributes=[lindung_term("health"),
                             lindung_term("priority", "lindung:provider", "first")]),
         "attributes[1].value", "priority 'first' is not a whole number"),
        (service(attributes=[lindung_term("health"),
                             lindung_term("provider_id", "lindung:provider", "a b")]),
         "attributes[1].value", "String should match pattern"),
    ],
)  # fmt: skip
def test_a_service_lindung_cannot_route_with_names_the_field(hsds, field, reason):
    with pytest.raises(HsdsFault) as caught:
        to_provider(hsds)
    assert caught.value.field == field
    assert reason in caught.value.reason


def test_a_provider_round_trips_through_hsds():
    provider = Provider(
        id="shelter-x-1",
        name="Shelter X",
        services=(ServiceType.SAFE_SHELTER, ServiceType.HEALTH),
        states=(MalaysianState.SELANGOR, MalaysianState.PUTRAJAYA),
        districts=("petaling", "kuala-selangor"),
        languages=("ms", "rhg"),
        accepting=False,
        priority=7,
    )
    hsds = to_service(provider)
    assert list(service_validator().iter_errors(hsds)) == []
    assert to_provider(hsds) == provider
    assert to_service(to_provider(hsds)) == hsds  # ids derived from the provider id: stable


def test_an_invalid_record_is_refused_naming_record_field_and_reason():
    good = service()
    bad = service(name="Broken", status="open")
    bad["service_areas"][0]["id"] = "not-a-uuid"
    with pytest.raises(RecordFault) as caught:
        Catalogue.of([good, bad])
    assert caught.value.record == f"service 1 (id {bad['id']!r}, 'Broken')"
    assert caught.value.field == "service_areas[0].id"
    assert "'not-a-uuid' is not a 'uuid'" in caught.value.reason
    assert "'open' is not one of" in caught.value.reason


def test_a_missing_required_field_is_named():
    bad = service()
    del bad["status"]
    with pytest.raises(RecordFault) as caught:
        Catalogue.of([bad])
    assert caught.value.field == "status"
    assert caught.value.reason == "'status' is a required property"


def test_two_services_naming_one_provider_are_refused():
    twins = [service(attributes=[lindung_term("health"),
                                 lindung_term("provider_id", "lindung:provider", "twin")])
             for _ in range(2)]  # fmt: skip
    with pytest.raises(RecordFault, match="provider ids repeat: twin"):
        Catalogue.of(twins)


def test_a_bad_hsds_file_stops_loading_with_one_line(tmp_path):
    path = tmp_path / "directory.json"
    path.write_text(json.dumps([service(), service(languages=[{"id": _id(), "code": "??"}])]))
    with pytest.raises(ConfigFileError) as caught:
        load_directory(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"directory {path} is invalid: service 1 (id ")
    assert message.endswith("languages[0].code: not an ISO 639-1 or 639-3 code")


def test_the_spec_example_validates_and_is_kept_but_routes_nothing():
    example = json.loads(SPEC_EXAMPLE.read_text())
    catalogue = Catalogue.of([example])
    assert catalogue.directory.providers == ()
    assert catalogue.service(example["id"]) == example


def test_the_demo_seed_reaches_every_state():
    seed = load_catalogue(SEED)
    for state in MalaysianState:
        for wanted in ServiceType:
            serving = [p for p in seed.directory.providers
                       if wanted in p.services and p.accepting and p.serves(state)]  # fmt: skip
            assert serving, (state, wanted)  # in the state itself, or nationwide
            choice = choose_provider(seed.directory, wanted, state=state, languages=("ms",))
            assert choice.provider is not None, (state, wanted)
    local = {s for p in seed.directory.providers for s in p.states
             if ServiceType.SAFE_SHELTER in p.services}  # fmt: skip
    assert local == set(MalaysianState)  # a shelter in every state, not just a national one
    for record in seed.services:
        assert "Demo data" in record["description"]
        assert "Demo data" in record["organization"]["description"]


def test_csv_tables_round_trip_services_with_capacity(tmp_path):
    other = json.loads(OTHER_TOOL.read_text())
    original = Catalogue.of(other)
    write_tables(original.services, tmp_path / "tables")
    assert (tmp_path / "tables" / "service_capacity.csv").read_text().count("\n") == 2
    back = load_catalogue(tmp_path / "tables")
    assert back.directory.providers == original.directory.providers
    shelter, before = (c.service("6b2e7d3f-9a1c-4c8f-8e2d-4f3a5b6c7d01") for c in (back, original))
    assert shelter is not None
    assert before is not None
    # The same capacity, now also linked to its unit by id, as the tabular form links rows.
    [capacity] = before["capacities"]
    assert shelter["capacities"] == [capacity | {"unit_id": capacity["unit"]["id"]}]


def test_the_seed_round_trips_through_csv_exactly(tmp_path):
    seed = load_catalogue(SEED)
    write_tables(seed.services, tmp_path)
    assert read_tables(tmp_path) == list(seed.services)


def test_a_csv_cell_that_should_be_a_number_names_file_line_and_column(tmp_path):
    write_tables(json.loads(OTHER_TOOL.read_text()), tmp_path)
    path = tmp_path / "service_capacity.csv"
    path.write_text(path.read_text().replace(",2,12,", ",two,12,"))
    with pytest.raises(ConfigFileError, match=r"service_capacity\.csv line 2: available: 'two'"):
        load_catalogue(tmp_path)


def test_lindungs_own_format_is_still_read_and_becomes_valid_hsds(tmp_path):
    seed = load_catalogue(SEED).directory
    path = tmp_path / "directory.json"
    path.write_text(seed.model_dump_json())  # Lindung's own format: version and providers
    catalogue = load_catalogue(path)
    assert catalogue.directory == seed
    validator = service_validator()
    assert all(not list(validator.iter_errors(s)) for s in catalogue.services)
    assert Catalogue.of(copy.deepcopy(catalogue.services)).directory.providers == (
        catalogue.directory.providers
    )
