"""What the end-to-end tests share: the four services as processes, stand-in providers.

`start_system(behaviour)` (a test's own) and `four_services(workdir, behaviour)` (shared by
a module's tests) start intake, the router, the notifier and the sla-monitor as separate
processes on the run's broker and PostgreSQL (each as its own principal and
database role), with the demo directory, the end-to-end policy (`policy.toml`: windows of
seconds) and every webhook pointed at a stand-in that answers as `behaviour` says. Given
the run's stand-in mail relay (`mail_server`) and `mailboxes`, those providers and roles
are told by email instead, each link leading to intake's desk. Each test's system is
stopped at its end, and every process must exit cleanly.

People at the desk are `people(name, language, tag)`: each in a browser context of their
own in the run's Chromium, signing in at Keycloak when the desk sends them there, and
`check`ing every page they see (axe-core, no sideways scroll, a screenshot). What comes
on topics after a point is `await from_now(REFERRALS, ...)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import json
import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from axe_playwright_python.async_playwright import Axe
from lindung_contracts import decode
from lindung_devstack._proc import free_port
from lindung_devstack.directory import DEMO_DIRECTORY, demo_providers
from lindung_devstack.mail import MailServer
from lindung_devstack.services import ServiceSet
from lindung_devstack.world import Behaviour, Keys, StandIn, write_endpoints, write_keys
from playwright.async_api import async_playwright

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping

    from lindung_contracts import Topic
    from lindung_devstack.mail import Mailbox
    from playwright.async_api import Browser, Page

HERE = Path(__file__).parent
AGENCY = "pdrm-selangor"
COORDINATOR = "coordinator-sel"
OPERATIONS = "operations"
ARTIFACTS = Path(
    os.environ.get("LINDUNG_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
)
LAPTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}

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
    providers = demo_providers()
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
                "directory_file": str(DEMO_DIRECTORY),
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


@pytest.fixture
def identify() -> Callable[..., Awaitable[str]]:
    """`await identify(services, keys, body)`: the case id of what the agency reported (202)."""

    async def report(services: ServiceSet, keys: Keys, body: dict[str, Any]) -> str:
        bearer = {"Authorization": f"Bearer {keys.agencies[AGENCY]}"}
        async with httpx.AsyncClient(base_url=services["intake"].url) as client:
            response = await client.post("/v1/identifications", json=body, headers=bearer)
        assert response.status_code == 202, response.text
        return str(response.json()["case_id"])

    return report


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    """Debian's Chromium, driven by Playwright, once per run."""
    found = shutil.which("chromium")
    assert found, "Debian's chromium is needed (make browser installs it)"
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=found, args=["--no-sandbox"])
        yield browser
        await browser.close()


class Person:
    """One person in their own browser context (their own cookies, their own screen)."""

    def __init__(self, page: Page, name: str, language: str, tag: str, password: str) -> None:
        self.page, self.name, self.language, self.tag = page, name, language, tag
        self._password = password
        self.seen = 0

    async def open(self, url: str) -> bool:
        """Open a desk page; sign in on Keycloak's page first if the desk sends us there.

        Whether it did.
        """
        await self.page.goto(url)
        if not await self.page.locator("#kc-login").count():
            return False
        await self.page.fill("#username", self.name)
        await self.page.fill("#password", self._password)
        await self.page.click("#kc-login")
        await self.page.wait_for_url(f"{url.split('/desk', maxsplit=1)[0]}/desk/**")
        return True

    async def choose_language(self) -> None:
        """Pick the person's language from the header's form (remembered from now on)."""
        await self.page.select_option("#language", self.language)
        await self.page.click("form[action$='/language'] button")
        await self.page.wait_for_load_state()
        assert await self.page.get_attribute("html", "lang") == self.language

    async def press(self, form: str) -> str:
        """Submit a form of the page; the text of the page it leads to."""
        await self.page.click(f"{form} button[type=submit]")
        await self.page.wait_for_load_state()
        return await self.page.inner_text("main")

    async def act(self, action: str) -> str:
        """Press the page's button for `action` (accept, start, ...); the page it leads to."""
        return await self.press(f"form[action$='/{action}']")

    async def check(self, what: str) -> None:
        """Every desk page: axe-core finds nothing serious; nothing scrolls sideways."""
        assert await self.page.get_attribute("html", "lang") == self.language
        results = await Axe().run(self.page)
        bad = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in results.response["violations"]
            if v["impact"] in {"serious", "critical"}
        ]
        assert not bad, f"{what}: {bad}"
        sideways = await self.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert sideways <= 0, f"{what}: scrolls {sideways} px sideways"
        self.seen += 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240
        await self.page.screenshot(
            path=ARTIFACTS / f"desk-{self.tag}-{self.seen:02d}-{what}.png", full_page=True
        )


@pytest.fixture
async def people(chromium, keycloak) -> AsyncIterator[Callable[..., Awaitable[Person]]]:
    """`await people(name, language, tag)`: a person of the realm at the desk.

    English on a laptop, Malay on a 360 px phone; their screenshots are named by `tag`.
    Their browser contexts are closed when the test ends.
    """
    contexts = []

    async def person(name: str, language: str, tag: str) -> Person:
        context = await chromium.new_context(
            **(LAPTOP if language == "en" else PHONE), locale="en-GB"
        )
        contexts.append(context)
        page = await context.new_page()
        return Person(page, name, language, tag, keycloak.passwords[name])

    yield person
    for context in contexts:
        await context.close()


class Topics:
    """Topics read from where they ended when this was made: only what came after."""

    def __init__(self, consumer: AIOKafkaConsumer) -> None:
        self._consumer = consumer
        self.seen: list[Any] = []

    async def first(self, wanted: Callable[[Any], bool], *, timeout: float = 60) -> Any:
        """The first event so far or to come that `wanted` says yes to."""
        deadline = time.monotonic() + timeout
        while True:
            found = next((e for e in self.seen if wanted(e)), None)
            if found is not None:
                return found
            if time.monotonic() > deadline:
                raise AssertionError("the event did not come")
            await self.read()

    async def read(self) -> None:
        """Take in what has come."""
        batches = await self._consumer.getmany(timeout_ms=500)
        self.seen += [decode(r.value).data for records in batches.values() for r in records]


@pytest.fixture
async def from_now(stack) -> AsyncIterator[Callable[..., Awaitable[Topics]]]:
    """`await from_now(REFERRALS, DEADLINES)`: those topics from their current ends."""
    consumers = []

    async def reader(*topics: Topic) -> Topics:
        consumer = AIOKafkaConsumer(**stack.kafka(), enable_auto_commit=False)
        consumers.append(consumer)
        await consumer.start()
        parts = [TopicPartition(t.name, p) for t in topics for p in range(t.partitions)]
        consumer.assign(parts)
        for partition, offset in (await consumer.end_offsets(parts)).items():
            consumer.seek(partition, offset)
        return Topics(consumer)

    yield reader
    for consumer in consumers:
        await consumer.stop()
