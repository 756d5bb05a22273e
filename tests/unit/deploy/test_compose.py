"""docker-compose.yml, checked offline: it must run the same services with valid config."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from lindung_common.keys import load_keys
from lindung_devstack.roles import SCHEMAS
from lindung_devstack.services import SERVICES
from lindung_intake.adapters.sealing import DataKeys
from lindung_notifier.adapters.endpoints_file import load_endpoints
from lindung_router.adapters.config_files import load_directory

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
# The published secret the example keys file is hashed under (deploy/compose/README.md).
EXAMPLE_KEY_SECRET = "demo-key-secret-replace-me-0123456789abcdef"
KAFKA_NODES = ("kafka-1", "kafka-2", "kafka-3")


def _variable(value: str) -> str:
    """The variable a `${VAR:?message}` value names."""
    match = re.fullmatch(r"\$\{([A-Z0-9_]+):\?[^}]+\}", value)
    assert match, value
    return match.group(1)


def test_every_service_runs_its_own_module_with_its_own_settings():
    for name, (module, prefix) in SERVICES.items():
        service = COMPOSE["services"][name]
        assert service["command"] == ["python", "-m", module]
        env = service["environment"]
        assert env[f"{prefix}KAFKA_BOOTSTRAP_SERVERS"] == ",".join(
            f"{node}:9092" for node in KAFKA_NODES
        )
        assert env[f"{prefix}DATABASE_URL"].startswith("postgresql://")
        assert "topics" in service["depends_on"]
        port = (
            env.get(f"{prefix}HTTP_PORT")
            or {"intake": "8080", "router": "8081", "notifier": "8082", "sla-monitor": "8083"}[name]
        )
        assert f"127.0.0.1:{port}/health/ready" in " ".join(service["healthcheck"]["test"])


def test_three_kafka_nodes_hold_every_topic_and_a_write_needs_two():
    for number, name in enumerate(KAFKA_NODES, start=1):
        node = COMPOSE["services"][name]["environment"]
        assert node["KAFKA_NODE_ID"] == number
        assert node["KAFKA_ADVERTISED_LISTENERS"] == f"CLIENT://{name}:9092,INTERNAL://{name}:9094"
        assert node["KAFKA_DEFAULT_REPLICATION_FACTOR"] == len(KAFKA_NODES)
        assert node["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == len(KAFKA_NODES)
        assert node["KAFKA_MIN_INSYNC_REPLICAS"] == node["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] == 2
        assert node["KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE"] == "false"
        assert node["KAFKA_CONTROLLER_QUORUM_VOTERS"] == ",".join(
            f"{n}@{m}:9093" for n, m in enumerate(KAFKA_NODES, start=1)
        )
    assert len({COMPOSE["services"][n]["environment"]["CLUSTER_ID"] for n in KAFKA_NODES}) == 1
    assert COMPOSE["services"]["topics"]["environment"]["LINDUNG_KAFKA_REPLICATION"] == 3


def test_the_broker_refuses_unknown_topics_and_topics_come_from_the_registry():
    for name in KAFKA_NODES:
        env = COMPOSE["services"][name]["environment"]
        assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert COMPOSE["services"]["topics"]["command"][-1] == "provision"


def test_every_client_authenticates_and_only_acls_allow():
    broker = COMPOSE["services"]["kafka-1"]["environment"]
    assert broker["KAFKA_AUTHORIZER_CLASS_NAME"].endswith(".StandardAuthorizer")
    assert broker["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert broker["KAFKA_SUPER_USERS"] == "User:admin"
    protocols = dict(
        pair.split(":") for pair in broker["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    assert set(protocols.values()) == {"SASL_PLAINTEXT"}
    principals = COMPOSE["services"]["kafka-users"]["environment"]["PRINCIPALS"].split()
    created = {p.split("=", 1)[0] for p in principals}
    for name, (_, prefix) in SERVICES.items():
        env = COMPOSE["services"][name]["environment"]
        assert env[f"{prefix}KAFKA_SASL_USERNAME"] == name  # its own principal, not the admin
        assert name in created
        password = env[f"{prefix}KAFKA_SASL_PASSWORD"]
        assert _variable(password) == f"LINDUNG_KAFKA_{prefix}PASSWORD"


def test_mounted_config_files_load_with_the_services_own_loaders():
    config = ROOT / "deploy" / "compose"
    keys = load_keys(config / "api-keys.json", EXAMPLE_KEY_SECRET.encode())
    assert keys.is_agency("pdrm-selangor")
    found = keys.find("demo-pdrm-selangor-key-replace-me")
    assert found is not None
    assert found.id == "pdrm-selangor"
    # The sla-monitor's dashboard reads the same file under the same secret.
    intake = COMPOSE["services"]["intake"]["environment"]
    monitor = COMPOSE["services"]["sla-monitor"]["environment"]
    assert _variable(monitor["SLA_MONITOR_KEY_SECRET"]) == _variable(intake["INTAKE_KEY_SECRET"])
    assert monitor["SLA_MONITOR_API_KEYS_FILE"] == "/config/api-keys.json"
    operations = keys.find("demo-operations-key-replace-me")
    assert operations is not None
    assert operations.kind == "operations"
    endpoints = load_endpoints(config / "endpoints.json")
    directory = load_directory(ROOT / "deploy" / "demo" / "directory.hsds.json")
    for provider in directory.providers:
        assert provider.id in endpoints.providers, provider.id


def test_every_secret_must_be_given_and_none_falls_back_to_a_published_value():
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?[^}]+\}", text))
    assert used == required  # no `${VAR}` that may be empty, no `${VAR:-default}`
    assert {v for v in used if re.search("PASSWORD|SECRET|KEYS", v)} == used
    assert {"LINDUNG_KAFKA_ADMIN_PASSWORD", "INTAKE_KEY_SECRET", "INTAKE_DATA_KEYS"} <= used
    # What the published examples were: none of them is in the file any more.
    for published in ("replace-me-0123456789abcdef", "ZGVtby1kYXRhLWtleS", "password-replace-me"):
        assert published not in text


def test_the_secrets_script_gives_every_variable_compose_requires_and_usable_values():
    made = subprocess.run(
        [str(ROOT / "deploy" / "compose" / "new-secrets.sh")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    values = dict(
        line.split("=", 1) for line in made.splitlines() if line and not line.startswith("#")
    )
    text = (ROOT / "docker-compose.yml").read_text()
    filled = re.sub(r"\$\{([A-Z0-9_]+):\?[^}]+\}", lambda m: values[m.group(1)], text)
    assert "${" not in filled.replace("$$", "")  # `$$` is a literal dollar sign
    compose = yaml.safe_load(filled)
    intake = compose["services"]["intake"]["environment"]
    assert DataKeys.parse(intake["INTAKE_DATA_KEYS"]).current == "k1"
    assert len(intake["INTAKE_KEY_SECRET"]) >= 32
    # Every service's database URL parses to its own role and password.
    for name, (_, prefix) in SERVICES.items():
        url = urlsplit(compose["services"][name]["environment"][f"{prefix}DATABASE_URL"])
        assert url.username == SCHEMAS[name][0]
        assert url.password == values[f"LINDUNG_POSTGRES_{prefix}PASSWORD"]
    assert len(set(values.values())) == len(values)  # every secret its own


def test_every_service_signs_in_to_postgresql_as_its_own_role_made_by_the_database_step():
    database = COMPOSE["services"]["database"]
    assert database["command"] == ["python", "-m", "lindung_devstack", "provision-database"]
    assert database["environment"]["DATABASE_URL"].startswith("postgresql://postgres:")
    for name, (_, prefix) in SERVICES.items():
        service = COMPOSE["services"][name]
        assert service["depends_on"]["database"] == {"condition": "service_completed_successfully"}
        url = service["environment"][f"{prefix}DATABASE_URL"]
        role = SCHEMAS[name][0]
        variable = f"LINDUNG_POSTGRES_{role.upper()}_PASSWORD"
        assert url.startswith(f"postgresql://{role}:${{{variable}:?")
        assert variable in database["environment"]


def test_every_agency_at_the_kafka_door_has_a_principal_and_its_own_topics():
    door = COMPOSE["services"]["intake"]["environment"]["INTAKE_KAFKA_AGENCIES"].split(",")
    provisioned = COMPOSE["services"]["topics"]["environment"]["LINDUNG_AGENCIES"].split(",")
    principals = COMPOSE["services"]["kafka-users"]["environment"]["PRINCIPALS"].split()
    created = {p.split("=", 1)[0] for p in principals}
    for agency in door:
        assert agency in provisioned
        assert f"agency.{agency}" in created
