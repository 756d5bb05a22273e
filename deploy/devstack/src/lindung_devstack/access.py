"""Who is who on Kafka: one SASL/SCRAM principal per service and per agency, and the admin.

The admin principal is the broker's only super user: the devstack uses it to create topics
and ACLs. Every service and every agency has a principal of its own, with a random
password made for the run; what each may do is decided by the ACLs (`acls.py`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "ADMIN",
    "MECHANISM",
    "SERVICE_PRINCIPALS",
    "Credentials",
    "agency_principal",
    "new_credentials",
]

ADMIN = "admin"
MECHANISM = "SCRAM-SHA-512"
# The principal of each service is its name.
SERVICE_PRINCIPALS = ("intake", "router", "notifier", "sla-monitor")
# On loopback nobody else can read the wire; anywhere else it is SASL_SSL.
PROTOCOL = "SASL_PLAINTEXT"


def agency_principal(agency_id: str) -> str:
    """The principal an agency's systems use on Kafka."""
    return f"agency.{agency_id}"


@dataclass(frozen=True)
class Credentials:
    """One principal's SCRAM credentials."""

    username: str
    password: str = field(repr=False)
    mechanism: str = MECHANISM
    protocol: str = PROTOCOL

    def client_options(self, bootstrap_servers: str) -> dict[str, Any]:
        """Keyword arguments for any aiokafka client acting as this principal."""
        return {
            "bootstrap_servers": bootstrap_servers,
            "security_protocol": self.protocol,
            "sasl_mechanism": self.mechanism,
            "sasl_plain_username": self.username,
            "sasl_plain_password": self.password,
        }

    def settings(self) -> dict[str, str]:
        """A service's Kafka settings (field names, without the service's env prefix)."""
        return {
            "kafka_security_protocol": self.protocol,
            "kafka_sasl_mechanism": self.mechanism,
            "kafka_sasl_username": self.username,
            "kafka_sasl_password": self.password,
        }


def new_credentials(usernames: Iterable[str]) -> dict[str, Credentials]:
    """Fresh random passwords for each principal, by name."""
    return {name: Credentials(name, secrets.token_urlsafe(24)) for name in usernames}
