"""The Prometheus alerting rules name metrics the services export, and do what they say."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from lindung_common import Concern, metrics
from lindung_notifier import metrics as notifier_metrics
from lindung_sla_monitor import metrics as sla_metrics
from prometheus_client import REGISTRY

ROOT = Path(__file__).resolve().parents[3]
RULES = ROOT / "deploy" / "prometheus"
# `make alerts-check` builds it into .tools/go/bin.
PROMTOOL = shutil.which("promtool") or next(
    (
        str(p)
        for p in [
            ROOT / ".tools" / "go" / "bin" / "promtool",
            Path.home() / "go" / "bin" / "promtool",
        ]
        if p.exists()
    ),
    None,
)
# What the exposition adds to a family's name: counters' _total, histograms' series.
_SUFFIXES = re.compile(r"_(total|bucket|count|sum|created)$")


def _exported() -> set[str]:
    # The services' metrics are declared on import.
    assert metrics.READY is not None
    assert sla_metrics.BREACHES is not None
    assert notifier_metrics.ATTEMPTS is not None
    return {family.name for family in REGISTRY.collect()}


def test_every_metric_the_rules_read_is_one_a_service_exports():
    rules = yaml.safe_load((RULES / "lindung.rules.yml").read_text())
    expressions = [r["expr"] for group in rules["groups"] for r in group["rules"]]
    named = {_SUFFIXES.sub("", m) for e in expressions for m in re.findall(r"\blindung_[a-z_]+", e)}

    assert named == {
        "lindung_ready",
        "lindung_degraded",
        "lindung_outbox_set_aside",
        "lindung_outbox_oldest_seconds",
        "lindung_consumer_lag",
        "lindung_records_processed",
        "lindung_deadline_firing_lateness_seconds",
        "lindung_deadline_breaches",
        "lindung_delivery_attempts",
    }
    assert named <= _exported()


def test_the_rules_tests_cover_each_kind_of_alert():
    tests = yaml.safe_load((RULES / "lindung.rules.test.yml").read_text())
    tested = {t["alertname"] for case in tests["tests"] for t in case["alert_rule_test"]}
    rules = yaml.safe_load((RULES / "lindung.rules.yml").read_text())

    assert tested == {r["alert"] for group in rules["groups"] for r in group["rules"]}
    reasons = set(re.findall(r'reason="(\w+)"', (RULES / "lindung.rules.test.yml").read_text()))
    assert reasons <= {c.value for c in Concern}


@pytest.mark.skipif(PROMTOOL is None, reason="promtool is not installed (see the README)")
@pytest.mark.parametrize(
    "command",
    [["check", "rules", "lindung.rules.yml"], ["test", "rules", "lindung.rules.test.yml"]],
    ids=["check", "test"],
)
def test_promtool_accepts_the_rules_and_their_tests_pass(command):
    assert PROMTOOL is not None
    done = subprocess.run(
        [PROMTOOL, *command], cwd=RULES, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
