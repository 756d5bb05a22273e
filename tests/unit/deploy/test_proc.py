"""The pure parts of starting infrastructure: ports, log tails, errors and retry decisions."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import pytest
from lindung_devstack import _proc, kafka
from lindung_devstack._proc import (
    StartError,
    first_errors,
    free_port,
    log_size,
    log_tail,
    says_address_in_use,
    start_with_retries,
)

KAFKA_CLASH = (
    "org.apache.kafka.common.KafkaException: Socket server failed to bind to "
    "127.0.0.1:43677: Address already in use."
)
POSTGRES_CLASH = 'LOG:  could not bind IPv4 address "127.0.0.1": Address already in use'
UVICORN_CLASH = (
    "[Errno 98] error while attempting to bind on address ('127.0.0.1', 8081): "
    "address already in use"
)


def _ephemeral_start() -> int:
    return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])


def test_ports_handed_out_are_distinct_free_and_clear_of_the_kernel_s_own_range():
    ports = [free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)
    assert all(port < _ephemeral_start() for port in ports)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", ports[-1]))  # nothing holds it


def test_a_port_someone_holds_or_we_handed_out_is_passed_over(monkeypatch):
    monkeypatch.setattr(_proc, "_handed_out", set())
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        taken = held.getsockname()[1]
        free = [p for p in range(23000, 23100) if _proc._bindable(p)][:2]
        draws = iter([taken, free[0], free[0], free[1]])
        monkeypatch.setattr(_proc, "_PREFERRED", range(65536))
        monkeypatch.setattr(_proc, "_ephemeral_start", lambda: 65536)
        monkeypatch.setattr(_proc, "secrets", SimpleNamespace(randbelow=lambda _: next(draws)))
        assert [free_port(), free_port()] == free


class _Kernel:
    """A socket stand-in whose kernel hands back the same port twice, then another."""

    ports: ClassVar[list[int]] = [41001, 41001, 41003]

    def __init__(self, *_: object) -> None:
        self._port = 0

    def __enter__(self):
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def bind(self, _: object) -> None:
        self._port = self.ports.pop(0)

    def getsockname(self):
        return ("127.0.0.1", self._port)


def test_without_room_below_the_kernel_s_range_its_ports_are_used_each_once(monkeypatch):
    kernel = SimpleNamespace(socket=_Kernel, AF_INET=socket.AF_INET, SOCK_STREAM=socket.SOCK_STREAM)
    monkeypatch.setattr(_proc, "socket", kernel)
    monkeypatch.setattr(_proc, "_handed_out", set())
    monkeypatch.setattr(_proc, "_ephemeral_start", lambda: 1024)
    assert [free_port(), free_port()] == [41001, 41003]


def test_the_tail_is_the_last_lines_written_since_a_mark(tmp_path):
    log = tmp_path / "broker.log"
    assert log_size(log) == 0
    assert log_tail(log) == ""
    log.write_text("".join(f"old {n}\n" for n in range(100)))
    mark = log_size(log)
    with log.open("a") as file:
        file.write("".join(f"new {n}\n" for n in range(60)))
    tail = log_tail(log, since=mark).splitlines()
    assert tail == [f"new {n}" for n in range(20, 60)]
    assert log_tail(log, 3).splitlines() == ["new 57", "new 58", "new 59"]
    assert log_tail(log, since=log_size(log)) == ""


def test_the_tail_of_a_huge_log_with_broken_bytes_is_read_from_its_end(tmp_path):
    log = tmp_path / "postgres.log"
    log.write_bytes(b"x" * 5_000_000 + b"\nbad \xff byte\nlast line\n")
    assert log_tail(log, 2).splitlines() == ["bad \ufffd byte", "last line"]


@pytest.mark.parametrize("text", [KAFKA_CLASH, POSTGRES_CLASH, UVICORN_CLASH])
def test_a_taken_port_is_recognised_in_every_component_s_words(text):
    assert says_address_in_use(f"some line\n{text}\nFATAL: could not create any TCP/IP sockets")


def test_other_failures_are_not_taken_for_a_taken_port():
    assert not says_address_in_use("Invalid maximum heap size: -Xmxbogus")
    assert not says_address_in_use("")


def test_a_start_error_names_the_component_the_reason_and_the_log_tail(tmp_path):
    log = tmp_path / "broker.log"
    log.write_text("".join(f"line {n}\n" for n in range(100)) + KAFKA_CLASH + "\n")
    error = StartError("Kafka broker", "the broker exited with code 1", {log: 0})
    message = str(error)
    assert message.startswith("Kafka broker did not start: the broker exited with code 1")
    assert f"last 40 lines of {log}" in message
    assert KAFKA_CLASH in message
    assert "line 61" in message
    assert "line 60\n" not in message
    assert error.address_in_use


def test_a_taken_port_far_above_the_tail_still_counts_and_leads_the_message(tmp_path):
    log = tmp_path / "broker.log"
    log.write_text("[t] INFO an earlier start\n" + KAFKA_CLASH + "\n")
    mark = log_size(log)
    lines = ["[t] ERROR Unable to start acceptor for PLAINTEXT", KAFKA_CLASH]
    lines += [f"\tat frame {n}" for n in range(80)]
    log.write_text(log.read_text() + "\n".join(lines) + "\n")
    error = StartError("Kafka broker", "the broker exited with code 1", {log: mark})
    assert error.address_in_use
    first, rest = str(error).split("--- last 40 lines", 1)
    assert "first errors in broker.log:\n  [t] ERROR Unable to start acceptor" in first
    assert KAFKA_CLASH in first
    assert KAFKA_CLASH not in rest
    assert "an earlier start" not in str(error)


def test_a_clash_of_an_earlier_attempt_is_not_taken_for_this_one(tmp_path):
    log = tmp_path / "postgres.log"
    log.write_text(POSTGRES_CLASH + "\n")
    mark = log_size(log)
    with log.open("a") as file:
        file.write("FATAL:  data directory has wrong ownership\n")
    error = StartError("PostgreSQL", "pg_ctl start failed", {log: mark})
    assert not error.address_in_use


def test_error_lines_are_picked_from_java_python_and_postgres_logs():
    lines = [
        "[t] INFO starting",
        "[t] ERROR Exiting Kafka due to fatal exception during startup. (kafka.Kafka$)",
        "OSError: [Errno 98] Address already in use",
        "Caused by: java.net.BindException: Address already in use",
        "FATAL:  could not create any TCP/IP sockets",
        "[t] INFO shut down",
    ]
    text = "\n".join(lines)
    assert first_errors(text, limit=5) == lines[1:5]
    assert first_errors("all is well\nno trouble here") == []


def test_a_start_error_says_when_its_logs_are_empty(tmp_path):
    error = StartError("Kafka broker", "cannot run /no/java", {tmp_path / "broker.out": 0})
    assert "nothing was written to" in str(error)
    assert not error.address_in_use
    assert StartError("x", "y", address_in_use=True).address_in_use


def test_only_a_taken_port_is_tried_again_and_only_so_often():
    calls: list[int] = []

    def clash(number: int) -> str:
        calls.append(number)
        if number < 3:
            raise StartError("PostgreSQL", POSTGRES_CLASH)
        return "up"

    assert start_with_retries(clash) == "up"
    assert calls == [1, 2, 3]

    calls.clear()
    with pytest.raises(StartError):
        start_with_retries(clash, attempts=2)
    assert calls == [1, 2]

    def broken(number: int) -> None:
        calls.append(number)
        raise StartError("Kafka broker", "formatting storage exited with 1")

    calls.clear()
    with pytest.raises(StartError, match="formatting"):
        start_with_retries(broken, attempts=3)
    assert calls == [1]


def test_a_cluster_id_never_starts_with_a_dash(monkeypatch):
    # 0xF8 makes the first base64 character "-", which the storage tool reads as an option.
    ids = iter([uuid.UUID(bytes=b"\xf8" + bytes(15)), uuid.UUID(bytes=b"\x01" + bytes(15))])
    monkeypatch.setattr(kafka.uuid, "uuid4", lambda: next(ids))
    assert kafka.new_cluster_id() == "AQAAAAAAAAAAAAAAAAAAAA"
