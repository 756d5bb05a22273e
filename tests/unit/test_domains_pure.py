"""Every service's `domain/` is pure: importing it loads no I/O package."""

from __future__ import annotations

import subprocess
import sys

import pytest

IO = {"faust", "aiokafka", "asyncpg", "structlog", "lindung_common", "fastapi", "aiohttp"}


@pytest.mark.parametrize(
    "domain",
    ["lindung_intake.domain", "lindung_intake.domain.desk", "lindung_intake.domain.people",
     "lindung_router.domain", "lindung_notifier.domain",
     "lindung_sla_monitor.domain"],
)  # fmt: skip
def test_a_domain_imports_no_io_package(domain):
    loaded = subprocess.run(
        [sys.executable, "-c", f"import sys, {domain}; print(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()

    assert IO.isdisjoint(name.split(".")[0] for name in loaded)
