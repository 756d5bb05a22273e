"""An HSDS 3.1 directory written by another tool: imported, validated, routed, served, exported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from lindung_common import Runtime
from lindung_contracts import MalaysianState, ReferralRequested
from lindung_router.adapters.config_files import load_directory
from lindung_router.bootstrap import build
from lindung_router.hsds.spec import response_validator
from lindung_router.settings import RouterSettings

pytestmark = pytest.mark.integration

HERE = Path(__file__).parent / "hsds"
OTHER_TOOL = json.loads((HERE / "other_tool.json").read_text())
SPEC_EXAMPLE = json.loads((HERE / "spec_service_full.json").read_text())
SHELTER = "6b2e7d3f-9a1c-4c8f-8e2d-4f3a5b6c7d01"  # no Lindung provider id: its service id is
# Who a child in Sarawak is referred to, by that directory.
SARAWAK = {
    "child_protector": "jpks-protector-kuching",
    "safe_shelter": SHELTER,
    "health": "klinik-kuching",
    "legal_aid": "legal-aid-my",
}
# Settings a command needs to start; it connects to none of them.
UNUSED = {
    "ROUTER_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
    "ROUTER_KAFKA_SASL_USERNAME": "router",
    "ROUTER_KAFKA_SASL_PASSWORD": "unused",
    "ROUTER_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
}


def router_command(*args: str, directory: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROUTER_")}
    env |= UNUSED | {"ROUTER_DIRECTORY_FILE": str(directory)}
    return subprocess.run(
        [sys.executable, "-m", "lindung_router", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
async def start_router(stack, schema, clock):
    """Starts the router (without Faust) on a directory file or folder; stops it after."""
    started: list[Runtime] = []

    async def start(directory: Path, **settings) -> Runtime:
        settings.setdefault("hsds_api", True)
        runtime = Runtime(
            build(
                RouterSettings(
                    **stack.kafka_settings("router"),
                    database_url=stack.database_url,
                    directory_file=directory,
                    **settings,
                ),
                schema=schema,
                clock=clock,
            )
        )
        await runtime.start()
        started.append(runtime)
        return runtime

    yield start
    for runtime in started:
        await runtime.stop()


@pytest.fixture
async def hsds_router(start_router, tmp_path):
    """The router on the other tool's directory, the specification's own example beside it."""
    path = tmp_path / "directory.json"
    path.write_text(json.dumps([*OTHER_TOOL, SPEC_EXAMPLE]))
    return await start_router(path)


async def routed(runtime, case_opened, referrals, outbox, state=MalaysianState.SARAWAK):
    """Route one case in `state`; the provider per service, as stored and as published."""
    envelope = case_opened(state=state)
    await runtime.deliver(envelope)
    case_id = envelope.data.case_id
    stored = {
        row["service"]: row["provider_id"]
        for row in await referrals(runtime)
        if row["case_id"] == case_id
    }
    sent = {
        e.service.value: e.provider_id
        for _, e in await outbox(runtime)
        if isinstance(e, ReferralRequested) and e.case_id == case_id
    }
    assert stored == sent
    return stored


async def test_a_child_in_that_directorys_state_is_referred_to_its_providers(
    hsds_router, case_opened, referrals, outbox
):
    assert await routed(hsds_router, case_opened, referrals, outbox) == SARAWAK


async def test_the_served_endpoints_answer_as_the_hsds_openapi_document_says(hsds_router):
    transport = httpx.ASGITransport(app=hsds_router.web())
    async with httpx.AsyncClient(transport=transport, base_url="http://router") as http:
        about = await http.get("/hsds/")
        first = await http.get("/hsds/services", params={"per_page": 2})
        last = await http.get("/hsds/services", params={"per_page": 2, "page": 3, "full": "true"})
        one = await http.get(f"/hsds/services/{SHELTER}")
        document = await http.get(about.json()["openapi_url"])
        unknown = await http.get("/hsds/services/2b0c7c9e-0000-4000-8000-000000000000")
        bad_page = await http.get("/hsds/services", params={"page": "0"})
        too_many = await http.get("/hsds/services", params={"per_page": "501"})

    assert about.status_code == 200
    assert about.json()["version"] == "3.1"
    assert_valid("/", about.json())
    assert document.status_code == 200
    assert document.json()["openapi"] == "3.1.0"
    assert set(document.json()["paths"]) == {"/", "/services", "/services/{id}"}
    assert "REQUIRED" not in json.dumps(document.json()["info"])

    for page in (first, last):
        assert page.status_code == 200
        assert_valid("/services", page.json())
    assert {k: v for k, v in first.json().items() if k != "contents"} == {
        "total_items": 6, "total_pages": 3, "page_number": 1, "size": 2,
        "first_page": True, "last_page": False, "empty": False,
    }  # fmt: skip
    # Without `full`, a listing has each service's own fields only, as HSDS says.
    assert [s["id"] for s in first.json()["contents"]] == [s["id"] for s in OTHER_TOOL[:2]]
    assert "service_areas" not in first.json()["contents"][0]
    assert (
        first.json()["contents"][0]["organization"]["name"] == OTHER_TOOL[0]["organization"]["name"]
    )
    assert last.json()["last_page"] is True
    assert last.json()["contents"] == [OTHER_TOOL[4], SPEC_EXAMPLE]  # everything, as written

    assert one.status_code == 200
    assert_valid("/services/{id}", one.json())
    assert one.json() == OTHER_TOOL[1]  # capacity and all, as the other tool wrote it
    assert one.json()["capacities"][0]["available"] == 2

    assert unknown.status_code == 404
    assert unknown.json() == {
        "errors": [{"field": "id", "reason": "no service in the directory has this id"}]
    }
    assert bad_page.status_code == 400
    assert bad_page.json()["errors"][0]["field"] == "page"
    assert too_many.status_code == 400
    assert too_many.json()["errors"][0]["field"] == "per_page"


def assert_valid(path: str, body: object) -> None:
    errors = [
        f"{list(e.absolute_path)}: {e.message}" for e in response_validator(path).iter_errors(body)
    ]
    assert errors == []


async def test_the_served_endpoints_can_be_turned_off(start_router, tmp_path):
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(OTHER_TOOL))
    runtime = await start_router(path, hsds_api=False)
    transport = httpx.ASGITransport(app=runtime.web())
    async with httpx.AsyncClient(transport=transport, base_url="http://router") as http:
        assert (await http.get("/hsds/services")).status_code == 404
        assert (await http.get("/health/live")).status_code == 200


async def test_exported_csv_tables_import_and_route_the_same(
    start_router, tmp_path, case_opened, referrals, outbox
):
    source = tmp_path / "directory.json"
    source.write_text(json.dumps(OTHER_TOOL))
    exported = router_command("hsds-export", str(tmp_path / "tables"), directory=source)
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "tables" / "services.csv").read_text().count("\n") == 1 + len(OTHER_TOOL)

    runtime = await start_router(tmp_path / "tables")
    assert await routed(runtime, case_opened, referrals, outbox) == SARAWAK
    transport = httpx.ASGITransport(app=runtime.web())
    async with httpx.AsyncClient(transport=transport, base_url="http://router") as http:
        shelter = (await http.get(f"/hsds/services/{SHELTER}")).json()
    assert shelter["capacities"][0]["available"] == 2
    assert shelter["capacities"][0]["unit"]["name"] == "bed"


async def test_lindungs_own_format_exports_to_hsds_that_routes_the_same(
    start_router, tmp_path, case_opened, referrals, outbox
):
    seed = Path(__file__).parents[3] / "deploy" / "demo" / "directory.hsds.json"
    demo = tmp_path / "directory.json"
    demo.write_text(load_directory(seed).model_dump_json())  # version and providers
    exported = router_command("hsds-export", str(tmp_path / "demo.json"), directory=demo)
    assert exported.returncode == 0, exported.stderr
    services = json.loads((tmp_path / "demo.json").read_text())
    assert len(services) == len(json.loads(demo.read_text())["providers"])

    johor = MalaysianState.JOHOR
    before = await routed(await start_router(demo), case_opened, referrals, outbox, johor)
    after = await routed(
        await start_router(tmp_path / "demo.json"), case_opened, referrals, outbox, johor
    )
    assert after == before
    assert before["safe_shelter"] == "shelter-jhr-1"


def test_a_directory_with_a_bad_record_stops_start_up_naming_it(tmp_path):
    broken = json.loads(json.dumps(OTHER_TOOL))
    broken[2]["service_at_locations"][0]["location"]["location_type"] = "building"
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(broken))
    done = router_command(directory=path)
    assert done.returncode == 2
    [line] = [line for line in done.stderr.splitlines() if str(path) in line]
    assert f"service 2 (id '{OTHER_TOOL[2]['id']}', 'Klinik Kanak-Kanak Kuching')" in line
    assert "service_at_locations[0].location.location_type" in line
    assert "'building' is not one of ['physical', 'postal', 'virtual']" in line
