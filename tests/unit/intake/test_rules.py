"""Intake's own rules: no identification from the future, no silent decline, key hashing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import lindung_intake
import lindung_router
import pytest
from lindung_common.keys import hash_key
from lindung_contracts import (
    ChildProfile,
    FieldError,
    Gender,
    Identification,
    Location,
    MalaysianState,
    NationalityStatus,
    Outcome,
    ReasonCode,
    ResponseKind,
    ServiceType,
    Situation,
)
from lindung_intake.domain import (
    NOTE_MAX_CHARACTERS,
    NOTE_PATTERN,
    Principal,
    PrincipalKind,
    check_identification_time,
    check_note,
    check_response,
    may_share,
    project,
    trimmed,
)
from lindung_intake.domain.projection import CATEGORY_OF

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
SKEW = timedelta(minutes=5)
MYT = timezone(timedelta(hours=8))


def _identified(at: datetime) -> Identification:
    return Identification(
        agency_reference="PDRM/KL/2026/000001",
        identified_at=at,
        child=ChildProfile(
            age_years=14, gender=Gender.FEMALE, nationality_status=NationalityStatus.REFUGEE
        ),
        situation=Situation(location=Location.COMMUNITY, state=MalaysianState.KUALA_LUMPUR),
    )


@pytest.mark.parametrize(
    ("identified_at", "refused"),
    [
        (NOW - timedelta(days=30), False),  # offline intake, reported late: still accepted
        (NOW, False),
        (NOW + SKEW, False),  # the agency's clock may run a little ahead
        (NOW + SKEW + timedelta(seconds=1), True),
        (NOW + timedelta(days=1), True),
        # The same instant written in Malaysian time compares as the same instant.
        ((NOW + SKEW).astimezone(MYT), False),
        ((NOW + SKEW + timedelta(seconds=1)).astimezone(MYT), True),
    ],
)
def test_an_identification_from_the_future_is_refused(identified_at, refused):
    errors = check_identification_time(_identified(identified_at), now=NOW, skew=SKEW)
    if refused:
        assert errors == [FieldError(field="identified_at", reason="is in the future")]
    else:
        assert errors == []


def test_with_no_skew_allowed_one_second_ahead_is_refused():
    at = NOW + timedelta(seconds=1)
    assert check_identification_time(_identified(at), now=NOW, skew=timedelta(0))
    assert not check_identification_time(_identified(NOW), now=NOW, skew=timedelta(0))


@pytest.mark.parametrize(
    ("response", "reason", "refused"),
    [
        (ResponseKind.ACCEPTED, None, False),
        (ResponseKind.STARTED, None, False),
        (ResponseKind.COMPLETED, None, False),
        (ResponseKind.DECLINED, ReasonCode.AT_CAPACITY, False),
        (ResponseKind.FAILED, ReasonCode.CHILD_MISSING, False),
        (ResponseKind.DECLINED, None, True),
        (ResponseKind.FAILED, None, True),
    ],
)
def test_a_decline_or_failure_must_say_why_as_a_code(response, reason, refused):
    errors = check_response(response, reason)
    if refused:
        assert [e.field for e in errors] == ["reason"]
        assert response.value in errors[0].reason
    else:
        assert errors == []


WORDS = "No bed tonight for Aye Aye Mon, 15."


@pytest.mark.parametrize(
    ("note", "says"),
    [
        ("", "is blank"),
        ("   ", "is blank"),
        ("\u3000\u00a0 \ufeff", "is blank"),
        ("x" * 1001, "longer than 1000 characters"),
        (WORDS + "\x00", "control characters"),
        (WORDS + "\n" + WORDS, "control characters"),
        ("\tNo bed", "control characters"),
        (WORDS + "\x85", "control characters"),
        (WORDS + "\x7f", "control characters"),
    ],
    ids=["empty", "spaces", "unicode-spaces", "too-long", "nul", "line-break", "tab", "nel", "del"],
)
def test_a_note_s_words_are_refused_naming_note_never_repeating_them(note, says):
    (error,) = check_note(note)
    assert error.field == "note"
    assert says in error.reason
    assert "Aye" not in error.reason
    assert "No bed" not in error.reason


@pytest.mark.parametrize(
    "note", [WORDS, "x" * 1000, "  " + WORDS + "  ", "Tiada katil malam ini \u2014 \u6ca1\u6709"]
)
def test_words_within_the_rules_are_taken_and_trimmed(note):
    assert check_note(note) == []
    assert check_response(ResponseKind.DECLINED, ReasonCode.AT_CAPACITY, note) == []
    assert trimmed(note) == note.strip()


@pytest.mark.parametrize("response", [ResponseKind.ACCEPTED, ResponseKind.STARTED])
def test_a_note_is_taken_only_with_a_decline_or_a_failure(response):
    (error,) = check_response(response, None, WORDS)
    assert error.field == "note"
    assert response.value in error.reason


@pytest.mark.parametrize(
    ("outcome", "outcome_reason", "refused"),
    [
        (None, None, []),
        (Outcome.DELIVERED, None, []),
        (Outcome.PARTLY_DELIVERED, ReasonCode.CHILD_MISSING, []),
        (Outcome.NOT_DELIVERED, ReasonCode.CHILD_DECLINED, []),
        (Outcome.PARTLY_DELIVERED, None, ["outcome_reason"]),
        (Outcome.NOT_DELIVERED, None, ["outcome_reason"]),
        (Outcome.DELIVERED, ReasonCode.OTHER, ["outcome_reason"]),
        (None, ReasonCode.CANNOT_REACH_CHILD, ["outcome_reason"]),
    ],
)
def test_a_completion_short_of_delivered_must_say_why_as_a_code(outcome, outcome_reason, refused):
    errors = check_response(
        ResponseKind.COMPLETED, None, outcome=outcome, outcome_reason=outcome_reason
    )
    assert [e.field for e in errors] == refused


@pytest.mark.parametrize(
    "response",
    [ResponseKind.ACCEPTED, ResponseKind.DECLINED, ResponseKind.STARTED, ResponseKind.FAILED],
)
def test_an_outcome_is_refused_with_any_answer_but_complete(response):
    errors = check_response(response, ReasonCode.OTHER, outcome=Outcome.DELIVERED)
    assert [e.field for e in errors] == ["outcome"]
    assert response.value in errors[0].reason


def test_a_note_goes_with_a_completion_only_when_it_fell_short():
    short = check_response(
        ResponseKind.COMPLETED,
        None,
        WORDS,
        outcome=Outcome.NOT_DELIVERED,
        outcome_reason=ReasonCode.CHILD_MISSING,
    )
    (delivered,) = check_response(ResponseKind.COMPLETED, None, WORDS, outcome=Outcome.DELIVERED)
    assert short == []
    assert delivered.field == "note"
    assert "Aye" not in delivered.reason


@pytest.mark.parametrize("service", [lindung_intake, lindung_router])
def test_the_database_knows_exactly_the_reason_codes(service):
    # The function as the latest migration that (re)defines it leaves it.
    migrations = sorted((Path(service.__file__).parent / "migrations").glob("*.sql"))
    sql = [m.read_text() for m in migrations if "FUNCTION is_reason_code" in m.read_text()][-1]
    function = sql[sql.index("FUNCTION is_reason_code") :].split("$$")[1]
    assert set(re.findall(r"'([a-z_]+)'", function)) == {code.value for code in ReasonCode}


@pytest.mark.parametrize(
    "note",
    ["ok", "", " ", "a\nb", "\x00", "x" * 1001, " a ", "\u2028", "\u2028a", "\ufeff"],
)
def test_the_published_pattern_says_what_the_check_does(note):
    # The OpenAPI document states the rule as a pattern and a length; they agree.
    published = re.fullmatch(NOTE_PATTERN, note) is not None and len(note) <= NOTE_MAX_CHARACTERS
    assert published == (check_note(note) == [])


def test_a_key_is_stored_as_its_hmac_sha256_under_the_secret():
    # RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
    expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert hash_key("what do ya want for nothing?", b"Jefe") == expected


def test_the_same_key_under_another_secret_has_another_hash_and_none_contains_the_key():
    first, second = hash_key("agency-secret-1", b"s" * 32), hash_key("agency-secret-1", b"t" * 32)
    assert first != second
    assert len(first) == 64
    assert "agency-secret" not in first


def test_principals_are_equal_only_with_the_same_kind_and_id():
    assert Principal(PrincipalKind.AGENCY, "pdrm-kl") == Principal(PrincipalKind.AGENCY, "pdrm-kl")
    assert Principal(PrincipalKind.AGENCY, "x-1") != Principal(PrincipalKind.PROVIDER, "x-1")
    assert Principal(PrincipalKind.PROVIDER, "a-1") != Principal(PrincipalKind.PROVIDER, "a-2")


@pytest.mark.parametrize(
    ("age", "refused"),
    [
        (timedelta(days=30), False),
        (timedelta(days=30, seconds=1), True),
        (timedelta(days=365 * 126), True),  # 1900
    ],
    ids=["thirty-days", "just-older", "year-1900"],
)
def test_an_identification_older_than_the_limit_is_refused(age, refused):
    errors = check_identification_time(_identified(NOW - age), now=NOW, skew=SKEW)
    if refused:
        (error,) = errors
        assert error.field == "identified_at"
        assert error.reason == "is more than 30 days ago; a coordinator must refer this child"
    else:
        assert errors == []


@pytest.mark.parametrize(
    ("after", "refused"),
    [(timedelta(0), False), (SKEW, False), (SKEW + timedelta(seconds=1), True)],
    ids=["now", "within-skew", "beyond-skew"],
)
def test_sexual_violence_later_than_now_is_refused(after, refused):
    identification = _identified(NOW - timedelta(hours=1))
    situation = identification.situation.model_copy(update={"sexual_violence_at": NOW + after})
    identification = identification.model_copy(update={"situation": situation})

    errors = check_identification_time(identification, now=NOW, skew=SKEW)

    expected = [FieldError(field="situation.sexual_violence_at", reason="is in the future")]
    assert errors == (expected if refused else [])


def test_sexual_violence_after_the_identification_but_before_now_is_taken():
    identification = _identified(NOW - timedelta(hours=3))
    situation = identification.situation.model_copy(
        update={"sexual_violence_at": NOW - timedelta(hours=1)}
    )
    identification = identification.model_copy(update={"situation": situation})
    assert check_identification_time(identification, now=NOW, skew=SKEW) == []


def test_the_limit_is_the_caller_s():
    at = NOW - timedelta(days=10)
    assert check_identification_time(_identified(at), now=NOW, skew=SKEW, oldest=timedelta(days=7))
    assert not check_identification_time(
        _identified(at), now=NOW, skew=SKEW, oldest=timedelta(days=14)
    )


# Consent decides what a provider reads


@pytest.mark.parametrize(
    ("consent", "service", "shared"),
    [
        (None, ServiceType.SAFE_SHELTER, False),
        ({"categories": ["shelter"], "given_by": "child"}, ServiceType.SAFE_SHELTER, True),
        ({"categories": ["shelter"], "given_by": "child"}, ServiceType.HEALTH, False),
        (
            {"best_interest_override": {"officer": "PPKM/1", "reason": "no guardian"}},
            ServiceType.INTERPRETATION,
            True,
        ),
        (None, ServiceType.CHILD_PROTECTOR, True),
    ],
    ids=["none", "consented", "other-category", "override", "protector"],
)
def test_consent_per_category_decides_what_is_shared(consent, service, shared):
    document = {"child": {"age_years": 12, "languages": ["ms"]}, "consent": consent}

    assert may_share(document, service) is shared
    assert bool(project(document, service)) is shared


def test_every_service_but_the_protector_needs_a_consent_category():
    assert set(CATEGORY_OF) == set(ServiceType) - {ServiceType.CHILD_PROTECTOR}
