"""What each Kafka principal may do, derived from the contracts' topic registry, and granted.

A service may read the topics the registry says it consumes and write the topics it says
it produces (a per-agency topic: each agency's), use its own consumer group, and create,
read and write the topics Faust keeps for it (prefixed by the app id, `lindung-<service>-`).
An agency may write its own identifications topic and read its own rejections topic,
in consumer groups under its own prefix. Nothing else: the broker allows nothing
without an ACL, and only the admin is a super user.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import for_code
from aiokafka.protocol.admin import CreateAclsRequest_v1, DescribeAclsRequest
from aiokafka.protocol.api import Request
from lindung_contracts import TOPICS

from .access import SERVICE_PRINCIPALS, agency_principal

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from lindung_contracts import Topic

__all__ = ["AGENCY_ROLE", "Acl", "Operation", "Pattern", "Resource", "acls", "grant"]

# How the registry names agencies' systems among a topic's producers and consumers.
AGENCY_ROLE = "agency systems"


class Resource(IntEnum):
    """Kafka's resource types (wire codes)."""

    TOPIC = 2
    GROUP = 3


class Pattern(IntEnum):
    """How a resource name matches (wire codes)."""

    LITERAL = 3
    PREFIXED = 4


class Operation(IntEnum):
    """Kafka's ACL operations (wire codes); READ and WRITE imply DESCRIBE."""

    READ = 3
    WRITE = 4
    CREATE = 5
    DESCRIBE = 8


@dataclass(frozen=True, order=True)
class Acl:
    """One permission: `principal` may do `operation` on a resource."""

    principal: str
    resource: Resource
    name: str
    pattern: Pattern
    operation: Operation


def group_id(service: str) -> str:
    """A service's consumer group and Faust app id (as `lindung_common.Service` names it)."""
    return f"lindung-{service}"


def acls(
    agencies: Iterable[str] = (),
    *,
    services: Iterable[str] = SERVICE_PRINCIPALS,
    topics: Iterable[Topic] = TOPICS,
) -> list[Acl]:
    """Every ACL of the services and the agencies, sorted, without repeats."""
    agencies, topics = tuple(agencies), tuple(topics)
    granted: set[Acl] = set()
    for service in services:
        granted |= _service(service, topics, agencies)
    for agency in agencies:
        granted |= _agency(agency, topics)
    return sorted(granted)


def _service(service: str, topics: tuple[Topic, ...], agencies: tuple[str, ...]) -> set[Acl]:
    # A per-agency topic is granted agency by agency: a prefix would take in the others.
    granted = {
        Acl(service, Resource.TOPIC, name, Pattern.LITERAL, operation)
        for topic in topics
        for operation, roles in _roles(topic)
        if service in roles
        for name in _names(topic, agencies)
    }
    # Its consumer group, and the topics Faust declares for it (the leader topic, say).
    granted.add(Acl(service, Resource.GROUP, group_id(service), Pattern.LITERAL, Operation.READ))
    internal = f"{group_id(service)}-"
    granted |= {
        Acl(service, Resource.TOPIC, internal, Pattern.PREFIXED, operation)
        for operation in (Operation.CREATE, Operation.READ, Operation.WRITE)
    }
    return granted


def _agency(agency: str, topics: tuple[Topic, ...]) -> set[Acl]:
    principal = agency_principal(agency)
    # Its own topics only: what one agency sends or is told is no other agency's business.
    granted = {
        Acl(principal, Resource.TOPIC, topic.for_agency(agency).name, Pattern.LITERAL, operation)
        for topic in topics
        for operation, roles in _roles(topic)
        if AGENCY_ROLE in roles and topic.per_agency
    }
    # Consumer groups of its own, to read what is addressed to it.
    granted.add(Acl(principal, Resource.GROUP, f"{principal}.", Pattern.PREFIXED, Operation.READ))
    return granted


def _names(topic: Topic, agencies: tuple[str, ...]) -> list[str]:
    """The topic's name, or each agency's topic's name for a per-agency topic."""
    return [topic.for_agency(a).name for a in agencies] if topic.per_agency else [topic.name]


def _roles(topic: Topic) -> tuple[tuple[Operation, tuple[str, ...]], ...]:
    """Who writes a topic and who reads it."""
    return ((Operation.WRITE, topic.producers), (Operation.READ, topic.consumers))


class _CreateAcls(Request[CreateAclsRequest_v1]):  # type: ignore[misc]  # untyped in aiokafka
    """CreateAcls with every creation in one request (aiokafka's own sends one per request)."""

    API_KEY = 30

    def __init__(self, creations: list[tuple[Any, ...]]) -> None:
        self._creations = creations

    def build(self, request_struct_class: type[CreateAclsRequest_v1]) -> CreateAclsRequest_v1:
        return request_struct_class(self._creations)


_ALLOW = 3  # permission type ALLOW
_ANY = 1  # resource type, pattern type, operation and permission type ANY, in filters
_ANY_HOST = "*"
_VISIBLE_WITHIN_SECONDS = 30.0


async def grant(kafka: Mapping[str, Any], wanted: Iterable[Acl]) -> int:
    """Create the ACLs as the admin (`kafka`: its client arguments); the number created.

    aiokafka's admin client has no call for this, so the request is built from its protocol
    classes; creating an ACL that exists already is no error.
    """
    creations = [
        (acl.resource, acl.name, acl.pattern, f"User:{acl.principal}", _ANY_HOST,
         acl.operation, _ALLOW)
        for acl in wanted
    ]  # fmt: skip
    if not creations:
        return 0
    admin = AIOKafkaAdminClient(**kafka)
    await admin.start()
    try:
        response = await admin._send_request(_CreateAcls(creations))  # noqa: SLF001
        failed = [
            f"{creation[1]} for {creation[3]}: {for_code(code).__name__} {message or ''}".rstrip()
            for creation, (code, message) in zip(
                creations, response.creation_responses, strict=True
            )
            if code != 0
        ]
        if failed:
            raise RuntimeError(f"the broker refused {len(failed)} ACLs: " + "; ".join(failed[:5]))
        await _until_enforced(admin, {_key(c) for c in creations})
    finally:
        await admin.close()
    return len(creations)


def _key(creation: tuple[Any, ...]) -> tuple[Any, ...]:
    resource, name, pattern, principal, _, operation, _ = creation
    return (resource, name, pattern, principal, operation)


async def _until_enforced(admin: AIOKafkaAdminClient, wanted: set[tuple[Any, ...]]) -> None:
    """Wait until every broker's authorizer holds the ACLs just created.

    The controller answers a creation once it is in the metadata log; each broker applies
    it a moment later. A client that starts in between (a producer asking for its
    idempotent id, say) is refused as if it had no rights, so nobody starts before then.
    """
    everything = DescribeAclsRequest(_ANY, None, _ANY, None, None, _ANY, _ANY)
    brokers = [b.nodeId for b in admin._client.cluster.brokers()]  # noqa: SLF001
    deadline = time.monotonic() + _VISIBLE_WITHIN_SECONDS
    for broker in brokers:
        while True:
            response = await admin._send_request(everything, node_id=broker)  # noqa: SLF001
            held = {(r[0], r[1], r[2], acl[0], acl[2]) for r in response.resources for acl in r[3]}
            missing = wanted - held
            if not missing:
                break
            if time.monotonic() > deadline:
                msg = f"broker {broker} does not enforce {len(missing)} ACLs after creating them"
                raise RuntimeError(msg)
            await asyncio.sleep(0.05)
