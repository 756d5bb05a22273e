"""The demo: four identified children travel through all four services while you watch.

Deadlines in the demo policy are seconds, so warnings and escalations happen live.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
from aiokafka import AIOKafkaProducer
from lindung_contracts import Envelope, Identification, IdentificationReported, encode

from ._proc import free_port
from .access import agency_principal
from .directory import DEMO_DIR, DEMO_DIRECTORY, demo_providers
from .keycloak import KeycloakServer
from .mail import Mailbox, MailServer
from .realm import PEOPLE
from .services import HEALTH_PATH, ServiceSet
from .stack import Stack
from .timeline import Timeline
from .world import Behaviour, StandIn, write_endpoints, write_keys

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from .world import Keys

__all__ = ["identifications", "play", "provider_behaviour", "run_demo", "seeded_personal"]


# Which agency reports which child, and the label the timeline shows.
CASES: dict[str, tuple[str, str]] = {
    "pdrm-selangor": ("A", "refugee boy picked up in a police raid, Selangor"),
    "imi-johor": ("B", "girl found in an immigration depot, Johor"),
    "ocsc-sabah": ("C", "14-year-old married off, seen at a hospital crisis centre, Sabah"),
    "jtk-perak": ("D", "citizen boy in forced labour on a plantation, Perak (Kafka door)"),
}


COORDINATOR = "coordinator-sabah"
OPERATIONS = "operations-desk"  # signs in to the sla-monitor's dashboard
# Who is told by email (kept by the demo's mail relay, each linking to the desk): the demo
# people's providers and the case coordinator. The shelters' systems also get the webhook,
# so the scenario plays as before; legal aid is only mailed (nobody answers it but you).
MAILBOXES = {
    "shelter-sel-1": Mailbox("rujukan@shelter-sel-1.example.org.my", "ms", webhook_too=True),
    "shelter-sel-2": Mailbox("admin@shelter-sel-2.example.org.my", "en", webhook_too=True),
    "legal-aid-sel-1": Mailbox("kes@legal-aid-sel-1.example.org.my", "en"),
    "case_coordinator": Mailbox("penyelaras@jkm.example.gov.my", "en"),
}
# Case C's child is still being examined at the hospital: her coordinator pauses the
# legal-aid referral's clock for a while, then resumes it.
PAUSE_FOR_SECONDS = 15.0
# Words people type name children, as they do in life: the shelter's decline note and the
# coordinator's pause note below. Intake seals them; only reason codes travel on.
DECLINE_NOTE = "No bed tonight for Aye Aye Mon, 15; try the shelter in Klang."
PAUSE_NOTE = "Nur Aisyah binti Rahman is in ward 4 at Hospital Queen Elizabeth."
RESUME_NOTE = "Nur Aisyah binti Rahman was discharged; legal aid can see her now."
# Keys no model declares, which a careless or hostile sender may make of a name or a
# document number: refused, and never repeated in an answer, a log or a dead letter.
MADE_UP_KEYS = ("AyeAyeMon", "MMR17C01234")


def provider_behaviour(referral: dict[str, Any]) -> Behaviour:
    """How the stand-in providers answer: some accept, a shelter is full, some stay silent."""
    service, attempt = referral["service"], referral["attempt"]
    if service == "safe_shelter" and attempt == 1:
        # The words a person adds can name the child: intake seals them, and only the
        # code travels on.
        return Behaviour("decline", 2.0, "at_capacity", DECLINE_NOTE)
    if service in {"legal_aid", "interpretation"}:
        return Behaviour("ignore")
    delays = {"child_protector": 2.0, "safe_shelter": 3.0, "health": 4.0, "unhcr": 5.0}
    return Behaviour("accept", delays.get(service, 6.0))


def identifications(now: datetime) -> dict[str, dict[str, Any]]:
    """The four children, as the agencies would report them.

    Over HTTP the agencies also give the personal details a provider needs to act (the
    names, numbers and addresses here are invented): intake seals them, and a provider
    reads only what its service needs. The Kafka door's identification has none: personal
    details never travel on Kafka.
    """
    at = now.isoformat()
    return {
        "pdrm-selangor": {
            "agency_reference": "PDRM/SGR/2026/0411",
            "identified_at": at,
            "child": {"age_years": 15, "gender": "male", "nationality_status": "refugee",
                      "languages": ["rhg", "my"], "officer_age_estimate_years": 14,
                      "accompaniment": "unaccompanied"},
            "situation": {"indicators": ["forced_labour"], "how_identified": "raid",
                          "immediate_risks": ["injuries"], "location": "police_lockup",
                          "state": "selangor", "district": "petaling",
                          "safe_place_tonight": False},
            "consent": {"categories": ["shelter", "health", "legal_aid", "unhcr"],
                        "given_by": "child"},
            "personal": {"name": "Mohammed Rafiq bin Nur Alam", "date_of_birth": "2011-02-17",
                         "documents": [{"kind": "unhcr_card", "number": "MYS-20C08731"}],
                         "whereabouts": "IPD Petaling Jaya lock-up, Jalan Penchala, cell block B",
                         "officer": {"name": "Insp. Nurul Huda Ismail", "phone": "+60 3-7966 2271",
                                     "unit": "D11, IPD Petaling Jaya"},
                         "narrative": "Found sorting scrap metal at 23:00 during the raid."},
        },
        "imi-johor": {
            "agency_reference": "JIM-JHR-DEPOT-88213",
            "identified_at": at,
            "child": {"age_years": 17, "age_disputed": True, "gender": "female",
                      "nationality_status": "undocumented", "languages": ["my"],
                      "officer_age_estimate_years": 15, "accompaniment": "separated"},
            "situation": {"indicators": ["sexual_exploitation", "sexual_violence"],
                          "sexual_violence_at": (now - timedelta(hours=30)).isoformat(),
                          "how_identified": "border", "immediate_risks": ["medical_urgency"],
                          "location": "immigration_detention", "state": "johor",
                          "safe_place_tonight": False, "interview_scheduled": True},
            "consent": {"best_interest_override": {
                "officer": "PPKM/JHR/0197",
                "reason": "No guardian traceable; detained; urgent health care needed."}},
            "personal": {"name": "Hnin Wai Phyo", "date_of_birth": "2009-08-30",
                         "documents": [{"kind": "passport", "number": "MD 4471902",
                                        "issuing_country": "MMR"}],
                         "whereabouts": "Depoh Imigresen Pekan Nanas, women's block",
                         "officer": {"name": "Pn. Rosmah Abdul Ghani",
                                     "phone": "+60 7-696 0231"}},
        },
        "ocsc-sabah": {
            "agency_reference": "OSCC-QEH-2026-1907",
            "identified_at": at,
            "child": {"age_years": 14, "gender": "female", "nationality_status": "stateless",
                      "languages": ["ms"], "accompaniment": "accompanied"},
            "situation": {"indicators": ["forced_or_child_marriage"], "how_identified": "hospital",
                          "immediate_risks": ["pregnancy"], "location": "hospital",
                          "state": "sabah", "court_date_pending": True},
            "consent": {"categories": ["health", "legal_aid", "psychosocial"],
                        "given_by": "child"},
            "personal": {"name": "Siti Aisyah binti Jamal", "date_of_birth": "2012-05-03",
                         "whereabouts": "Hospital Queen Elizabeth, OSCC room 2",
                         "officer": {"name": "Dr. Florence Lajim", "phone": "+60 88-517 555"}},
        },
        "jtk-perak": {
            "agency_reference": "JTK-PRK-INSP-5520",
            "identified_at": at,
            "child": {"age_years": 13, "gender": "male", "nationality_status": "citizen",
                      "languages": ["ms", "ta"]},
            "situation": {"indicators": ["forced_labour"], "how_identified": "other",
                          "location": "workplace", "state": "perak",
                          "safe_place_tonight": False},
        },
    }  # fmt: skip


# A second agency meets case A's boy and reports him with the same UNHCR card: he joins
# case A (no second set of referrals).
SECOND_REPORTER = "jkm-selangor"


def second_report(now: datetime) -> dict[str, Any]:
    """Case A's child, reported again by the welfare department an hour later."""
    first = identifications(now)["pdrm-selangor"]
    return {
        **first,
        "agency_reference": "JKM-SGR-2026-3318",
        "identified_at": now.isoformat(),
        "situation": {**first["situation"], "location": "shelter"},
        "personal": {"name": "Rafiq Nur Alam", "date_of_birth": "2011-02-17",
                     "documents": [{"kind": "unhcr_card", "number": "mys 20c08731"}],
                     "officer": {"name": "En. Kamal Hashim", "phone": "+60 3-5519 0101"}},
    }  # fmt: skip


def seeded_personal(now: datetime) -> set[str]:
    """Every name, document number and phone number the demo seeds, as written.

    With the words people type in notes, and the made-up keys a bad identification
    carries.
    """
    seeded: set[str] = {"Aye Aye Mon", "Nur Aisyah binti Rahman", *MADE_UP_KEYS}
    for body in [*identifications(now).values(), second_report(now)]:
        personal = body.get("personal") or {}
        seeded.update(p for p in (personal.get("name"), personal.get("whereabouts")) if p)
        seeded.update(d["number"] for d in personal.get("documents", ()))
        if personal.get("officer"):
            seeded.update((personal["officer"]["name"], personal["officer"]["phone"]))
    return seeded


async def _report(
    stack: Stack, intake_url: str, agency_keys: dict[str, str], now: datetime
) -> None:
    bodies = identifications(now)
    async with aiohttp.ClientSession() as http:
        for agency, body in bodies.items():
            if agency == "jtk-perak":
                continue  # this agency's system publishes straight onto Kafka, below
            headers = {"Authorization": f"Bearer {agency_keys[agency]}"}
            async with http.post(
                f"{intake_url}/v1/identifications", json=body, headers=headers
            ) as response:
                answer = await response.json()
                print(f"  POST /v1/identifications by {agency}: {response.status} {answer}")
        headers = {"Authorization": f"Bearer {agency_keys[SECOND_REPORTER]}"}
        async with http.post(
            f"{intake_url}/v1/identifications", json=second_report(now), headers=headers
        ) as response:
            answer = await response.json()
            print(f"  POST /v1/identifications by {SECOND_REPORTER} (same UNHCR card as A): "
                  f"{response.status} {answer}")  # fmt: skip
        bad = {
            **bodies["pdrm-selangor"],
            "agency_reference": "PDRM/SGR/2026/0412",
            "child": {
                "age_years": 19,
                "gender": "male",
                "nationality_status": "refugee",
                MADE_UP_KEYS[0]: "brother",
            },
        }
        headers = {"Authorization": f"Bearer {agency_keys['pdrm-selangor']}"}
        async with http.post(f"{intake_url}/v1/identifications", json=bad, headers=headers) as r:
            print(f"  a bad identification is refused with each field and reason: "
                  f"{r.status} {await r.json()}")  # fmt: skip
    reported = IdentificationReported(
        agency_id="jtk-perak",
        agency_reference=bodies["jtk-perak"]["agency_reference"],
        identification=Identification.model_validate(bodies["jtk-perak"]),
    )
    record = encode(
        Envelope.wrap(reported, event_id=uuid.uuid4(), time=now, source="/agencies/jtk-perak")
    )
    # The agency's own principal: the one allowed to write its topic.
    producer = AIOKafkaProducer(**stack.kafka(agency_principal("jtk-perak")))
    await producer.start()
    # And one its system got wrong: a key no model declares, made of a document number.
    careless = json.loads(record.value)
    careless["id"] = str(uuid.uuid4())
    careless["data"]["identification"]["child"][MADE_UP_KEYS[1]] = "passport"
    try:
        await producer.send_and_wait(record.topic, record.value, key=record.key,
                                     headers=list(record.headers))  # fmt: skip
        await producer.send_and_wait(record.topic, json.dumps(careless).encode(), key=record.key,
                                     headers=list(record.headers))  # fmt: skip
    finally:
        await producer.stop()
    print(f"  jtk-perak published an identification onto {record.topic}, and one with a key "
          "no model declares (refused on its rejections topic)")  # fmt: skip


async def play(
    stack: Stack,
    workdir: Path,
    seconds: float,
    *,
    stay: bool,
    visit: Callable[[ServiceSet, Keys], Awaitable[None]] | None = None,
    keycloak: KeycloakServer | None = None,
) -> None:
    """The scenario on a running stack: services started, children reported, watched.

    `visit`, if given, is called with the services still running once the scenario is over.
    With `keycloak`, intake signs people in to the desk there.
    """
    agencies = [*CASES, SECOND_REPORTER]
    keys = write_keys(
        workdir / "api-keys.json", agencies, demo_providers(), (COORDINATOR,), (OPERATIONS,)
    )
    services = ServiceSet(
        workdir / "logs", stack.kafka_bootstrap_servers, stack.database_urls, stack.credentials
    )
    standin = StandIn("", keys, provider_behaviour, read_first=True)
    write_endpoints(workdir / "endpoints.json", standin.base_url, demo_providers(),
                    secret=keys.webhook_secret, mailboxes=MAILBOXES)  # fmt: skip
    mail = MailServer(workdir / "mail-relay", keep=workdir / "mail")
    services.settings = _settings(stack, workdir, keys, mail, keycloak)
    began = time.monotonic()
    print("Starting intake, router, notifier and sla-monitor ...", flush=True)
    mail.start()
    services.start()
    print(f"  all four healthy in {time.monotonic() - began:.1f} s; logs in {workdir / 'logs'}")
    desk = _desk_notes(keycloak, services, workdir)
    print(*desk, f"\nEmails to {', '.join(MAILBOXES)} are kept in {mail.keep} (.eml and .txt: "
          "open one, follow its link to the desk, sign in as that provider's person)",
          sep="\n")  # fmt: skip
    intake_url = services["intake"].url
    standin.intake_url = intake_url  # known only once intake has a port
    await standin.start()
    timeline = Timeline(
        stack.kafka(),
        stack.agencies,
        agency_labels={a: lbl for a, (lbl, _) in CASES.items()},
        color=sys.stdout.isatty(),
    )
    print("\nThe children (names are sealed in intake; events carry pseudonymous ids):")
    for label, story in CASES.values():
        print(f"  {label}  {story}")
    print("\nTimeline (demo policy: deadlines in seconds):\n")
    watcher = asyncio.create_task(timeline.run())
    try:
        await _report(stack, intake_url, keys.agencies, datetime.now(UTC))
        pauser = asyncio.create_task(_pause_and_resume(standin, intake_url, keys.coordinators))
        await asyncio.sleep(seconds)
        pauser.cancel()
        await asyncio.gather(pauser, return_exceptions=True)
        _summary(timeline, services, workdir, _keep_operations_key(workdir, keys))
        _reads(standin)
        print(*desk, sep="\n")
        _mails(mail)
        if visit is not None:
            await visit(services, keys)
        if stay:
            print("\nLindung keeps running for you to explore. Press Ctrl-C to stop everything.")
            await asyncio.Event().wait()
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        # Services first, so the notifier is not left retrying webhooks nobody serves.
        await standin.stop_answering()
        codes = await asyncio.to_thread(services.stop)  # the stand-in keeps serving meanwhile
        await standin.stop()
        mail.stop()
        print(f"\nServices stopped (exit codes {codes}).")


def _settings(
    stack: Stack, workdir: Path, keys: Keys, mail: MailServer, keycloak: KeycloakServer | None
) -> dict[str, dict[str, str]]:
    """Each service's settings for the demo: its files, the mail relay, the desk's sign-in."""
    # Intake's port is chosen now: the desk it serves is where every notice links to.
    intake_port = free_port()
    settings = {
        # The agencies' own topics are the Kafka door; jtk-perak reports there.
        "intake": keys.settings(workdir / "api-keys.json")
        | {"kafka_agencies": ",".join(stack.agencies), "http_port": str(intake_port)},
        "router": {"policy_file": str(DEMO_DIR / "policy.toml"),
                   "directory_file": str(DEMO_DIRECTORY)},
        "notifier": {"endpoints_file": str(workdir / "endpoints.json"),
                     "backoff_base_seconds": "0.5", "backoff_cap_seconds": "5",
                     "desk_url": f"http://127.0.0.1:{intake_port}/desk"}
                    | mail.notifier_settings(),
        "sla-monitor": {"tick_seconds": "0.5"} | keys.dashboard_settings(workdir / "api-keys.json"),
    }  # fmt: skip
    if keycloak is not None:
        settings["intake"] |= keycloak.intake_settings()
        settings["sla-monitor"] |= keycloak.dashboard_settings()
    return settings


async def _pause_and_resume(standin: StandIn, intake_url: str, keys: dict[str, str]) -> None:
    """Case C's coordinator pauses the legal-aid referral's clock, then resumes it."""
    referral_id = None
    while referral_id is None:
        for received in standin.at("/providers/"):
            data = received.event["data"]
            if (
                received.event["type"] == "org.lindung.referral.requested.v1"
                and data["agency_id"] == "ocsc-sabah"  # type: ignore[index]
                and data["service"] == "legal_aid"  # type: ignore[index]
            ):
                referral_id = data["referral_id"]  # type: ignore[index]
        await asyncio.sleep(0.2)
    headers = {"Authorization": f"Bearer {keys[COORDINATOR]}"}
    url = f"{intake_url}/v1/referrals/{referral_id}"
    async with aiohttp.ClientSession() as http:
        why = {
            "reason": "child_in_hospital",
            "note": PAUSE_NOTE,
        }
        async with http.post(f"{url}/pause", json=why, headers=headers) as response:
            print(f"  POST .../pause by {COORDINATOR}: {response.status}")
        await asyncio.sleep(PAUSE_FOR_SECONDS)
        why = {
            "reason": "child_available",
            "note": RESUME_NOTE,
        }
        async with http.post(f"{url}/resume", json=why, headers=headers) as response:
            print(f"  POST .../resume by {COORDINATOR}: {response.status}")


def _reads(standin: StandIn) -> None:
    """What the providers read of their referrals: their service's fields, with consent."""
    statuses = sorted({status for _, status, _ in standin.reads})
    print(
        "\nProviders read their referrals before answering (GET /v1/referrals/{id}, "
        f"audited): {len(standin.reads)} reads, HTTP {statuses}."
    )
    print("What each service saw:")
    seen: dict[str, set[int]] = {}
    for service, _, paths in standin.reads:
        personal = sorted(p.removeprefix("personal.") for p in paths if p.startswith("personal."))
        line = f"{len(paths)} fields; personal: {', '.join(personal) or 'none'}"
        if len(paths) not in seen.setdefault(service, set()):
            seen[service].add(len(paths))
            print(f"  {service:<16} {line}")
    print("  (0 fields: no consent for that service's category)")


def _desk_notes(keycloak: KeycloakServer | None, services: ServiceSet, workdir: Path) -> list[str]:
    """Where people sign in to the desk, who they are, and where their passwords are."""
    if keycloak is None:
        return []
    passwords = keycloak.write_passwords(workdir / "desk-passwords.txt")
    return [
        f"\nThe desk: {services['intake'].url}/desk/ (people sign in at Keycloak, {keycloak.url})",
        *(f"  {person.username:<18} {person.describe()}" for person in PEOPLE),
        f"  their passwords in {passwords} (new each run); Keycloak's log {keycloak.log_file}",
        f"The operations dashboard: {services['sla-monitor'].url}/dashboard (as operations)",
    ]


def _mails(mail: MailServer) -> None:
    """How many emails each mailbox got, and one to start from."""
    print(f"\nEmails kept in {mail.keep}:")
    for recipient, mailbox in MAILBOXES.items():
        count = len(mail.to(mailbox.address))
        print(f"  {recipient:<18} {mailbox.address:<40} {count} email{'' if count == 1 else 's'}")
    first = next((m for m in mail.to(MAILBOXES["legal-aid-sel-1"].address) if m.file), None)
    if first is not None and first.file is not None and first.links:
        print(f"  e.g. {first.file.with_suffix('.txt')} (and its .eml)")
        print(f"  links to {first.links[0]} (sign in as legal-aid-sel-1)")


def _keep_operations_key(workdir: Path, keys: Keys) -> Path:
    """The demo's operations key, in a file only its owner reads, for the dashboard."""
    path = workdir / "operations-key.txt"
    path.touch(mode=0o600)
    path.write_text(keys.operations[OPERATIONS] + "\n")
    return path


def _summary(timeline: Timeline, services: ServiceSet, workdir: Path, key_file: Path) -> None:
    print("\nPer case, in order (webhook receipts left out):")
    for label, story in CASES.values():
        c = timeline.counts(label)
        print(f"\n  {label}  {story}")
        for line in timeline.story(label):
            print(f"     {line}")
        print(
            f"     = {c.get('referral.requested', 0)} referrals requested, "
            f"{c.get('referral.accepted', 0)} accepted, {c.get('referral.rerouted', 0)} re-routed, "
            f"{c.get('referral.no-provider', 0)} without a provider, "
            f"{c.get('deadline.warning', 0)} warnings, {c.get('deadline.missed', 0)} escalations, "
            f"{c.get('notification.delivered', 0)} webhooks delivered"
        )
    print("\nWhere to look next:")
    print(f"  API docs (OpenAPI)   {services['intake'].url}/docs")
    print(f"  dashboard            {services['sla-monitor'].url}/dashboard"
          "  (people: sign in as operations)")  # fmt: skip
    print(f"  dashboard JSON, CSV  Authorization: Bearer <the operations key in {key_file}>")
    for name, service in services.processes.items():
        print(f"  {name:<12} ready   {service.url}{HEALTH_PATH}  metrics {service.url}/metrics")
        print(f"  {'':<12} log     {service.log_file}")
    print(f"  demo config          {workdir} (API keys file holds hashes only)")
    print("  contracts            contracts/asyncapi.json, contracts/schemas/")


def run_demo(*, seconds: float = 100.0, stay: bool = True) -> None:
    """Start the infrastructure and the services, play the scenario, stop on Ctrl-C."""
    began = time.monotonic()
    print("Starting PostgreSQL, the Kafka broker (KRaft) and Keycloak ...", flush=True)
    stack = Stack(agencies=tuple(CASES), short_lived=True)
    keycloak = KeycloakServer(stack.workdir / "keycloak")
    with contextlib.ExitStack() as running:
        # Keycloak starts beside the broker; on the way out it stops last, once started.
        running.callback(keycloak.stop)
        pool = running.enter_context(concurrent.futures.ThreadPoolExecutor(max_workers=1))
        starting = pool.submit(keycloak.start)
        running.enter_context(stack)
        starting.result()
        broker = f"{stack.broker.started_in:.1f} s" if stack.broker else "existing"
        print(f"  Kafka at {stack.kafka_bootstrap_servers} (broker start {broker}), "
              f"PostgreSQL at {stack.database_url}, Keycloak at {keycloak.url} (start "
              f"{keycloak.started_in:.1f} s); infrastructure up in "
              f"{time.monotonic() - began:.1f} s")  # fmt: skip
        try:
            asyncio.run(play(stack, stack.workdir, seconds, stay=stay, keycloak=keycloak))
        except KeyboardInterrupt:
            print("Interrupted: stopping Kafka, PostgreSQL and Keycloak ...")
    print("Kafka, PostgreSQL and Keycloak stopped. Their logs stay in", stack.workdir)
