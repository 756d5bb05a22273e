"""The committed schemas, AsyncAPI document and topic pages match the models and registry."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from jsonschema import Draft202012Validator
from lindung_contracts import PAYLOAD_TYPES, TOPICS, schema_uri
from lindung_contracts._schemas import data_schema, envelope_schema
from lindung_contracts.compat import breaking_changes
from lindung_contracts.generate import (
    CONTRACTS_DIR,
    BreakingChangeError,
    check,
    main,
    render,
    write,
)

SCHEMAS = CONTRACTS_DIR / "schemas"
ACCEPTED = "org.lindung.referral.accepted.v1"


def committed(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text())


def current_schema(name: str) -> dict:
    event_type = name.removesuffix(".json")
    return envelope_schema() if event_type == "envelope" else data_schema(PAYLOAD_TYPES[event_type])


@pytest.fixture
def checkout(tmp_path):
    """A copy of the committed contract documents, to spoil without touching the real ones."""
    root = tmp_path / "contracts"
    root.mkdir()
    shutil.copy(CONTRACTS_DIR / "pyproject.toml", root)
    shutil.copy(CONTRACTS_DIR / "asyncapi.json", root)
    for folder in ("schemas", "topics", "examples"):
        shutil.copytree(CONTRACTS_DIR / folder, root / folder)
    (root / "src" / "lindung_contracts").mkdir(parents=True)
    return root


def test_committed_documents_match_the_models():
    assert check() == []


def test_generation_is_deterministic_and_tidy():
    first, second = render(), render()

    assert first == second
    for rel, text in first.items():
        assert text.endswith("\n"), rel
        if rel.endswith(".json"):
            document = json.loads(text)
            assert json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n" == text


@pytest.mark.parametrize("name", sorted(p.name for p in SCHEMAS.glob("*.json")))
def test_current_models_do_not_break_the_committed_schemas(name):
    assert name.removesuffix(".json") in {*PAYLOAD_TYPES, "envelope"}, "type was removed"
    assert breaking_changes(committed(name), current_schema(name)) == []


@pytest.mark.parametrize("event_type", sorted(PAYLOAD_TYPES))
def test_schema_files_are_draft_2020_12_with_the_dataschema_id(event_type):
    schema = committed(f"{event_type}.json")

    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == schema_uri(event_type)
    assert schema["title"] == PAYLOAD_TYPES[event_type].__name__
    assert event_type in schema["description"]


def test_check_names_each_drifted_missing_and_stale_file(checkout, capsys):
    spoiled = checkout / "schemas" / f"{ACCEPTED}.json"
    spoiled.write_text(spoiled.read_text().replace("the deadline clock stops", "edited"))
    (checkout / "topics" / "lindung.cases.v1.md").unlink()
    (checkout / "topics" / "lindung.old-topic.v1.md").write_text("# old\n")

    problems = check(checkout)

    assert problems == [
        f"contracts/schemas/{ACCEPTED}.json: differs from what the models generate",
        "contracts/topics/lindung.cases.v1.md: missing",
        "contracts/topics/lindung.old-topic.v1.md: no longer generated",
    ]
    assert main(["--check", "--root", str(checkout)]) == 1
    reported = capsys.readouterr().err
    assert all(problem in reported for problem in problems)


def test_check_passes_and_generate_changes_nothing_on_a_clean_copy(checkout):
    before = {p: p.read_bytes() for p in checkout.rglob("*") if p.is_file()}

    assert main(["--check", "--root", str(checkout)]) == 0
    assert write(checkout) == []
    assert {p: p.read_bytes() for p in checkout.rglob("*") if p.is_file()} == before


def test_generate_repairs_drift(checkout):
    (checkout / "asyncapi.json").write_text("{}\n")
    (checkout / "topics" / "README.md").unlink()

    assert write(checkout) == ["asyncapi.json", "topics/README.md"]
    assert check(checkout) == []


def test_generate_refuses_to_overwrite_a_released_schema_with_a_breaking_change(checkout):
    # As if the released schema had a required field the model has since lost.
    path = checkout / "schemas" / f"{ACCEPTED}.json"
    released = json.loads(path.read_text())
    released["properties"]["accepted_by"] = {"type": "string"}
    released["required"].append("accepted_by")
    path.write_text(json.dumps(released))
    removed = checkout / "schemas" / "org.lindung.referral.withdrawn.v1.json"
    removed.write_text(json.dumps(released))

    with pytest.raises(BreakingChangeError) as raised:
        write(checkout)

    assert raised.value.problems == (
        f"contracts/schemas/{ACCEPTED}.json: required field `accepted_by` was removed",
        (
            "contracts/schemas/org.lindung.referral.withdrawn.v1.json: committed, but no "
            "payload type has it any more (removing a type breaks its consumers)"
        ),
    )
    assert json.loads(path.read_text()) == released
    assert main(["--root", str(checkout)]) == 1
    assert main(["--check", "--root", str(checkout)]) == 1

    write(checkout, allow_breaking=True)

    assert not removed.exists()
    assert check(checkout) == []


def test_asyncapi_describes_every_topic_message_and_service():
    document = json.loads((CONTRACTS_DIR / "asyncapi.json").read_text())
    channels = {c["address"]: c for c in document["channels"].values()}
    messages = document["components"]["messages"]
    operations = document["operations"].values()

    assert document["asyncapi"] == "3.0.0"
    assert set(channels) == {topic.name for topic in TOPICS}
    for topic in TOPICS:
        channel = channels[topic.name]
        assert channel["bindings"]["kafka"]["partitions"] == topic.partitions
        assert channel["x-key"] == topic.key
        names = {messages[ref.rsplit("/", 1)[-1]]["name"] for ref in _refs(channel["messages"])}
        assert names == {p.event_type for p in topic.payloads}
        for action, services in (("send", topic.producers), ("receive", topic.consumers)):
            assert {
                op["tags"][0]["name"]
                for op in operations
                if op["action"] == action
                and op["channel"]["$ref"].endswith("/" + _key_of(document, topic.name))
            } == set(services)
    for payload in PAYLOAD_TYPES.values():
        message = messages[payload.__name__]
        assert message["contentType"] == "application/cloudevents+json"
        assert message["bindings"]["kafka"]["key"]["type"] == "string"


def test_asyncapi_names_the_brokers_tls_or_not_and_their_scram_security():
    document = json.loads((CONTRACTS_DIR / "asyncapi.json").read_text())
    servers = document["servers"]
    schemes = document["components"]["securitySchemes"]

    assert {s["protocol"] for s in servers.values()} == {"kafka-secure", "kafka"}
    for server in servers.values():
        names = [ref["$ref"].rsplit("/", 1)[-1] for ref in server["security"]]
        # SCRAM-SHA-512 first: what every service uses unless told otherwise.
        assert [schemes[name]["type"] for name in names] == ["scramSha512", "scramSha256"]
        assert set(re.findall(r"{(\w+)}", server["host"])) == set(server["variables"])
    assert "SASL_SSL" in servers["tls"]["description"]
    assert "SASL_PLAINTEXT" in servers["plaintext"]["description"]


@pytest.mark.parametrize("event_type", sorted(PAYLOAD_TYPES))
def test_asyncapi_message_example_validates_against_its_payload_schema(event_type):
    document = json.loads((CONTRACTS_DIR / "asyncapi.json").read_text())
    name = PAYLOAD_TYPES[event_type].__name__
    example = json.loads((CONTRACTS_DIR / "examples" / f"{event_type}.json").read_text())
    # The document itself is the schema resource, so `#/components/...` refs resolve.
    validator = Draft202012Validator({**document, "$ref": f"#/components/messages/{name}/payload"})

    assert document["components"]["messages"][name]["examples"][0]["payload"] == example
    assert [e.message for e in validator.iter_errors(example)] == []
    assert list(validator.iter_errors({**example, "type": "org.lindung.other.v1"})) != []


@pytest.mark.parametrize("topic", TOPICS, ids=lambda topic: topic.name)
def test_topic_page_names_producers_consumers_and_links_existing_files(topic):
    page = (CONTRACTS_DIR / "topics" / f"{topic.name}.md").read_text()

    assert f"| Produced by | {', '.join(topic.producers)} |" in page
    assert f"| Consumed by | {', '.join(topic.consumers)} |" in page
    assert f"| Partitions | {topic.partitions} |" in page
    links = re.findall(r"\]\(\.\./([^)]+)\)", page)
    for payload in topic.payloads:
        assert f"schemas/{payload.event_type}.json" in links
        assert f"examples/{payload.event_type}.json" in links
    assert all((CONTRACTS_DIR / link).is_file() for link in links)


def _refs(messages: dict) -> list[str]:
    return [m["$ref"] for m in messages.values()]


def _key_of(document: dict, address: str) -> str:
    return next(k for k, c in document["channels"].items() if c["address"] == address)
