"""A start that cannot succeed says which component failed, why, and shows its log's tail."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from lindung_devstack import keycloak
from lindung_devstack._proc import StartError
from lindung_devstack.cluster import KafkaCluster
from lindung_devstack.kafka import KafkaBroker
from lindung_devstack.keycloak import KeycloakServer

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]


def fake_java(tmp_path: Path, broker: str) -> str:
    """A `java` that formats storage for real but runs `broker` (shell) instead of Kafka."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    script = tmp_path / "java"
    script.write_text(
        "#!/bin/sh\n"
        f'case "$*" in *StorageTool*) exec {shutil.which("java")} "$@";; esac\n'
        f"{broker}\n"
    )
    script.chmod(0o755)
    return str(script)


def test_a_broker_the_jvm_refuses_fails_with_the_jvm_s_words(tmp_path):
    broker = KafkaBroker(tmp_path / "kafka", heap="bogus")
    with pytest.raises(StartError) as failed:
        broker.start(timeout=60)
    message = str(failed.value)
    assert message.startswith("Kafka broker did not start: formatting storage exited with 1")
    assert f"last 40 lines of {broker.out_file}" in message
    assert "Invalid maximum heap size: -Xmxbogus" in message
    assert broker.process is None


def test_a_missing_java_is_named(tmp_path):
    broker = KafkaBroker(tmp_path / "kafka", java=str(tmp_path / "no-java"))
    with pytest.raises(StartError, match=r"cannot run .*no-java"):
        broker.start(timeout=60)


def test_a_broker_that_exits_fails_at_once_with_its_output(tmp_path):
    java = fake_java(tmp_path, 'echo "broker: refusing to run, on purpose"; exit 3')
    broker = KafkaBroker(tmp_path / "kafka", java=java)
    with pytest.raises(StartError) as failed:
        broker.start(timeout=60)
    assert "the broker exited with code 3" in str(failed.value)
    assert "broker: refusing to run, on purpose" in str(failed.value)
    assert not failed.value.address_in_use


def test_a_broker_that_never_answers_is_stopped_at_the_deadline(tmp_path):
    pid_file = tmp_path / "broker.pid"
    java = fake_java(tmp_path, f'echo $$ > {pid_file}; echo "broker: thinking"; exec sleep 600')
    broker = KafkaBroker(tmp_path / "kafka", java=java)
    with pytest.raises(StartError, match="not ready in time") as failed:
        broker.start(timeout=5)
    assert "broker: thinking" in str(failed.value)
    assert broker.process is None
    assert not Path(f"/proc/{pid_file.read_text().strip()}").exists()


def test_a_cluster_node_that_exits_is_named_and_the_other_nodes_are_stopped(tmp_path):
    cluster = KafkaCluster(tmp_path / "kafka", 3)
    pid_files = [tmp_path / f"node-{n.node_id}.pid" for n in cluster.nodes]
    cluster.nodes[0].java = fake_java(tmp_path / "1", 'echo "node one: refusing"; exit 3')
    for node, pid_file in zip(cluster.nodes[1:], pid_files[1:], strict=True):
        node.java = fake_java(tmp_path / str(node.node_id), f"echo $$ > {pid_file}; exec sleep 600")
    with pytest.raises(StartError) as failed:
        cluster.start(timeout=60)
    message = str(failed.value)
    assert message.startswith("Kafka node 1 did not start: the broker exited with code 3")
    assert "node one: refusing" in message
    assert all(node.process is None for node in cluster.nodes)
    for pid_file in pid_files[1:]:  # none if stopped before its first line
        pid = pid_file.read_text().strip() if pid_file.exists() else ""
        assert not pid or not Path(f"/proc/{pid}").exists()


def test_the_session_fixture_reports_the_failure_and_leaves_nothing_running(tmp_path):
    (tmp_path / "conftest.py").write_text(
        textwrap.dedent(f"""
        import importlib.util
        spec = importlib.util.spec_from_file_location("shared", {str(ROOT / "tests/conftest.py")!r})
        shared = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(shared)
        stack = shared.stack
        """)
    )
    (tmp_path / "test_needs_stack.py").write_text("def test_it(stack):\n    pass\n")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "LINDUNG_INFRA"}
    }
    env["JAVA_TOOL_OPTIONS"] = "-Xmxbogus"  # PostgreSQL starts, then the broker cannot
    env["COLUMNS"] = "200"  # the summary line is cut at the terminal's width
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-ra", "-p", "no:cacheprovider", "-c", os.devnull,
         "--rootdir", str(tmp_path), str(tmp_path)],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=False, timeout=240,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert (
        "ERROR test_needs_stack.py::test_it - Failed: Kafka broker did not start: formatting"
        in output
    )
    assert "Invalid maximum heap size: -Xmxbogus" in output
    assert "Traceback" not in output
    workdir = Path(re.search(r"this run's logs are in (\S+)\)", output)[1])
    assert (workdir / "postgres" / "postgres.log").exists()
    assert not (workdir / "postgres" / "data" / "postmaster.pid").exists()
    leftovers = subprocess.run(
        ["pgrep", "-f", str(workdir)], capture_output=True, text=True, check=False
    ).stdout
    assert leftovers == ""


def test_a_keycloak_the_jvm_refuses_fails_with_the_jvm_s_words(tmp_path):
    server = KeycloakServer(tmp_path / "keycloak", heap="bogus")
    with pytest.raises(StartError) as failed:
        server.start(timeout=60)
    message = str(failed.value)
    assert message.startswith("Keycloak did not start: Keycloak exited with code 1")
    assert f"last 40 lines of {server.log_file}" in message
    assert "Invalid maximum heap size: -Xmxbogus" in message
    assert server.process is None


def test_a_keycloak_whose_port_is_taken_says_so_or_moves_to_another(monkeypatch, tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        pinned = KeycloakServer(
            tmp_path / "pinned", port=taken, management_port=keycloak.free_port()
        )
        with pytest.raises(StartError) as failed:
            pinned.start(timeout=60)
        assert failed.value.address_in_use
        assert pinned.process is None

        # Ports it chose itself are chosen again when one was taken meanwhile.
        real, first = keycloak.free_port, [taken]
        monkeypatch.setattr(keycloak, "free_port", lambda: first.pop() if first else real())
        moved = KeycloakServer(tmp_path / "moved")
        moved.start(timeout=120)
        try:
            assert moved.port != taken
            assert "Address already in use" in moved.log_file.read_text()
        finally:
            moved.stop()
