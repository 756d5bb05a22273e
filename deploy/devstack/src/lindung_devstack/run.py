"""`python -m lindung_devstack run`: the real system on one machine, until Ctrl-C or SIGTERM.

The Kafka broker, PostgreSQL, Keycloak (the desk's and the dashboard's sign-in) and the
four services, on fixed loopback ports, with the default routing policy (or the one the
settings name) and the operator's directory and endpoints: no stand-ins, no demo data.
Everything lives in one data directory (`run_data.py`) and survives a restart; the first
start issues the first API keys and prints them, once.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import subprocess
import sys
import time
from typing import TYPE_CHECKING

from ._proc import StartError
from .access import ADMIN, SERVICE_PRINCIPALS, Credentials, agency_principal
from .kafka import KafkaBroker, resolve_broker
from .keycloak import KeycloakServer
from .postgres import PostgresServer
from .realm import REALM, REALM_ADMIN, People
from .roles import DatabaseRole
from .run_data import (
    FIRST_KEYS_FILE,
    FirstKeys,
    OperatorError,
    RunSettings,
    Secrets,
    issue_first_keys,
    write_env,
    write_private,
)
from .services import HEALTH_PATH, SERVICES, ServiceSet
from .stack import Stack

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["run_system"]


def run_system(data: Path) -> None:
    """Start everything on the data in `data`, print how to use it, stop on Ctrl-C."""
    began = time.monotonic()
    data = data.resolve()
    try:
        settings = RunSettings.load(data)
        settings.check_files()
        _reachable_by_postgres(data)
        secrets = Secrets.load(data, settings.kafka_agencies)
    except OperatorError as error:
        sys.exit(f"lindung run: {error}")
    first = issue_first_keys(settings, secrets)
    for private in ("kafka", "keycloak", "env"):  # the broker's config holds the admin's password
        (data / private).mkdir(mode=0o700, exist_ok=True)
        (data / private).chmod(0o700)
    stack, keycloak = _stack(settings, secrets), _keycloak(settings, secrets)
    print(f"Starting PostgreSQL, the Kafka broker and Keycloak (data in {data}) ...", flush=True)
    try:
        with contextlib.ExitStack() as running:
            running.callback(keycloak.stop)  # stops last, once started
            pool = running.enter_context(concurrent.futures.ThreadPoolExecutor(max_workers=1))
            starting = pool.submit(keycloak.start)
            running.enter_context(stack)
            starting.result()
            assert stack.broker is not None
            _set_new_passwords(stack.broker, secrets)
            services = ServiceSet(
                data / "logs",
                stack.kafka_bootstrap_servers,
                stack.database_urls,
                stack.credentials,
                settings=_service_settings(settings, secrets, keycloak),
            )
            print("Starting intake, router, notifier and sla-monitor ...", flush=True)
            services.start()
            running.callback(_stop_services, services)
            for name, process in services.processes.items():
                write_env(data, name, process.env, SERVICES[name][1])
            _ready(settings, services, keycloak, first, time.monotonic() - began)
            if first is not None:
                first.shown()
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        print("Stopped: the services, Kafka, PostgreSQL and Keycloak. Data and logs stay in "
              f"{data}.", file=sys.stderr)  # fmt: skip
    except StartError as error:
        sys.exit(f"lindung run: {error}\n(every log is under {data})")


def _reachable_by_postgres(data: Path) -> None:
    """As root, PostgreSQL runs as `postgres`, which must reach its directory under `data`."""
    if os.geteuid() != 0:
        return
    check = ["runuser", "-u", "postgres", "--", "test", "-x", str(data)]
    if subprocess.run(check, capture_output=True, check=False).returncode != 0:  # noqa: S603
        raise OperatorError(
            f"{data}: PostgreSQL runs as the user postgres, which cannot reach this directory. "
            "Choose a --data directory it can reach (e.g. /var/lib/lindung), or let it "
            f"through the directories above (chmod o+x on each of {data.parent} and its parents)"
        )


def _stop_services(services: ServiceSet) -> None:
    print("\nstopping ...", file=sys.stderr, flush=True)
    services.stop()


def _stack(settings: RunSettings, secrets: Secrets) -> Stack:
    """Kafka and PostgreSQL on their fixed ports, with their data and passwords kept."""
    ports, data = settings.ports, settings.data
    admin = Credentials(ADMIN, secrets.kafka[ADMIN])
    names = [*SERVICE_PRINCIPALS, *(agency_principal(a) for a in settings.kafka_agencies)]
    users = {name: Credentials(name, secrets.kafka[name]) for name in names}
    return Stack(
        workdir=data,
        agencies=settings.kafka_agencies,
        admin=admin,
        credentials=users,
        database_roles={s: DatabaseRole.of(s, secrets.postgres[s]) for s in SERVICE_PRINCIPALS},
        postgres=PostgresServer(
            port=ports["postgres"], workdir=data / "postgres", password=secrets.postgres["postgres"]
        ),
        broker=KafkaBroker(
            data / "kafka",
            port=ports["kafka"],
            controller_port=ports["kafka_controller"],
            users=users,
            admin=admin,
        ),
    )


def _keycloak(settings: RunSettings, secrets: Secrets) -> KeycloakServer:
    """Keycloak with the `lindung` realm: the desk's client and its administrator, nobody else."""
    people = People(
        client_secret=secrets.keycloak["client_secret"],
        passwords={},
        admin_password=secrets.keycloak["admin_password"],
    )
    return KeycloakServer(
        settings.data / "keycloak",
        port=settings.ports["keycloak"],
        management_port=settings.ports["keycloak_management"],
        people=people,
    )


def _service_settings(
    settings: RunSettings, secrets: Secrets, keycloak: KeycloakServer
) -> dict[str, dict[str, str]]:
    """Each service's settings: its port, its files and keys, the sign-in, then the operator's."""
    ports, data = settings.ports, settings.data
    keys = {
        "api_keys_file": str(data / "api-keys.json"),
        "key_secret": secrets.intake["key_secret"],
    }
    desk = f"http://127.0.0.1:{ports['intake']}/desk"
    dashboard = f"http://127.0.0.1:{ports['sla_monitor']}/dashboard"
    router = {"directory_file": str(settings.directory)}
    if settings.policy is not None:
        router["policy_file"] = str(settings.policy)
    ours = {
        "intake": keys
        | {"data_keys": secrets.intake["data_keys"],
           "kafka_agencies": ",".join(settings.kafka_agencies)}
        | keycloak.intake_settings(desk),
        "router": router,
        "notifier": {"endpoints_file": str(settings.endpoints), "desk_url": desk},
        "sla-monitor": keys | keycloak.dashboard_settings(dashboard),
    }  # fmt: skip
    return {
        service: {"http_port": str(ports[service.replace("-", "_")])}
        | ours[service]
        | settings.services[service]
        for service in SERVICES
    }


def _set_new_passwords(broker: KafkaBroker, secrets: Secrets) -> None:
    """Set on the broker each SCRAM password made since its storage was formatted.

    With Kafka's own `kafka-configs` tool (`kafka.admin.ConfigCommand`), as the admin
    (its password read from a file only the owner reads). What the tool says is shown
    only if it fails, with the password blotted out: nothing of it is logged.
    """
    if not secrets.kafka_unset:
        return
    lib = resolve_broker()
    client = broker.workdir / ".admin-client.properties"
    module = "org.apache.kafka.common.security.scram.ScramLoginModule"
    write_private(client, "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\n"
                          f'sasl.jaas.config={module} required username="{ADMIN}" '
                          f'password="{secrets.kafka[ADMIN]}";\n')  # fmt: skip
    try:
        for name in list(secrets.kafka_unset):
            password = secrets.kafka[name]
            command = [
                broker.java, "-cp", f"{lib}/*", "kafka.admin.ConfigCommand",
                "--bootstrap-server", broker.bootstrap_servers, "--command-config", str(client),
                "--alter", "--entity-type", "users", "--entity-name", name,
                "--add-config", f"SCRAM-SHA-512=[password={password}]",
            ]  # fmt: skip
            done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
            if done.returncode != 0:
                said = (done.stdout + done.stderr).replace(password, "***")[-2000:]
                reason = f"setting {name}'s password exited with {done.returncode}: {said}"
                raise StartError("Kafka", reason)
            secrets.kafka_unset.remove(name)
            secrets.save()
            print(f"  {name}: its new Kafka password is set on the broker", flush=True)
    finally:
        client.unlink(missing_ok=True)


def _ready(
    settings: RunSettings,
    services: ServiceSet,
    keycloak: KeycloakServer,
    first: FirstKeys | None,
    took: float,
) -> None:
    """Where everything is; the first keys with how to use them, on the first start only."""
    data, intake = settings.data, services["intake"].url
    kept = data / FIRST_KEYS_FILE
    lines = [
        f"Lindung is running (ready in {took:.1f} s). Data, settings and logs: {data}",
        f"  intake API       {intake}/v1  (OpenAPI: {intake}/docs)",
        f"  desk             {intake}/desk/  (people sign in at Keycloak)",
        f"  dashboard        {services['sla-monitor'].url}/dashboard  (operations people)",
        (
            f"  people           {keycloak.url}/admin/{REALM}/console/  (Keycloak: sign in as "
            f"{REALM_ADMIN}, its first password in {kept})"
        ),
        (
            f"  Kafka            {services['intake'].env['INTAKE_KAFKA_BOOTSTRAP_SERVERS']} "
            f"(SASL/SCRAM; every password in {data / 'secrets.json'})"
        ),
        f"  settings         {data / 'lindung.toml'}; each service's as started: {data / 'env'}",
        f"  logs             {data / 'logs'}",
        *(f"  {name:<16} {p.url}{HEALTH_PATH}" for name, p in services.processes.items()),
    ]
    if first is None:
        lines.append(
            f"The first API keys were issued at the first start, into {kept} (if you kept "
            'it). More keys: docs/operations.md, "API keys".'
        )
    else:
        agency, operations = (
            next((h, k) for (kind, h), k in first.keys.items() if kind == wanted)
            for wanted in ("agency", "operations")
        )
        lines += [
            f"\nFirst API keys, shown this once (also in {kept}, readable by you only):",
            f"  agency {agency[0]}: {agency[1]}",
            f"  operations {operations[0]}: {operations[1]}",
            "Report a child identified, as that agency:",
            f"  curl -sS {intake}/v1/identifications -H 'Authorization: Bearer {agency[1]}' \\",
            "    -H 'Content-Type: application/json' -d @- <<EOF",
            *(f"    {line}" for line in _EXAMPLE.splitlines()),
            "EOF",
            "The dashboard's JSON, as operations:",
            (
                f"  curl -sS {services['sla-monitor'].url}/dashboard/api/open "
                f"-H 'Authorization: Bearer {operations[1]}'"
            ),
            (
                "Add people (provider staff, coordinators, operations) in Keycloak's console "
                f'above, as {REALM_ADMIN}: docs/operations.md, "People".'
            ),
        ]
    lines.append("Ctrl-C stops everything; `make run` again starts it with the same data.")
    print(*lines, sep="\n", flush=True)


_EXAMPLE = """{"agency_reference": "REF-0001", "identified_at": "$(date -u +%FT%TZ)",
 "child": {"age_years": 15, "gender": "female", "nationality_status": "refugee"},
 "situation": {"indicators": ["forced_labour"], "state": "selangor",
               "how_identified": "raid", "location": "police_lockup"},
 "consent": {"categories": ["shelter", "health"], "given_by": "child"}}"""
