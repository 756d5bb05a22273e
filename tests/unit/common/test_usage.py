"""`python -m lindung_<service> --help`: every setting, with nothing configured yet."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from lindung_common.run import usage
from lindung_router.settings import RouterSettings
from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

MODULES = ("lindung_intake", "lindung_router", "lindung_notifier", "lindung_sla_monitor")


@pytest.mark.parametrize("module", MODULES)
def test_help_answers_with_no_setting_given(module):
    bare = {k: v for k, v in os.environ.items() if not k.startswith(("INTAKE_", "ROUTER_"))}
    bare = {k: v for k, v in bare.items() if not k.startswith(("NOTIFIER_", "SLA_MONITOR_"))}
    done = subprocess.run(
        [sys.executable, "-m", module, "--help"],
        env=bare,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"usage: python -m {module}" in done.stdout
    assert "_DATABASE_URL  (required)" in done.stdout
    assert done.stderr == ""


def test_each_setting_is_named_with_its_prefix_default_and_description():
    text = usage("router", RouterSettings)
    assert "  ROUTER_DIRECTORY_FILE  (required)\n" in text
    assert "  ROUTER_KAFKA_SECURITY_PROTOCOL  (default 'SASL_SSL')\n" in text
    # Every field is listed, each once.
    for name in RouterSettings.model_fields:
        assert text.count(f"  ROUTER_{name.upper()}  (") == 1, name


class _WithSecret(RouterSettings):
    model_config = SettingsConfigDict(env_prefix="EXAMPLE_", extra="ignore", frozen=True)

    token: SecretStr = Field(default=SecretStr("do-not-print-me"), description="A token.")


def test_a_secret_default_is_never_printed():
    text = usage("example", _WithSecret)
    assert "  EXAMPLE_TOKEN  (secret, has a default)\n      A token." in text
    assert "do-not-print-me" not in text
