"""One Kafka cluster of three nodes and one PostgreSQL for every test in this folder.

The broker fault tests stop and kill its nodes and leave every node running and every
replica in sync again when they end; the pair tests then run two processes of each
service on the same cluster. Starting it once saves a stack's start-up per module.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest
from lindung_devstack.stack import Stack

_FAULTS = Path(__file__).parents[1] / "e2e" / "faults.py"
_spec = importlib.util.spec_from_file_location("faults", _FAULTS)
assert _spec is not None
assert _spec.loader is not None
faults = importlib.util.module_from_spec(_spec)
sys.modules["faults"] = faults
_spec.loader.exec_module(faults)


def given_elsewhere() -> bool:
    """Whether the environment names a Kafka and a PostgreSQL to use, not started here."""
    return bool(os.environ.get("KAFKA_BOOTSTRAP_SERVERS") and os.environ.get("DATABASE_URL"))


@pytest.fixture(scope="package")
def cluster_stack(scratch):
    """Three Kafka nodes (every topic on three, a write in sync on two) and PostgreSQL.

    Where the environment names infrastructure, that is used as it is (and the tests that
    stop brokers skip).
    """
    # Not under pytest's own temporary folder: PostgreSQL runs as another user there.
    brokers = 1 if given_elsewhere() else 3
    with Stack(agencies=(faults.AGENCY,), brokers=brokers, short_lived=True) as running:
        scratch.append(running.workdir)
        yield running
