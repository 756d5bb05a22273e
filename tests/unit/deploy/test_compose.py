"""docker-compose.yml, checked offline: it must run the same services with valid config."""

from __future__ import annotations

from pathlib import Path

import yaml
from lindung_common.keys import load_keys
from lindung_devstack.services import SERVICES
from lindung_intake.adapters.sealing import DataKeys
from lindung_notifier.adapters.endpoints_file import load_endpoints
from lindung_router.adapters.config_files import load_directory

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_every_service_runs_its_own_module_with_its_own_settings():
    for name, (module, prefix) in SERVICES.items():
        service = COMPOSE["services"][name]
        assert service["command"] == ["python", "-m", module]
        env = service["environment"]
        assert env[f"{prefix}KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
        assert env[f"{prefix}DATABASE_URL"].startswith("postgresql://")
        assert "topics" in service["depends_on"]
        port = (
            env.get(f"{prefix}HTTP_PORT")
            or {"intake": "8080", "router": "8081", "notifier": "8082", "sla-monitor": "8083"}[name]
        )
        assert f"127.0.0.1:{port}/health/ready" in " ".join(service["healthcheck"]["test"])


def test_the_broker_refuses_unknown_topics_and_topics_come_from_the_registry():
    assert COMPOSE["services"]["kafka"]["environment"]["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert COMPOSE["services"]["topics"]["command"][-1] == "provision"


def test_every_client_authenticates_and_only_acls_allow():
    broker = COMPOSE["services"]["kafka"]["environment"]
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
        assert password.startswith(f"${{LINDUNG_KAFKA_{prefix}PASSWORD:-")


def test_mounted_config_files_load_with_the_services_own_loaders():
    config = ROOT / "deploy" / "compose"
    secret = COMPOSE["services"]["intake"]["environment"]["INTAKE_KEY_SECRET"]
    default = secret.split(":-", 1)[1].rstrip("}")  # ${INTAKE_KEY_SECRET:-the example's}
    keys = load_keys(config / "api-keys.json", default.encode())
    assert keys.is_agency("pdrm-selangor")
    found = keys.find("demo-pdrm-selangor-key-replace-me")
    assert found is not None
    assert found.id == "pdrm-selangor"
    # The sla-monitor's dashboard reads the same file under the same secret.
    monitor = COMPOSE["services"]["sla-monitor"]["environment"]
    assert monitor["SLA_MONITOR_KEY_SECRET"] == secret
    assert monitor["SLA_MONITOR_API_KEYS_FILE"] == "/config/api-keys.json"
    operations = keys.find("demo-operations-key-replace-me")
    assert operations is not None
    assert operations.kind == "operations"
    data_keys = COMPOSE["services"]["intake"]["environment"]["INTAKE_DATA_KEYS"]
    assert DataKeys.parse(data_keys.split(":-", 1)[1].rstrip("}")).current == "demo-1"
    endpoints = load_endpoints(config / "endpoints.json")
    directory = load_directory(ROOT / "deploy" / "demo" / "directory.json")
    for provider in directory.providers:
        assert provider.id in endpoints.providers, provider.id


def test_every_agency_at_the_kafka_door_has_a_principal_and_its_own_topics():
    door = COMPOSE["services"]["intake"]["environment"]["INTAKE_KAFKA_AGENCIES"].split(",")
    provisioned = COMPOSE["services"]["topics"]["environment"]["LINDUNG_AGENCIES"].split(",")
    principals = COMPOSE["services"]["kafka-users"]["environment"]["PRINCIPALS"].split()
    created = {p.split("=", 1)[0] for p in principals}
    for agency in door:
        assert agency in provisioned
        assert f"agency.{agency}" in created
