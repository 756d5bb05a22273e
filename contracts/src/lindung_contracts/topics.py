"""The topic registry: every Kafka topic, its key, its payloads, who writes and reads it."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .alerts import AlertAcknowledged
from .capacity import CapacityChanged, CapacityReported
from .closing import CaseClosed, CaseCloseRequested
from .deadletter import EventDeadLettered
from .deadline import DeadlineMissed, DeadlineWarning, PackageDeadlineMissed
from .identification import CaseOpened, IdentificationRejected, IdentificationReported
from .milestones import CaseMilestoneRecorded, LegalClockChanged, LegalClockMissed
from .notification import NotificationDelivered, NotificationFailed
from .referral import (
    ClockChangeRequested,
    DetentionEscalated,
    NoProviderAvailable,
    ProviderResponded,
    ReferralAccepted,
    ReferralCancelled,
    ReferralCompleted,
    ReferralDeclined,
    ReferralPaused,
    ReferralReassignmentRequested,
    ReferralRequested,
    ReferralRerouted,
    ReferralResumed,
    ReferralStarted,
)

if TYPE_CHECKING:
    from ._base import Payload

__all__ = [
    "AGENCY",
    "AGENCY_IDENTIFICATIONS",
    "ALERT_ACKNOWLEDGEMENTS",
    "CASES",
    "DEADLINES",
    "DEAD_LETTERS",
    "IDENTIFICATION_REJECTIONS",
    "NOTIFICATIONS",
    "PAYLOAD_TYPES",
    "PROVIDER_RESPONSES",
    "REFERRALS",
    "TOPICS",
    "Topic",
    "agency_of_topic",
    "topic_for",
]

# In a per-agency topic's name, where the agency id goes.
AGENCY = "{agency_id}"
# Agency ids as the contracts define them (`AgencyId`): no dots, so names parse back.
_AGENCY_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


@dataclass(frozen=True)
class Topic:
    """One Kafka topic as the contracts define it, or one per agency.

    A per-agency topic's `name` holds `{agency_id}`: each agency has its own such topic,
    which only that agency's principal may write (or read), so the topic says who sent a
    record. `for_agency` gives one agency's.
    """

    name: str
    description: str
    key: str
    partitions: int
    payloads: tuple[type[Payload], ...]
    producers: tuple[str, ...]
    consumers: tuple[str, ...]

    @property
    def per_agency(self) -> bool:
        """Whether each agency has a topic of its own of this kind."""
        return AGENCY in self.name

    def for_agency(self, agency_id: str) -> Topic:
        """This topic of one agency; raises ValueError for a name that is no agency id."""
        if not self.per_agency:
            raise ValueError(f"{self.name} is not a per-agency topic")
        if not _AGENCY_ID.match(agency_id):
            raise ValueError("not an agency id")
        return replace(self, name=self.name.replace(AGENCY, agency_id))

    def agency_of(self, name: str) -> str | None:
        """The agency whose topic of this kind `name` is, or None when it is none."""
        prefix, found, suffix = self.name.partition(AGENCY)
        if not found or not (name.startswith(prefix) and name.endswith(suffix)):
            return None
        agency = name[len(prefix) : len(name) - len(suffix)]
        return agency if _AGENCY_ID.match(agency) else None


_CASE_KEY = "case_id: one case's events stay in order on one partition"

AGENCY_IDENTIFICATIONS = Topic(
    name=f"lindung.agency.{AGENCY}.identifications.v1",
    description="Identifications one agency's systems publish directly (the Kafka door). "
    "Only that agency's principal may write it, so intake takes the agency from the topic: "
    "a record whose `agency_id` names another agency is refused.",
    key="agency_id",
    partitions=1,
    payloads=(IdentificationReported,),
    producers=("agency systems",),
    consumers=("intake",),
)
IDENTIFICATION_REJECTIONS = Topic(
    name=f"lindung.agency.{AGENCY}.rejections.v1",
    description="The records on one agency's identifications topic that intake refused, each "
    "with every reason, identified by position, size and SHA-256 (never the bytes). Only "
    "that agency's principal may read it.",
    key="agency_id",
    partitions=1,
    payloads=(IdentificationRejected,),
    producers=("intake",),
    consumers=("agency systems",),
)
CASES = Topic(
    name="lindung.cases.v1",
    description="Cases opened by intake, and the legal milestones coordinators record of them "
    "(taken into care, brought before a Protector, examined, a court date set).",
    key=_CASE_KEY,
    partitions=4,
    payloads=(CaseOpened, CaseMilestoneRecorded),
    producers=("intake",),
    # The sla-monitor runs the legal clocks the milestones start and stop.
    consumers=("router", "sla-monitor"),
)
PROVIDER_RESPONSES = Topic(
    name="lindung.provider-responses.v1",
    description="Providers' answers to referrals, and coordinators' requests to pause or resume "
    "a referral's clock, to send it to another provider or to close a case, received by "
    "intake; and providers' reports of their free places (capacity), which concern no case.",
    key=f"{_CASE_KEY}; provider_id for a capacity report (one provider's reports in order)",
    partitions=4,
    payloads=(
        ProviderResponded,
        ClockChangeRequested,
        ReferralReassignmentRequested,
        CaseCloseRequested,
        CapacityReported,
    ),
    producers=("intake",),
    consumers=("router",),
)
REFERRALS = Topic(
    name="lindung.referrals.v1",
    description="The referral lifecycle, owned by the router, and the closing of cases; and "
    "the router's figures of providers' free places (capacity), which concern no case.",
    key=f"{_CASE_KEY}; provider_id for a capacity change (one provider's figures in order)",
    partitions=4,
    payloads=(
        ReferralRequested,
        ReferralAccepted,
        ReferralDeclined,
        ReferralStarted,
        ReferralCompleted,
        ReferralCancelled,
        ReferralRerouted,
        NoProviderAvailable,
        DetentionEscalated,
        ReferralPaused,
        ReferralResumed,
        CaseClosed,
        CapacityChanged,
    ),
    producers=("router",),
    consumers=("notifier", "sla-monitor", "intake"),
)
DEADLINES = Topic(
    name="lindung.deadlines.v1",
    description="Deadline warnings and escalations, per referral and per case, and the "
    "case's legal clocks: where each stands, and those that ran out.",
    key=_CASE_KEY,
    partitions=4,
    payloads=(
        DeadlineWarning,
        DeadlineMissed,
        PackageDeadlineMissed,
        LegalClockMissed,
        LegalClockChanged,
    ),
    producers=("sla-monitor",),
    # The router re-routes a referral whose provider stayed silent past its deadline;
    # intake keeps the alerts to coordinators for them to see and acknowledge.
    consumers=("notifier", "router", "intake"),
)
NOTIFICATIONS = Topic(
    name="lindung.notifications.v1",
    description="Every delivery the notifier made or gave up on.",
    key=_CASE_KEY,
    partitions=4,
    payloads=(NotificationDelivered, NotificationFailed),
    producers=("notifier",),
    # A delivery that failed for good escalates: the sla-monitor raises the next level;
    # intake puts it in the case coordinator's alert queue at the desk.
    consumers=("sla-monitor", "intake", "operations"),
)
ALERT_ACKNOWLEDGEMENTS = Topic(
    name="lindung.alert-acknowledgements.v1",
    description="Coordinators taking ownership of alerts, received by intake. For a "
    "referral's escalation the next level waits the policy's acknowledgement window, then "
    "fires anyway if the referral is still not accepted.",
    key=_CASE_KEY,
    partitions=4,
    payloads=(AlertAcknowledged,),
    producers=("intake",),
    consumers=("sla-monitor",),
)
DEAD_LETTERS = Topic(
    name="lindung.dead-letters.v1",
    description="Records a consumer could not process, with the reason and original bytes.",
    key="agency_id where the record says which agency sent it, else original_topic",
    partitions=1,
    payloads=(EventDeadLettered,),
    producers=("intake", "router", "notifier", "sla-monitor"),
    consumers=("operations",),
)

TOPICS: tuple[Topic, ...] = (
    AGENCY_IDENTIFICATIONS,
    IDENTIFICATION_REJECTIONS,
    CASES,
    PROVIDER_RESPONSES,
    REFERRALS,
    DEADLINES,
    NOTIFICATIONS,
    ALERT_ACKNOWLEDGEMENTS,
    DEAD_LETTERS,
)

PAYLOAD_TYPES: dict[str, type[Payload]] = {
    payload.event_type: payload for topic in TOPICS for payload in topic.payloads
}
_TOPIC_OF: dict[type[Payload], Topic] = {
    payload: topic for topic in TOPICS for payload in topic.payloads
}


def topic_for(payload: type[Payload] | Payload) -> Topic:
    """The topic a payload type travels on (for a per-agency topic, every agency's)."""
    cls = payload if isinstance(payload, type) else type(payload)
    return _TOPIC_OF[cls]


def agency_of_topic(name: str) -> str | None:
    """The agency whose own topic `name` is (its identifications, its rejections), or None."""
    for topic in TOPICS:
        agency = topic.agency_of(name)
        if agency is not None:
            return agency
    return None
