"""Who sees an alert, and what acknowledging it decides."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from lindung_contracts import (
    AlertKind,
    Channel,
    DeadlineMissed,
    NotificationFailed,
    RecipientRole,
    ServiceType,
)
from lindung_intake.domain import (
    Principal,
    PrincipalKind,
    RefusalKind,
    alert_of,
    decide_acknowledgement,
    may_see_alert,
    shown_to,
)

AT = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
MISSED = DeadlineMissed(
    referral_id=uuid.uuid4(),
    case_id=uuid.uuid4(),
    provider_id="legal-aid-kl-1",
    service=ServiceType.LEGAL_AID,
    requested_at=AT,
    due_at=AT,
    notify=RecipientRole.SUPERVISOR,
    fired_at=AT,
    escalation_level=2,
)
ALERT = alert_of(uuid.uuid4(), MISSED, "kuala_lumpur")


def coordinator(states=None, who="coordinator-sel"):
    return Principal(PrincipalKind.COORDINATOR, who, states=states)


@pytest.mark.parametrize(
    ("principal", "sees"),
    [
        (coordinator(frozenset({"selangor", "kuala_lumpur"})), True),
        (coordinator(frozenset({"johor"})), False),
        (coordinator(frozenset({"*"})), True),
        (coordinator(None), True),  # a machine's key bound to no state
        (Principal(PrincipalKind.PROVIDER, "legal-aid-kl-1"), False),
        (Principal(PrincipalKind.OPERATIONS, "ops"), False),
    ],
)
def test_an_alert_is_seen_by_coordinators_of_its_state_only(principal, sees):
    assert may_see_alert(ALERT, principal) is sees


def test_an_alert_of_no_known_state_is_seen_only_by_those_covering_every_state():
    stateless = alert_of(uuid.uuid4(), MISSED, None)
    assert not may_see_alert(stateless, coordinator(frozenset({"selangor"})))
    assert may_see_alert(stateless, coordinator(frozenset({"*"})))


def person(role: str, states=frozenset({"kuala_lumpur"})) -> Principal:
    kind = (
        PrincipalKind.COORDINATOR
        if role in {"coordinator", "supervisor"}
        else (PrincipalKind.PROVIDER if role == "provider_staff" else PrincipalKind.OPERATIONS)
    )
    return Principal(kind, f"{role}-1", person=f"{role}-1", role=role, states=states)


def to(role: RecipientRole):
    return alert_of(uuid.uuid4(), MISSED.model_copy(update={"notify": role}), "kuala_lumpur")


@pytest.mark.parametrize(
    ("role", "roles"),
    [
        ("coordinator", {"case_coordinator"}),
        ("supervisor", {"case_coordinator", "supervisor"}),  # may step in below
        ("provider_staff", set()),
        ("operations", set()),
    ],
)
def test_each_role_at_the_desk_is_shown_the_alerts_addressed_to_it(role, roles):
    assert shown_to(person(role)) == roles


def test_a_coordinator_key_without_a_person_is_shown_every_role_s_alerts():
    assert shown_to(coordinator(frozenset({"kuala_lumpur"}))) is None


@pytest.mark.parametrize(
    ("addressed", "coordinator_sees", "supervisor_sees"),
    [
        (RecipientRole.CASE_COORDINATOR, True, True),
        (RecipientRole.SUPERVISOR, False, True),
        (RecipientRole.SECRETARIAT, False, False),  # no person signs in as the secretariat
    ],
)
def test_an_alert_reaches_the_role_it_is_addressed_to(addressed, coordinator_sees, supervisor_sees):
    alert = to(addressed)
    assert may_see_alert(alert, person("coordinator")) is coordinator_sees
    assert may_see_alert(alert, person("supervisor")) is supervisor_sees


def test_a_coordinator_acknowledging_the_supervisor_s_alert_gets_not_found():
    supervisors = to(RecipientRole.SUPERVISOR)
    assert supervisors is not None
    decided = decide_acknowledgement(
        supervisors, person("coordinator"), alert_id=supervisors.alert_id,
        acknowledgement_id=uuid.uuid4(), at=AT,
    )  # fmt: skip
    assert decided.refusal is not None
    assert decided.refusal.kind is RefusalKind.NOT_FOUND
    taken = decide_acknowledgement(
        supervisors, person("supervisor"), alert_id=supervisors.alert_id,
        acknowledgement_id=uuid.uuid4(), at=AT,
    )  # fmt: skip
    assert taken.event is not None
    assert taken.event.coordinator_id == "supervisor-1"


def test_acknowledging_says_which_alert_which_level_who_and_when():
    ack_id = uuid.uuid4()
    assert ALERT is not None

    decided = decide_acknowledgement(
        ALERT, coordinator(frozenset({"kuala_lumpur"})), alert_id=ALERT.alert_id,
        acknowledgement_id=ack_id, at=AT,
    )  # fmt: skip

    assert decided.refusal is None
    assert decided.event is not None
    assert decided.event.kind is AlertKind.DEADLINE_MISSED
    assert (decided.event.referral_id, decided.event.escalation_level) == (MISSED.referral_id, 2)
    assert (decided.event.coordinator_id, decided.event.acknowledged_at) == ("coordinator-sel", AT)


def test_another_state_s_alert_and_an_unknown_one_get_the_same_refusal():
    alert_id = uuid.uuid4()
    johor = coordinator(frozenset({"johor"}))
    theirs = decide_acknowledgement(
        alert_of(alert_id, MISSED, "kuala_lumpur"), johor, alert_id=alert_id,
        acknowledgement_id=uuid.uuid4(), at=AT,
    )  # fmt: skip
    unknown = decide_acknowledgement(
        None, johor, alert_id=alert_id, acknowledgement_id=uuid.uuid4(), at=AT
    )

    assert theirs == unknown
    assert theirs.refusal is not None
    assert theirs.refusal.kind is RefusalKind.NOT_FOUND


def test_a_delivery_given_up_is_the_case_coordinator_s_alert_with_what_was_tried():
    gave_up = NotificationFailed(
        notification_id=uuid.uuid4(), case_id=MISSED.case_id, referral_id=MISSED.referral_id,
        cause_event_id=uuid.uuid4(), cause_type="org.lindung.referral.requested.v1",
        recipient="legal-aid-kl-1", channel=Channel.SMS, attempts=4, failed_at=AT,
        error="gateway refused +60123456789",
    )  # fmt: skip
    alert = alert_of(uuid.uuid4(), gave_up, "kuala_lumpur")

    assert alert is not None
    assert (alert.kind, alert.notify, alert.referral_id, alert.escalation_level) == (
        AlertKind.DELIVERY_FAILED, "case_coordinator", MISSED.referral_id, None
    )  # fmt: skip
    assert alert.raised_at == AT
    assert alert.detail == {
        "cause_type": "org.lindung.referral.requested.v1",
        "cause_event_id": str(gave_up.cause_event_id),
        "recipient": "legal-aid-kl-1",
        "channel": "sms",
        "attempts": 4,
        "notification_id": str(gave_up.notification_id),
    }  # the notifier's last error (which may name an address) is not kept
    assert may_see_alert(alert, person("coordinator"))
    taken = decide_acknowledgement(
        alert, person("coordinator"), alert_id=alert.alert_id,
        acknowledgement_id=uuid.uuid4(), at=AT,
    )  # fmt: skip
    assert taken.event is not None
    assert taken.event.kind is AlertKind.DELIVERY_FAILED
    assert (taken.event.referral_id, taken.event.escalation_level) == (None, None)
