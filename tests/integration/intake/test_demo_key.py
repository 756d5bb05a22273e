"""The published demo data key seals nothing outside demo mode: intake will not start with it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from lindung_intake.bootstrap import build
from lindung_intake.settings import IntakeSettings

pytestmark = pytest.mark.integration

# docker-compose.yml's former fallback, published with the code.
PUBLISHED = "demo-1:ZGVtby1kYXRhLWtleS1yZXBsYWNlLW1lLTAxMjM0NTY="
OWN = "own-1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
SECRET = "demo-key-test-secret-0123456789abcdefghij"


@pytest.fixture
def keys_file(tmp_path):
    path = tmp_path / "keys.json"
    path.write_text('{"keys": []}')
    return path


def _intake(keys_file, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env |= {
        "INTAKE_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
        "INTAKE_KAFKA_SASL_USERNAME": "intake",
        "INTAKE_KAFKA_SASL_PASSWORD": "unused",
        "INTAKE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "INTAKE_API_KEYS_FILE": str(keys_file),
        "INTAKE_KEY_SECRET": SECRET,
    }
    env |= {f"INTAKE_{k.upper()}": v for k, v in settings.items()}
    return subprocess.run(
        [sys.executable, "-m", "lindung_intake", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_published_key_stops_start_up_with_one_line_naming_the_settings(keys_file):
    done = _intake(keys_file, data_keys=PUBLISHED)

    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("lindung-intake cannot start: INTAKE_DATA_KEYS: ")
    assert "INTAKE_DEMO_MODE" in line
    assert PUBLISHED.split(":", 1)[1] not in line  # the key is named, never repeated


def test_in_demo_mode_the_published_key_is_taken(keys_file):
    # A command goes through the same start-up checks as the service, without a database.
    refused = _intake(keys_file, "data-keys", "new", data_keys=PUBLISHED)
    taken = _intake(keys_file, "data-keys", "new", data_keys=PUBLISHED, demo_mode="true")

    assert refused.returncode == 2
    assert taken.returncode == 0, taken.stderr
    assert taken.stdout.count(":") == 1  # a fresh key, `id:base64key`


def test_the_published_key_kept_only_to_open_old_values_lets_intake_start(keys_file):
    settings = IntakeSettings(
        kafka_bootstrap_servers="127.0.0.1:1",
        kafka_sasl_username="intake",
        kafka_sasl_password="unused",
        database_url="postgresql://nobody@127.0.0.1:1/none",
        api_keys_file=keys_file,
        key_secret=SECRET,
        data_keys=f"{OWN},{PUBLISHED}",  # a key of one's own seals; `rotate` re-seals the rest
    )

    service = build(settings)

    assert service.name == "intake"
