"""Every service starts the one way: a bad setting is one line naming it, and exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from lindung_devstack.services import SERVICES


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_a_bad_setting_stops_any_service_with_one_line_naming_it(name):
    module, prefix = SERVICES[name]
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefix)} | {
        f"{prefix}KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
        f"{prefix}KAFKA_SASL_USERNAME": name,
        f"{prefix}KAFKA_SASL_PASSWORD": "unused",
        f"{prefix}DATABASE_URL": "postgresql://nobody:secret-password@127.0.0.1:1/none",
        f"{prefix}CONSUME_BATCH_SIZE": "0",
    }
    done = subprocess.run(
        [sys.executable, "-m", module],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"lindung-{name} cannot start: bad settings:")
    assert f"{prefix}CONSUME_BATCH_SIZE: Input should be greater than or equal to 1" in lines[0]
    assert "secret-password" not in done.stderr + done.stdout


ROOT = Path(__file__).resolve().parents[3]
FILES = {
    "intake": {
        "API_KEYS_FILE": ROOT / "deploy" / "compose" / "api-keys.json",
        "KEY_SECRET": "demo-key-secret-replace-me-0123456789abcdef",
        "DATA_KEYS": "demo-1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    },
    "router": {"DIRECTORY_FILE": ROOT / "deploy" / "demo" / "directory.hsds.json"},
    "notifier": {"ENDPOINTS_FILE": ROOT / "deploy" / "compose" / "endpoints.json"},
    "sla-monitor": {},
}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_an_unknown_command_is_refused_naming_it(name):
    module, prefix = SERVICES[name]
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefix)} | {
        f"{prefix}KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
        f"{prefix}KAFKA_SASL_USERNAME": name,
        f"{prefix}KAFKA_SASL_PASSWORD": "unused",
        f"{prefix}DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        **{f"{prefix}{k}": str(v) for k, v in FILES[name].items()},
    }
    done = subprocess.run(
        [sys.executable, "-m", module, "frobnicate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "unknown command 'frobnicate'" in done.stderr
