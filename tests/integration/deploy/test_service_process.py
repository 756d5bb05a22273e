"""A service process can be killed and started again; a taken HTTP port is replaced."""

from __future__ import annotations

import socket
import textwrap

import pytest
from lindung_devstack import services
from lindung_devstack.access import Credentials
from lindung_devstack.services import ServiceSet

pytestmark = pytest.mark.integration

# A stand-in service: serves the health path on its port, or says the port is taken.
FAKE_SERVICE = textwrap.dedent("""
    import http.server, os, sys

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == os.environ["FAKE_HEALTH"] else 404)
            self.end_headers()

        def log_message(self, *_):
            pass

    try:
        server = http.server.HTTPServer(("127.0.0.1", int(os.environ["FAKE_HTTP_PORT"])), Health)
    except OSError as error:
        print(f"cannot serve: {error}", flush=True)
        sys.exit(1)
    print("serving", flush=True)
    server.serve_forever()
""")


def test_a_killed_service_starts_again_on_its_port_after_moving_off_a_taken_one(
    monkeypatch, tmp_path
):
    (tmp_path / "fake_service.py").write_text(FAKE_SERVICE)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.setenv("FAKE_HEALTH", services.HEALTH_PATH)
    monkeypatch.setattr(services, "SERVICES", {"fake": ("fake_service", "FAKE_")})
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        running = ServiceSet(
            tmp_path / "logs",
            "127.0.0.1:1",
            {"fake": "postgresql://unused"},
            {"fake": Credentials("fake", "unused")},
            # The port asked for is taken: the service moves to another.
            settings={
                "fake": {"http_port": str(taken), "desk_url": "http://127.0.0.1:{http_port}/desk"}
            },
        )
        running.start(timeout=60)
    try:
        fake = running["fake"]
        assert fake.port != taken
        assert fake.env["FAKE_HTTP_PORT"] == str(fake.port)
        # A setting naming the service's own address follows it to its new port.
        assert fake.env["FAKE_DESK_URL"] == f"http://127.0.0.1:{fake.port}/desk"
        assert fake.healthy()

        assert fake.kill() == -9
        assert not fake.running()
        fake.start()
        fake.wait_healthy(timeout=30)
        log = fake.log_file.read_text()
        assert "Address already in use" in log
        assert log.count("serving") == 2
    finally:
        codes = running.stop()
    assert codes == {"fake": -15}
    running["fake"].start()  # after a stop as well
    try:
        running["fake"].wait_healthy(timeout=30)
    finally:
        running.stop()
