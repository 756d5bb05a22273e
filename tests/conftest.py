"""Fixtures shared by every test: the real infrastructure, started once per test run.

Integration and end-to-end tests get the real Kafka broker and the real PostgreSQL from
`lindung_devstack.Stack` (the same code the demo uses). Set `KAFKA_BOOTSTRAP_SERVERS` and
`DATABASE_URL` to run them against existing infrastructure instead.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest
from lindung_devstack.stack import Stack

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """Kafka and PostgreSQL for the whole run; their logs stay in `stack.workdir`."""
    with Stack() as running:
        yield running


@pytest.fixture
def schema() -> str:
    """A schema name of its own for each test: no teardown, no interference."""
    return f"t_{uuid.uuid4().hex[:12]}"
