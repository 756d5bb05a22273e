"""Fixtures shared by every test: the real infrastructure, started once per test run.

Integration and end-to-end tests get the real Kafka broker and the real PostgreSQL from
`lindung_devstack.Stack` (the same code the demo uses). Set `KAFKA_BOOTSTRAP_SERVERS` and
`DATABASE_URL` to run them against existing infrastructure instead. Tests of signing in
get a real Keycloak (`keycloak`), started only by a run that has such a test.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import shutil
import signal
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
from lindung_devstack._proc import StartError
from lindung_devstack.demo import CASES as DEMO_AGENCIES
from lindung_devstack.keycloak import KeycloakServer
from lindung_devstack.stack import Stack

if TYPE_CHECKING:
    from collections.abc import Iterator


def pytest_configure(config: pytest.Config) -> None:
    """A SIGTERM (a CI timeout, say) stops the run like Ctrl-C: fixtures stop what they started.

    Without it the interpreter would end at once and leave the broker and PostgreSQL
    running behind it.
    """

    def interrupted(*_: object) -> NoReturn:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)


# End-to-end modules the other half runs, so that both take about as long (from the
# test durations `--durations=0` prints); each has a broker and a PostgreSQL of its own.
_E2E_IN_THE_OTHER_HALF = {"test_broker_outage.py"}


def _signs_in(item: pytest.Item) -> bool:
    return "keycloak" in getattr(item, "fixturenames", ())


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Two halves for `make test`'s two workers, and the order each runs in.

    One half is the end-to-end tests and every test that signs someone in at Keycloak
    (whole modules), the other all the rest and the end-to-end modules named above.
    Under `--dist loadgroup` each worker takes one half with a broker and a PostgreSQL
    of its own, and only the first starts Keycloak: once per run. The end-to-end tests
    spend much of their time waiting out real deadlines, which the other half fills.
    Within a half, the modules that sign nobody in come first, so Keycloak starts while
    they run instead of ahead of the first test. Marked first, before pytest-xdist
    reads the marks.
    """
    people = {item.path for item in items if _signs_in(item)}
    _Keycloak.needed = bool(people)
    for item in items:
        end_to_end = "e2e" in item.path.parts and item.path.name not in _E2E_IN_THE_OTHER_HALF
        end_to_end = end_to_end or item.path in people
        item.add_marker(pytest.mark.xdist_group("e2e" if end_to_end else "others"))
    items.sort(key=lambda item: item.path in people)  # stable: the rest keeps its order


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    """Stop a `--dist loadgroup` run whose halves pytest-xdist did not keep together.

    It groups by renaming each item `<id>@<group>`; should that stop working (it did with
    a pytest release), the tests would be dealt out one by one, every worker would start
    the cluster and the private stacks of its own, and the run would only be slower.
    """
    if node.config.getvalue("dist") != "loadgroup":
        return
    ungrouped = [nodeid for nodeid in ids if "@" not in nodeid]
    if ungrouped:
        pytest.exit(
            f"pytest-xdist did not group {len(ungrouped)} tests (first: {ungrouped[0]}): "
            "see the pytest pin in pyproject.toml",
            returncode=pytest.ExitCode.USAGE_ERROR,
        )


# The agencies with Kafka principals (and topics) of their own on the run's broker: the
# tests' own, and the demo's (an end-to-end test plays the whole demo on this broker).
AGENCIES = ("pdrm-kl", "jtk-johor", *DEMO_AGENCIES)


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """Kafka and PostgreSQL for the whole run; their logs stay in `stack.workdir`.

    `stack.kafka()` are the admin's client arguments (a super user: tests read and write
    any topic with them); `stack.kafka(principal)` and `stack.kafka_settings(service)`
    act as a service or an agency (`agency.<id>`), which the broker's ACLs restrict.
    """
    running = Stack(agencies=AGENCIES, short_lived=True)
    _SCRATCH.append(running.workdir)
    failure = None
    try:
        running.up()  # stops whatever it started when it fails
    except Exception as error:
        failure = error if isinstance(error, StartError) else f"{type(error).__name__}: {error}"
    if failure is not None:
        # The message names the component and carries its log's tail: show it, not a trace.
        pytest.fail(f"{failure}\n(this run's logs are in {running.workdir})", pytrace=False)
    try:
        yield running
    finally:
        running.down()


class _Keycloak:
    """The run's Keycloak, started in the background once the run is known to need it."""

    needed = False  # a test collected signs someone in
    server: KeycloakServer | None = None
    started: concurrent.futures.Future[None] | None = None

    @classmethod
    def start(cls) -> None:
        cls.server = KeycloakServer(Path(tempfile.mkdtemp(prefix="lindung-keycloak-")))
        _SCRATCH.append(cls.server.workdir)
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        cls.started = pool.submit(cls.server.start)
        pool.shutdown(wait=False)

    @classmethod
    def stop(cls) -> None:
        if cls.server is not None and cls.started is not None:
            with contextlib.suppress(Exception):  # a failed start was reported by the fixture
                cls.started.result()
            cls.server.stop()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start Keycloak beside the broker if a test to run signs someone in; else never.

    A pytest-xdist worker collects every test but runs one half: it starts Keycloak when
    it begins the half that has those tests (`pytest_runtest_setup` below).
    """
    worker = hasattr(session.config, "workerinput")
    if _Keycloak.needed and not worker and not session.config.option.collectonly:
        _Keycloak.start()


def pytest_runtest_setup(item: pytest.Item) -> None:
    first_of_the_half = _Keycloak.started is None and item.nodeid.endswith("@e2e")
    if first_of_the_half and _Keycloak.needed and hasattr(item.config, "workerinput"):
        _Keycloak.start()


# Folders this run made outside pytest's own temporary folder (PostgreSQL runs as another
# user there): each stack's data and logs, Keycloak's. Kept to be read when a test failed.
_SCRATCH: list[Path] = []


@pytest.fixture(scope="session")
def scratch() -> list[Path]:
    """Add a folder made for this run: it is removed at the end if every test passed."""
    return _SCRATCH


def pytest_sessionfinish(exitstatus: int) -> None:
    """Stop the run's Keycloak, whether or not a test got to use it; then, if every test
    passed, remove the folders the run made (a stack keeps hundreds of MB of data)."""
    _Keycloak.stop()
    if exitstatus == pytest.ExitCode.OK:
        for folder in _SCRATCH:
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def keycloak() -> KeycloakServer:
    """A real Keycloak with the `lindung` realm, once per run, only for runs that use it.

    It starts in the background as soon as the tests are collected (on a pytest-xdist
    worker, as its half begins), beside the broker and PostgreSQL. `keycloak.issuer`,
    `keycloak.client_id`, `keycloak.client_secret` are the desk's OIDC client;
    `keycloak.passwords[user_name]` each demo person's password (this run's);
    `keycloak.intake_settings()` (for `ServiceSet`) or `keycloak.intake_env(desk_url)`
    what intake needs to sign people in.
    """
    if _Keycloak.started is None:  # a run whose tests were collected otherwise
        _Keycloak.start()
    assert _Keycloak.server is not None
    assert _Keycloak.started is not None
    try:
        _Keycloak.started.result()
    except StartError as error:
        pytest.fail(f"{error}\n(its log is in {_Keycloak.server.log_file})", pytrace=False)
    return _Keycloak.server


@pytest.fixture
def schema() -> str:
    """A schema name of its own for each test: no teardown, no interference."""
    return f"t_{uuid.uuid4().hex[:12]}"
