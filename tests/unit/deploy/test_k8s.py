"""The Kubernetes manifests grant what the devstack grants and set only real settings."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from lindung_devstack import k8s
from lindung_devstack.access import SERVICE_PRINCIPALS
from lindung_devstack.acls import Acl, Operation, Pattern, Resource, acls, group_id
from lindung_devstack.kafka import registry_topics
from lindung_devstack.roles import SCHEMAS, DatabaseRole
from lindung_intake.settings import IntakeSettings
from lindung_notifier.settings import NotifierSettings
from lindung_router.settings import RouterSettings
from lindung_sla_monitor.settings import SlaMonitorSettings

BASE = Path(__file__).resolve().parents[3] / "deploy" / "k8s" / "base"
SETTINGS = {
    "intake": (IntakeSettings, "INTAKE_"),
    "router": (RouterSettings, "ROUTER_"),
    "notifier": (NotifierSettings, "NOTIFIER_"),
    "sla-monitor": (SlaMonitorSettings, "SLA_MONITOR_"),
}
_OPERATIONS = {"Read": Operation.READ, "Write": Operation.WRITE, "Create": Operation.CREATE}
_PATTERNS = {"literal": Pattern.LITERAL, "prefix": Pattern.PREFIXED}
_RESOURCES = {"topic": Resource.TOPIC, "group": Resource.GROUP}


def _documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _granted(users: list[dict]) -> set[Acl]:
    """The ACLs the KafkaUsers grant, read back into the devstack's form."""
    return {
        Acl(
            user["metadata"]["name"],
            _RESOURCES[entry["resource"]["type"]],
            entry["resource"]["name"],
            _PATTERNS[entry["resource"]["patternType"]],
            _OPERATIONS[operation],
        )
        for user in users
        for entry in user["spec"]["authorization"]["acls"]
        for operation in entry["operations"]
    }


def test_the_committed_files_are_what_the_generator_writes():
    assert k8s.check() == []


def test_a_changed_or_missing_generated_file_is_reported(tmp_path):
    shutil.copytree(BASE, tmp_path / "base")
    users = tmp_path / "base" / "kafka" / "users.yaml"
    users.write_text(users.read_text().replace("- Write", "- Read", 1))
    (tmp_path / "base" / "keycloak" / "realm.json").unlink()

    assert k8s.check(tmp_path / "base") == ["kafka/users.yaml", "keycloak/realm.json"]


def test_the_kafka_users_grant_exactly_the_devstack_acls():
    users = _documents(BASE / "kafka" / "users.yaml")

    assert [u["metadata"]["name"] for u in users] == ["intake", "router", "notifier", "sla-monitor"]
    assert all(u["spec"]["authentication"]["type"] == "scram-sha-512" for u in users)
    assert _granted(users) == set(acls())


def test_an_agency_gets_a_user_and_topics_of_its_own():
    users = k8s.kafka_users(["pdrm-kl"])
    topics = {t["spec"]["topicName"] for t in k8s.kafka_topics(["pdrm-kl"])}

    assert users[-1]["metadata"]["name"] == "agency.pdrm-kl"
    assert _granted(users) == set(acls(["pdrm-kl"]))
    assert "lindung.agency.pdrm-kl.identifications.v1" in topics
    # For an overlay: the agency's own resources only, none of the base's again.
    (own,) = k8s.render(["pdrm-kl"]).values()
    names = [d["metadata"]["name"] for d in yaml.safe_load_all(own)]
    assert names == [
        "lindung.agency.pdrm-kl.identifications.v1",
        "lindung.agency.pdrm-kl.rejections.v1",
        "agency.pdrm-kl",
    ]


def test_every_registry_topic_is_on_three_brokers_and_needs_two():
    topics = _documents(BASE / "kafka" / "topics.yaml")

    assert [(t["spec"]["topicName"], t["spec"]["partitions"]) for t in topics] == [
        *((t.name, t.partitions) for t in registry_topics()),
        # Faust's leader topics, which it would make with one replica.
        *((f"{group_id(s)}-__assignor-__leader", 1) for s in SERVICE_PRINCIPALS),
    ]
    assert topics[-1]["metadata"]["name"] == "lindung-sla-monitor-assignor-leader"
    for topic in topics:
        assert topic["spec"]["replicas"] == 3
        assert topic["spec"]["config"]["min.insync.replicas"] == 2
        assert topic["spec"]["config"]["unclean.leader.election.enable"] is False


def test_the_kafka_cluster_is_three_kraft_nodes_with_scram_and_acls():
    pool, kafka = _documents(BASE / "kafka" / "kafka.yaml")

    assert (pool["kind"], pool["spec"]["replicas"]) == ("KafkaNodePool", 3)
    assert sorted(pool["spec"]["roles"]) == ["broker", "controller"]
    config = kafka["spec"]["kafka"]["config"]
    assert config["min.insync.replicas"] == 2
    assert config["default.replication.factor"] == 3
    assert config["unclean.leader.election.enable"] is False
    assert kafka["spec"]["kafka"]["authorization"] == {"type": "simple"}
    assert [lst["authentication"]["type"] for lst in kafka["spec"]["kafka"]["listeners"]] == [
        "scram-sha-512"
    ]


def test_postgres_has_the_devstack_roles_and_no_password_written():
    cluster = _documents(BASE / "postgres" / "cluster.yaml")[0]
    roles = {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}

    assert cluster["spec"]["instances"] == 3
    for service in SCHEMAS:
        role = DatabaseRole.of(service)
        assert roles[role.owner]["login"] is False
        login = roles[role.login]
        assert login["login"] is True
        assert (login["superuser"], login["inherit"], login["createrole"]) == (False,) * 3
        assert login["passwordSecret"] == {"name": f"lindung-postgres-{service}"}


def _keys(node: object) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for value in node.values() for k in _keys(value)}
    if isinstance(node, list):
        return {k for item in node for k in _keys(item)}
    return set()


def test_no_manifest_writes_a_secret_value():
    documents = [d for path in BASE.rglob("*.yaml") for d in _documents(path)]

    assert not [d for d in documents if d["kind"] == "Secret"]
    assert not {"password", "stringData", "data"} & _keys(
        [d for d in documents if d["kind"] != "ConfigMap"]
    )


@pytest.mark.parametrize("service", SETTINGS)
def test_a_service_is_set_only_by_its_real_settings(service):
    settings, prefix = SETTINGS[service]
    deployment, svc, budget = _documents(BASE / "services" / f"{service}.yaml")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    names = [e["name"] for e in container["env"]]
    fields = {name.removeprefix(prefix).lower() for name in names if name.startswith(prefix)}

    assert fields <= set(settings.model_fields), fields - set(settings.model_fields)
    # Everything a service cannot start without is given.
    required = {n for n, f in settings.model_fields.items() if f.is_required()}
    assert required <= fields
    assert set(names) - {prefix + f.upper() for f in fields} == {"DATABASE_PASSWORD"}
    secret = ("PASSWORD", "SECRET", "DATA_KEYS", "TOKEN")
    for entry in container["env"]:  # secrets by reference only
        if entry["name"].endswith(secret):
            assert "secretKeyRef" in entry["valueFrom"], entry["name"]

    port = settings.model_fields["http_port"].default
    assert container["ports"] == [{"name": "http", "containerPort": port}]
    assert container["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "http"}
    assert (svc["kind"], budget["kind"]) == ("Service", "PodDisruptionBudget")
    assert container["resources"]["requests"]
    # A read-only root: Faust makes its data directory in the working directory at start.
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    writable = {m["mountPath"] for m in container["volumeMounts"] if not m.get("readOnly")}
    assert container["workingDir"] in writable


def test_the_realm_is_the_devstacks_without_its_demo_people():
    realm = k8s.cluster_realm()
    (client,) = realm["clients"]

    assert realm["users"] == []
    assert client["secret"] == "${LINDUNG_DESK_CLIENT_SECRET}"
    assert client["redirectUris"] == ["${LINDUNG_DESK_URL}/*", "${LINDUNG_DASHBOARD_URL}/*"]


def test_new_secrets_makes_every_secret_the_manifests_read_that_no_operator_makes():
    script = BASE.parent / "new-secrets.sh"
    done = subprocess.run(["sh", script], check=True, capture_output=True)
    made = {s["metadata"]["name"]: s["stringData"] for s in yaml.safe_load_all(done.stdout) if s}
    read: dict[str, set[str]] = {}
    for path in BASE.rglob("*.yaml"):
        for document in _documents(path):
            for ref in _secret_refs(document):
                read.setdefault(ref["name"], set()).add(ref["key"])
    # Made by Strimzi (each KafkaUser's password, the cluster's CA) or from the
    # operator's own files (README), not by the script.
    operators = {"intake", "router", "notifier", "sla-monitor", "lindung-cluster-ca-cert"}
    files = {"lindung-api-keys", "lindung-notifier-endpoints", "lindung-notifier"}

    assert set(read) - operators - files == set(made)
    for name, values in made.items():
        assert read[name] <= set(values), name
    passwords = [v for s in made.values() for k, v in s.items() if k != "username"]
    assert all(len(p) >= 32 for p in passwords)
    again = subprocess.run(["sh", script], check=True, capture_output=True).stdout
    assert again != done.stdout  # fresh every time


def _secret_refs(node: object) -> list[dict]:
    if isinstance(node, dict):
        found = [node["secretKeyRef"]] if "secretKeyRef" in node else []
        if "secretName" in node:
            found.append({"name": node["secretName"], "key": "*"})
        if "passwordSecret" in node:
            found.append({"name": node["passwordSecret"]["name"], "key": "password"})
        return found + [r for value in node.values() for r in _secret_refs(value)]
    if isinstance(node, list):
        return [r for item in node for r in _secret_refs(item)]
    return []


def _egress(policy: dict) -> dict[str, set[int | None]]:
    """What a policy lets its pods reach: a name per kind of peer, with the ports."""
    reached: dict[str, set[int | None]] = {}
    for rule in policy["spec"]["egress"]:
        ports = {p["port"] for p in rule.get("ports", [])} or {None}
        for peer in rule["to"]:
            labels = peer.get("podSelector", {}).get("matchLabels", {})
            name = (
                "outside"
                if "ipBlock" in peer
                else labels.get("app.kubernetes.io/name")
                or labels.get("k8s-app")
                or ("kafka" if "strimzi.io/cluster" in labels else None)
                or ("postgres" if "cnpg.io/cluster" in labels else None)
                or "ingress"
            )
            reached.setdefault(name, set()).update(ports)
    return reached


def test_each_service_reaches_only_what_it_needs():
    policies = {p["metadata"]["name"]: p for p in _documents(BASE / "network-policies.yaml")}
    needs = {"kube-dns": {53}, "kafka": {9093}, "postgres": {5432}}
    sign_in = {"keycloak": {8080}, "ingress": {443}, "outside": {443}}

    assert _egress(policies["router"]) == needs
    assert _egress(policies["notifier"]) == needs | {"outside": {None}}
    assert _egress(policies["intake"]) == needs | sign_in
    assert _egress(policies["sla-monitor"]) == needs | sign_in
    assert _egress(policies["keycloak"]) == {"kube-dns": {53}, "postgres": {5432}}
    for policy in policies.values():
        assert sorted(policy["spec"]["policyTypes"]) == ["Egress", "Ingress"]
