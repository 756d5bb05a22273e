"""The desk's pure rules: CSRF tokens, session expiry, claims to a principal, language, standing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lindung_common.signin import (
    SessionVerdict,
    csrf_matches,
    csrf_token,
    judge_session,
    pick_language,
    secret_hash,
)
from lindung_intake.domain import Principal, PrincipalKind
from lindung_intake.domain.desk import Standing, standing
from lindung_intake.domain.people import Role, person_of
from lindung_intake.entrypoints.desk.forms import Cookies, safe_return
from lindung_intake.entrypoints.desk.pages import flatten, span

T0 = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


# CSRF: bound to the session's secret, compared whole.
def test_a_csrf_token_matches_only_its_own_session() -> None:
    token = csrf_token("secret-one")
    assert csrf_matches("secret-one", token)
    assert not csrf_matches("secret-two", token)
    assert not csrf_matches("secret-one", None)
    assert not csrf_matches("secret-one", "")
    assert not csrf_matches("secret-one", token[:-1])
    assert csrf_token("secret-one") == token  # derived, so no storage is needed
    assert "secret-one" not in token


def test_the_server_keeps_a_hash_of_the_cookie_not_the_cookie() -> None:
    assert secret_hash("abc") != b"abc"
    assert len(secret_hash("abc")) == 32
    assert secret_hash("abc") == secret_hash("abc")


# Sessions: signed out, idle, past the absolute timeout.
def _judge(*, last: timedelta, now: timedelta, ended: bool = False) -> SessionVerdict:
    return judge_session(
        started_at=T0,
        last_seen_at=T0 + last,
        ended_at=T0 if ended else None,
        now=T0 + now,
        idle=timedelta(minutes=30),
        longest=timedelta(hours=10),
    )


@pytest.mark.parametrize(
    ("last", "now", "ended", "verdict"),
    [
        (timedelta(0), timedelta(minutes=29, seconds=59), False, SessionVerdict.LIVE),
        (timedelta(0), timedelta(minutes=30), False, SessionVerdict.IDLE),
        (
            timedelta(hours=9, minutes=50),
            timedelta(hours=9, minutes=59),
            False,
            SessionVerdict.LIVE,
        ),
        (timedelta(hours=9, minutes=50), timedelta(hours=10), False, SessionVerdict.EXPIRED),
        (timedelta(0), timedelta(minutes=1), True, SessionVerdict.ENDED),
    ],
)
def test_a_session_ends_at_sign_out_when_idle_or_too_old(
    last: timedelta, now: timedelta, ended: bool, verdict: SessionVerdict
) -> None:
    assert _judge(last=last, now=now, ended=ended) is verdict


# Claims: who the identity provider says the person is.
def test_provider_staff_act_as_their_provider_under_their_own_name() -> None:
    person = person_of(
        {
            "sub": "f3a1",
            "preferred_username": "shelter-sel-1",
            "lindung_role": "provider_staff",
            "lindung_provider": "shelter-sel-1",
        }
    )
    assert person is not None
    assert person.role is Role.PROVIDER_STAFF
    assert person.principal == Principal(PrincipalKind.PROVIDER, "shelter-sel-1")
    assert person.principal.person == "shelter-sel-1"


def test_a_coordinator_acts_as_a_coordinator_with_their_states() -> None:
    person = person_of(
        {
            "sub": "9c",
            "preferred_username": "coordinator-sel",
            "lindung_role": "coordinator",
            "lindung_states": "selangor kuala_lumpur",
        }
    )
    assert person is not None
    assert person.principal.kind is PrincipalKind.COORDINATOR
    assert person.principal.id == "coordinator-sel"
    assert person.principal.states == frozenset({"selangor", "kuala_lumpur"})
    supervisor = person_of(
        {"sub": "1", "preferred_username": "supervisor", "lindung_role": "supervisor",
         "lindung_states": "*"}
    )  # fmt: skip
    assert supervisor is not None
    assert supervisor.principal.states == frozenset({"*"})
    # Both are coordinators to the use cases; the role says whose alerts each is shown.
    assert (person.principal.role, supervisor.principal.role) == ("coordinator", "supervisor")


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "1", "preferred_username": "x", "lindung_role": "provider_staff"},  # no provider
        {"sub": "1", "preferred_username": "x", "lindung_role": "root"},
        {"sub": "1", "preferred_username": "x"},
        {"sub": "1", "preferred_username": "x", "lindung_role": "coordinator"},  # no states
        {"sub": "1", "preferred_username": "x", "lindung_role": "coordinator",
         "lindung_states": "selangor DROP;"},
        {"sub": "", "preferred_username": "x", "lindung_role": "operations"},
        {"sub": "1", "preferred_username": "X Y", "lindung_role": "operations"},
        {"sub": "1", "preferred_username": "x", "lindung_role": "provider_staff",
         "lindung_provider": ["a"]},
    ],
)  # fmt: skip
def test_claims_without_a_usable_role_make_no_person(claims: dict[str, object]) -> None:
    assert person_of(claims) is None


# Language: the person's choice, remembered, else the browser's.
@pytest.mark.parametrize(
    ("chosen", "cookie", "accept", "language"),
    [
        ("ms", "en", "en", "ms"),
        (None, "ms", "en-GB", "ms"),
        (None, None, "ms-MY,ms;q=0.9,en;q=0.8", "ms"),
        (None, None, "en-US,en;q=0.9,ms;q=0.8", "en"),
        (None, None, "fr-FR, ms;q=0.5, en;q=0.4", "ms"),
        (None, None, "zh-CN", "en"),
        (None, None, None, "en"),
        (None, "de", "ms;q=bad, en", "en"),
        ("xx", None, "ms", "ms"),
    ],
)
def test_the_page_language(
    chosen: str | None, cookie: str | None, accept: str | None, language: str
) -> None:
    assert pick_language(chosen=chosen, cookie=cookie, accept=accept) == language


# Where a referral stands in the inbox.
def _stand(status: str = "requested", *, at: timedelta, withdrawn: bool = False,
           paused: bool = False) -> tuple[Standing, timedelta | None]:  # fmt: skip
    place = standing(
        status=status,
        withdrawn=withdrawn,
        requested_at=T0,
        due_at=T0 + timedelta(hours=24),
        paused=paused,
        now=T0 + at,
    )
    return place.standing, place.left


def test_a_referral_is_new_then_due_soon_then_late() -> None:
    assert _stand(at=timedelta(hours=1)) == (Standing.NEW, timedelta(hours=23))
    assert _stand(at=timedelta(hours=18)) == (Standing.DUE_SOON, timedelta(hours=6))
    assert _stand(at=timedelta(hours=25)) == (Standing.LATE, timedelta(hours=-1))
    assert _stand(at=timedelta(hours=25), paused=True) == (Standing.NEW, None)


def test_answered_and_taken_back_referrals_stand_apart() -> None:
    assert _stand("accepted", at=timedelta(hours=30))[0] is Standing.ACCEPTED
    assert _stand("in_progress", at=timedelta(hours=30))[0] is Standing.IN_PROGRESS
    for closed in ("completed", "declined", "failed"):
        assert _stand(closed, at=timedelta(0))[0] is Standing.CLOSED
    assert _stand("requested", at=timedelta(0), withdrawn=True)[0] is Standing.CLOSED


# What the browser holds, and where it may be sent.
def test_cookies_are_secure_except_on_plain_http_loopback() -> None:
    assert Cookies.for_url("https://lindung.example/desk") == Cookies("/desk", secure=True)
    assert Cookies.for_url("http://lindung.example/desk").secure
    assert not Cookies.for_url("http://127.0.0.1:8080/desk").secure
    assert not Cookies.for_url("http://localhost:8080/desk").secure
    assert not Cookies.for_url("http://[::1]:8080/desk").secure


@pytest.mark.parametrize(
    ("to", "back"),
    [
        ("/desk/referrals/1", "/desk/referrals/1"),
        (None, "/desk/"),
        ("https://evil.example/desk/", "/desk/"),
        ("//evil.example/desk/", "/desk/"),
        ("/desk\\@evil", "/desk/"),
        ("/deskx/", "/desk/"),
    ],
)
def test_after_sign_in_only_a_desk_page(to: str | None, back: str) -> None:
    assert safe_return(to, "/desk") == back


def test_time_left_and_shared_fields_read_as_a_person_reads_them() -> None:
    assert span(timedelta(days=2, hours=3, minutes=5)) == "2 d 3 h"
    assert span(timedelta(hours=3, minutes=20)) == "3 h 20 min"
    assert span(timedelta(minutes=-45)) == "45 min"
    assert span(timedelta(seconds=30)) == "30 s"
    shared = {"child": {"age_years": 15, "languages": ["my"]}, "personal": {"officer": {"n": 1}}}
    assert flatten(shared) == [
        ("child.age_years", 15),
        ("child.languages", ["my"]),
        ("personal.officer", {"n": 1}),
    ]
