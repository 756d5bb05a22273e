"""`python -m lindung_devstack {up,demo,run,fetch,provision,provision-database,k8s}`."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
from pathlib import Path
from typing import NoReturn

from . import k8s as k8s_resources
from .access import MECHANISM, Credentials, agency_principal
from .acls import acls, grant
from .demo import run_demo
from .kafka import create_topics, resolve_broker
from .keycloak import KeycloakServer, resolve_keycloak
from .roles import DatabaseRole, provision_database
from .run import run_system
from .services import SERVICES
from .stack import Stack


def _interrupt(*_: object) -> NoReturn:
    raise KeyboardInterrupt


def main() -> None:
    """Parse the command line and run."""
    parser = argparse.ArgumentParser(prog="python -m lindung_devstack")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "up",
        help="run Kafka, PostgreSQL and Keycloak until Ctrl-C; the agencies in "
        "$LINDUNG_AGENCIES get principals and topics of their own",
    )
    commands.add_parser(
        "provision",
        help="create the registry's topics and every principal's ACLs at "
        "$KAFKA_BOOTSTRAP_SERVERS, as the super user $KAFKA_SASL_USERNAME "
        "($KAFKA_SASL_PASSWORD, $KAFKA_SASL_MECHANISM); agencies from $LINDUNG_AGENCIES, "
        "each topic on $LINDUNG_KAFKA_REPLICATION brokers (1 unless set)",
    )
    commands.add_parser(
        "provision-database",
        help="make each service's PostgreSQL role and schema at $DATABASE_URL (a super "
        "user's) and apply its migrations as the schema's owner; each service's password "
        "from $LINDUNG_POSTGRES_<SERVICE>_PASSWORD",
    )
    commands.add_parser(
        "fetch",
        help="resolve the Kafka broker and Keycloak from Maven Central and build Keycloak, "
        "once per machine (into ~/.cache/lindung; first use does it otherwise)",
    )
    k8s = commands.add_parser(
        "k8s",
        help="write the Strimzi topics and users and the Keycloak realm under deploy/k8s/base "
        "from the contracts' registry and the devstack's ACLs",
    )
    k8s.add_argument("--check", action="store_true", help="fail if they are out of date")
    k8s.add_argument(
        "--agency",
        action="append",
        default=[],
        help="write only this agency's own topics and user, to --out/kafka/agencies.yaml "
        "(repeat for more)",
    )
    k8s.add_argument("--out", type=Path, default=k8s_resources.BASE, help="where to write")
    demo = commands.add_parser("demo", help="run everything on the demo scenario")
    demo.add_argument("--seconds", type=float, default=100.0, help="how long to watch")
    demo.add_argument("--exit", action="store_true", help="stop after the summary")
    run = commands.add_parser(
        "run",
        help="run the real system (Kafka, PostgreSQL, Keycloak, the four services) with "
        "the operator's files and the data in --data, until Ctrl-C (docs/operations.md)",
    )
    run.add_argument("--data", type=Path, default=Path("var"), help="the data directory")
    args = parser.parse_args()
    agencies = tuple(a for a in os.environ.get("LINDUNG_AGENCIES", "").split(",") if a)
    # SIGTERM stops everything as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    if args.command == "demo":
        run_demo(seconds=args.seconds, stay=not args.exit)
        return
    if args.command == "run":
        run_system(args.data)
        return
    if args.command == "k8s":
        _k8s(args.out, tuple(args.agency), check=args.check)
        return
    plain = {"fetch": _fetch, "provision-database": _provision_database}
    if args.command in plain:
        plain[args.command]()
        return
    if args.command == "provision":
        admin = Credentials(
            os.environ["KAFKA_SASL_USERNAME"],
            os.environ["KAFKA_SASL_PASSWORD"],
            mechanism=os.environ.get("KAFKA_SASL_MECHANISM", MECHANISM),
        )
        kafka = admin.client_options(os.environ["KAFKA_BOOTSTRAP_SERVERS"])
        replication = int(os.environ.get("LINDUNG_KAFKA_REPLICATION", "1"))
        created = asyncio.run(create_topics(kafka, agencies, replication=replication))
        print(f"created {len(created)} topics: {', '.join(created) or 'none needed'}")
        granted = asyncio.run(grant(kafka, acls(agencies)))
        print(f"granted {granted} ACLs to the services and {len(agencies)} agencies")
        return
    _up(agencies)


def _up(agencies: tuple[str, ...]) -> None:
    """Kafka, PostgreSQL and Keycloak until Ctrl-C, printing how to reach each."""
    with Stack(agencies=agencies) as stack:
        keycloak = KeycloakServer(stack.workdir / "keycloak")
        keycloak.start()
        try:
            print("Kafka, PostgreSQL and Keycloak are up. In another shell (Kafka as the admin):")
            for name, value in stack.env().items():
                print(f"  export {name}={value}")
            print("Each service's own Kafka principal and PostgreSQL role:")
            for service, (_, prefix) in SERVICES.items():
                for name, value in stack.credentials[service].settings().items():
                    print(f"  export {prefix}{name.upper()}={value}")
                print(f"  export {prefix}DATABASE_URL={stack.database_urls[service]}")
            for agency in agencies:
                who = stack.credentials[agency_principal(agency)]
                print(f"  agency {agency}: principal {who.username}, password {who.password}")
            print("Intake's desk signs people in at Keycloak (INTAKE_HTTP_PORT: intake's port):")
            for name, value in keycloak.intake_env(
                "http://127.0.0.1:$INTAKE_HTTP_PORT/desk"
            ).items():
                print(f"  export {name}={value}")
            print("The sla-monitor's dashboard signs operations people in there too:")
            for name, value in keycloak.dashboard_env(
                "http://127.0.0.1:$SLA_MONITOR_HTTP_PORT/dashboard"
            ).items():
                print(f"  export {name}={value}")
            passwords = keycloak.write_passwords(stack.workdir / "desk-passwords.txt")
            print(f"  the demo people's user names and passwords are in {passwords}")
            print("Ctrl-C stops them all.", flush=True)
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("\nstopping ...", file=sys.stderr)
        finally:
            keycloak.stop()


def _fetch() -> None:
    """The broker's jars and the built Keycloak, resolved ahead of the first run."""
    began = time.monotonic()
    print(f"Kafka broker: {resolve_broker()}\nKeycloak: {resolve_keycloak()}", flush=True)
    print(f"(ready in {time.monotonic() - began:.1f} s)")


def _k8s(out: Path, agencies: tuple[str, ...], *, check: bool) -> None:
    """The generated Kubernetes resources, written or compared with what is committed."""
    if check:
        drift = k8s_resources.check(out)
        if drift:
            sys.exit(f"out of date under {out}: {', '.join(drift)} (run `make k8s`)")
        print(f"{out}: in step with the registry and the ACLs")
        return
    changed = k8s_resources.write(out, agencies)
    print(f"wrote {', '.join(changed) or 'nothing (in step)'} under {out}")


def _provision_database() -> None:
    """Roles, schemas and migrations for every service (compose's `database` step)."""
    roles = []
    for service in SERVICES:
        variable = f"LINDUNG_POSTGRES_{service.upper().replace('-', '_')}_PASSWORD"
        password = os.environ.get(variable, "")
        if not password:
            sys.exit(f"{variable} is not set: the password {service} signs in with")
        roles.append(DatabaseRole.of(service, password))
    asyncio.run(provision_database(os.environ["DATABASE_URL"], roles))
    names = ", ".join(f"{r.login} on {r.schema}" for r in roles)
    print(f"PostgreSQL roles ready (each owns nothing; its schema's owner migrated it): {names}")


if __name__ == "__main__":
    main()
