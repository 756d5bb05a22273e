"""The served OpenAPI document, held to its word: schemathesis generates requests from it
and checks every answer against it (no 5xx, every status and body as documented)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from lindung_common.keys import hash_key
from lindung_devstack._proc import free_port

pytestmark = pytest.mark.integration

KEYS = {"agency": "fuzz-agency-key", "provider": "fuzz-provider-key", "coordinator": "fuzz-co-key"}
SECRET = "fuzz-secret-0123456789abcdefghijklmnop"
DATA_KEYS = "fuzz-1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
HOLDERS = {"agency": "pdrm-kl", "provider": "shelter-kl-1", "coordinator": "coordinator-kl"}
# What must hold of every answer, whatever was sent.
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance,response_headers_conformance"
)


@pytest.fixture(scope="module")
def intake_url(stack, tmp_path_factory) -> str:
    work: Path = tmp_path_factory.mktemp("fuzz")
    keys = [
        {
            "key_id": f"k_fuzz_{k}",
            "hmac_sha256": hash_key(KEYS[k], SECRET.encode()),
            "kind": k,
            "id": HOLDERS[k],
        }
        for k in KEYS
    ]
    (work / "keys.json").write_text(json.dumps({"keys": keys}))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")} | {
        **stack.service_env("intake"),
        "INTAKE_DATABASE_URL": stack.database_url_for("intake", f"fuzz_{port}"),
        "INTAKE_DB_SCHEMA": f"fuzz_{port}",
        "INTAKE_API_KEYS_FILE": str(work / "keys.json"),
        "INTAKE_KEY_SECRET": SECRET,
        "INTAKE_DATA_KEYS": DATA_KEYS,
        "INTAKE_HTTP_PORT": str(port),
        "INTAKE_ANSWER_WAIT_SECONDS": "0",
    }
    log = (work / "intake.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "lindung_intake"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, (work / "intake.log").read_text()[-3000:]
            try:
                if httpx.get(f"{url}/health/live", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "intake did not come up"
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(30)
        log.close()


@pytest.mark.parametrize("kind", list(KEYS))
def test_every_answer_is_as_the_served_document_says(intake_url, kind, tmp_path):
    st = shutil.which("st", path=str(Path(sys.executable).parent))
    assert st is not None, "schemathesis is part of the development tools"
    done = subprocess.run(
        [
            st,
            "run",
            f"{intake_url}/openapi.json",
            "--checks",
            CHECKS,
            "--header",
            f"Authorization: Bearer {KEYS[kind]}",
            "--max-examples",
            "40",
            "--seed",
            "1",
            "--suppress-health-check",
            "all",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tmp_path,  # its cache goes there, not into the checkout
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
