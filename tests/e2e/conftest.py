"""What the end-to-end tests share: the four services as processes, stand-in providers.

`start_system(behaviour)` (a test's own) and `four_services(workdir, behaviour)` (shared by
a module's tests) start intake, the router, the notifier and the sla-monitor as separate
processes on the run's broker and PostgreSQL (each as its own principal and
database role), with the demo directory, the end-to-end policy (`policy.toml`: windows of
seconds) and every webhook pointed at a stand-in that answers as `behaviour` says. Given
the run's stand-in mail relay (`mail_server`) and `mailboxes`, those providers and roles
are told by email instead, each link leading to intake's desk. Each test's system is
stopped at its end, and every process must exit cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from lindung_devstack._proc import free_port
from lindung_devstack.demo import DEMO_DIR
from lindung_devstack.mail import MailServer
from lindung_devstack.services import ServiceSet
from lindung_devstack.world import Behaviour, Keys, StandIn, write_endpoints, write_keys

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping

    from lindung_devstack.mail import Mailbox

HERE = Path(__file__).parent
AGENCY = "pdrm-selangor"
COORDINATOR = "coordinator-sel"
OPERATIONS = "operations"

System = tuple[ServiceSet, StandIn, Keys]


@contextlib.asynccontextmanager
async def _four_services(
    stack: Any,
    workdir: Path,
    behaviour: Callable[[dict[str, Any]], Behaviour],
    endpoints: Callable[[dict[str, Any]], None] | None = None,
    *,
    policy: Path = HERE / "policy.toml",
    intake: dict[str, str] | None = None,
    sla_monitor: dict[str, str] | None = None,
    mail: MailServer | None = None,
    mailboxes: Mapping[str, Mailbox] | None = None,
) -> AsyncIterator[System]:
    directory = json.loads((DEMO_DIR / "directory.json").read_text())
    providers = [p["id"] for p in directory["providers"]]
    keys = write_keys(workdir / "keys.json", [AGENCY], providers, (COORDINATOR,), (OPERATIONS,))
    standin = StandIn("", keys, behaviour)
    path = workdir / "endpoints.json"
    write_endpoints(
        path, standin.base_url, providers, secret=keys.webhook_secret, mailboxes=mailboxes
    )
    if endpoints is not None:
        document = json.loads(path.read_text())
        endpoints(document)
        path.write_text(json.dumps(document))
    intake = dict(intake or {})
    notifier = {"endpoints_file": str(path)}
    if mail is not None:
        # Emails link to the desk: intake's port is chosen now, for the notifier to know.
        intake.setdefault("http_port", str(free_port()))
        desk = f"http://127.0.0.1:{intake['http_port']}/desk"
        notifier |= mail.notifier_settings() | {"desk_url": desk}
    services = ServiceSet(
        workdir / "logs",
        stack.kafka_bootstrap_servers,
        stack.database_urls,
        stack.credentials,
        settings={
            "intake": keys.settings(workdir / "keys.json") | intake,
            "router": {
                "policy_file": str(policy),
                "directory_file": str(DEMO_DIR / "directory.json"),
            },
            "notifier": notifier,
            "sla-monitor": {"tick_seconds": "0.2"}
            | keys.dashboard_settings(workdir / "keys.json")
            | (sla_monitor or {}),
        },
    )
    await asyncio.to_thread(services.start)
    standin.intake_url = services["intake"].url
    await standin.start()
    try:
        yield services, standin, keys
    finally:
        await standin.stop_answering()
        codes = await asyncio.to_thread(services.stop)  # the stand-in keeps serving meanwhile
        await standin.stop()
        for name, service in services.processes.items():
            print(f"--- {name} log: {service.log_file}")
        assert all(code == 0 for code in codes.values()), f"unclean exits: {codes}"


@pytest.fixture(scope="session")
def four_services(stack) -> Callable[..., contextlib.AbstractAsyncContextManager[System]]:
    """`async with four_services(workdir, behaviour, endpoints=None) as system:`.

    For a module-scoped system shared by tests that do not change it; `policy=` (a policy
    file), `intake=` (more of intake's settings), `mail=` (the `mail_server`) with
    `mailboxes=` (`Mailbox` by provider id or role) change what every test of it sees.
    """
    return functools.partial(_four_services, stack)


@pytest.fixture(scope="session")
def mail_server(tmp_path_factory) -> Iterator[MailServer]:
    """The run's stand-in mail relay (STARTTLS, its own CA), keeping every message.

    `mail_server.to(address)` are the messages to a mailbox, each with its `links` to the
    desk; a test picks its own by the referral or case id in them.
    """
    server = MailServer(tmp_path_factory.mktemp("mail"))
    with server:
        yield server


@pytest.fixture
async def start_system(four_services, tmp_path) -> AsyncIterator[Callable[..., Awaitable[System]]]:
    """`await start_system(behaviour, endpoints=None)`: a system of the test's own."""
    async with contextlib.AsyncExitStack() as running:

        async def start(
            behaviour: Callable[[dict[str, Any]], Behaviour],
            *,
            endpoints: Callable[[dict[str, Any]], None] | None = None,
            intake: dict[str, str] | None = None,
            sla_monitor: dict[str, str] | None = None,
            mail: MailServer | None = None,
            mailboxes: Mapping[str, Mailbox] | None = None,
        ) -> System:
            """`endpoints` may change the endpoints document (a gone provider, say) first.

            `intake` adds to intake's settings (`keycloak.intake_settings()`, say), and
            `sla_monitor` to the sla-monitor's (`keycloak.dashboard_settings()`); `mail` and
            `mailboxes` tell those recipients by email.
            """
            system = four_services(
                tmp_path,
                behaviour,
                endpoints,
                intake=intake,
                sla_monitor=sla_monitor,
                mail=mail,
                mailboxes=mailboxes,
            )
            return await running.enter_async_context(system)

        yield start


@pytest.fixture
def eventually() -> Callable[..., Awaitable[Any]]:
    """`await eventually(check, timeout=, what=)`: the first truthy result of `check`."""

    async def wait(check: Callable[[], Any], *, timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = check()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return result
            await asyncio.sleep(0.25)
        raise AssertionError(f"timed out waiting for {what}")

    return wait
