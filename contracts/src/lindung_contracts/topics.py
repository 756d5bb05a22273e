"""The topic registry: every Kafka topic, its key, its payloads, who writes and reads it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .deadletter import EventDeadLettered
from .deadline import DeadlineMissed, DeadlineWarning, PackageDeadlineMissed
from .identification import CaseOpened, IdentificationRejected, IdentificationReported
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
    ReferralRequested,
    ReferralRerouted,
    ReferralResumed,
    ReferralStarted,
)

if TYPE_CHECKING:
    from ._base import Payload

__all__ = [
    "AGENCY_IDENTIFICATIONS",
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
    "topic_for",
]


@dataclass(frozen=True)
class Topic:
    """One Kafka topic as the contracts define it."""

    name: str
    description: str
    key: str
    partitions: int
    payloads: tuple[type[Payload], ...]
    producers: tuple[str, ...]
    consumers: tuple[str, ...]


_CASE_KEY = "case_id: one case's events stay in order on one partition"

AGENCY_IDENTIFICATIONS = Topic(
    name="lindung.agency-identifications.v1",
    description="Identifications that agency systems publish directly (the Kafka door).",
    key="agency_id",
    partitions=3,
    payloads=(IdentificationReported,),
    producers=("agency systems",),
    consumers=("intake",),
)
IDENTIFICATION_REJECTIONS = Topic(
    name="lindung.identification-rejections.v1",
    description="Agency-topic records intake refused, with every reason and the original bytes.",
    key="agency_id",
    partitions=3,
    payloads=(IdentificationRejected,),
    producers=("intake",),
    consumers=("agency systems", "operations"),
)
CASES = Topic(
    name="lindung.cases.v1",
    description="Cases opened by intake.",
    key=_CASE_KEY,
    partitions=4,
    payloads=(CaseOpened,),
    producers=("intake",),
    consumers=("router",),
)
PROVIDER_RESPONSES = Topic(
    name="lindung.provider-responses.v1",
    description="Providers' answers to referrals and coordinators' requests to pause or resume "
    "a referral's clock, received by intake.",
    key=_CASE_KEY,
    partitions=4,
    payloads=(ProviderResponded, ClockChangeRequested),
    producers=("intake",),
    consumers=("router",),
)
REFERRALS = Topic(
    name="lindung.referrals.v1",
    description="The referral lifecycle, owned by the router.",
    key=_CASE_KEY,
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
    ),
    producers=("router",),
    consumers=("notifier", "sla-monitor", "intake"),
)
DEADLINES = Topic(
    name="lindung.deadlines.v1",
    description="Deadline warnings and escalations, per referral and per case.",
    key=_CASE_KEY,
    partitions=4,
    payloads=(DeadlineWarning, DeadlineMissed, PackageDeadlineMissed),
    producers=("sla-monitor",),
    # The router re-routes a referral whose provider stayed silent past its deadline.
    consumers=("notifier", "router"),
)
NOTIFICATIONS = Topic(
    name="lindung.notifications.v1",
    description="Every delivery the notifier made or gave up on.",
    key=_CASE_KEY,
    partitions=4,
    payloads=(NotificationDelivered, NotificationFailed),
    producers=("notifier",),
    # A delivery that failed for good escalates: the sla-monitor raises the next level.
    consumers=("sla-monitor", "operations"),
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
    DEAD_LETTERS,
)

PAYLOAD_TYPES: dict[str, type[Payload]] = {
    payload.event_type: payload for topic in TOPICS for payload in topic.payloads
}
_TOPIC_OF: dict[type[Payload], Topic] = {
    payload: topic for topic in TOPICS for payload in topic.payloads
}


def topic_for(payload: type[Payload] | Payload) -> Topic:
    """The one topic a payload type travels on."""
    cls = payload if isinstance(payload, type) else type(payload)
    return _TOPIC_OF[cls]
