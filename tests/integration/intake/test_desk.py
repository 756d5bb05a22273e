"""The desk over HTTP, signed in at the real Keycloak: cookies, CSRF, expiry, sign-out.

Intake runs in-process on the real PostgreSQL; the browser is an HTTP client that signs
in on Keycloak's own login form, as a person would, and follows the redirects back.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
from lindung_contracts import Envelope, ReferralRerouted, ServiceType

if TYPE_CHECKING:
    import httpx

pytestmark = pytest.mark.integration

SHELTER, OTHER_SHELTER = "shelter-sel-1", "shelter-sel-2"
DESK = "http://127.0.0.1:8080/desk"
CONSENT = {"categories": ["shelter"], "given_by": "child"}


@pytest.fixture
def settings_overrides(keycloak) -> dict[str, Any]:
    return keycloak.intake_settings(DESK) | {"desk_idle_minutes": 30, "desk_max_hours": 10}


@pytest.fixture
def browser(client, person_at):
    """A person's browser at the desk (in-process) and at the real Keycloak."""
    return person_at(client)


async def _referral(client, callers, wired, identification, referral_requested, provider):
    body = identification(consent=CONSENT)
    opened = await client.post("/v1/identifications", json=body, headers=callers.agency)
    assert opened.status_code == 202, opened.text
    envelope = referral_requested(provider_id=provider, case_id=uuid.UUID(opened.json()["case_id"]))
    payload = envelope.data.model_copy(update={"service": ServiceType.SAFE_SHELTER})
    await wired.runtime.deliver(envelope.model_copy(update={"data": payload}), consumer="intake")
    return payload.referral_id


async def _rows(wired, sql: str, *args: Any) -> list[dict[str, Any]]:
    async with wired.runtime.service.db.pool.acquire() as conn:
        return [dict(r) for r in await conn.fetch(sql, *args)]


def _main(page: httpx.Response) -> str:
    return re.search(r"<main.*</main>", page.text, re.DOTALL)[0]


def _csrf(page: httpx.Response) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page.text)[1]


async def test_a_shelter_worker_signs_in_and_reads_the_referral_under_their_own_name(
    browser, client, callers, wired, identification, referral_requested
):
    referral_id = await _referral(
        client, callers, wired, identification, referral_requested, SHELTER
    )

    page = await browser.sign_in(SHELTER, f"/desk/referrals/{referral_id}")

    assert page.status_code == 200, page.text
    assert '<html lang="en">' in page.text
    assert "Safe shelter" in page.text
    # The cookie holds only a random id: HttpOnly, SameSite=Lax, under the desk's path;
    # not Secure, since this desk is plain http on a loopback address.
    session = next(c for c in browser.set_cookies if c.startswith("lindung_desk="))
    morsel = SimpleCookie(session)["lindung_desk"]
    assert morsel["httponly"]
    assert morsel["samesite"].lower() == "lax"
    assert morsel["path"] == "/desk"
    assert not morsel["secure"]
    stored = await _rows(wired, "SELECT session_hash, person, principal_id FROM desk_sessions")
    assert [(r["person"], r["principal_id"]) for r in stored] == [(SHELTER, SHELTER)]
    assert stored[0]["session_hash"] != morsel.value.encode()
    audit = await _rows(wired, "SELECT reader_id, reader_person, shown FROM read_audit")
    assert audit == [{"reader_id": SHELTER, "reader_person": SHELTER, "shown": True}]


async def test_a_form_without_its_csrf_token_or_with_another_s_is_refused_and_nothing_done(
    browser, client, callers, wired, identification, referral_requested, outbox
):
    referral_id = await _referral(
        client, callers, wired, identification, referral_requested, SHELTER
    )
    page = await browser.sign_in(SHELTER, f"/desk/referrals/{referral_id}")
    queued = len(await outbox())

    missing = await client.post(f"/desk/referrals/{referral_id}/accept", data={})
    wrong = await client.post(
        f"/desk/referrals/{referral_id}/accept", data={"csrf": _csrf(page)[::-1]}
    )

    assert (missing.status_code, wrong.status_code) == (403, 403)
    assert "Nothing was done" in missing.text
    status = await _rows(wired, "SELECT status FROM referral_access WHERE referral_id = $1",
                         referral_id)  # fmt: skip
    assert status == [{"status": "requested"}]
    assert len(await outbox()) == queued
    accepted = await client.post(
        f"/desk/referrals/{referral_id}/accept", data={"csrf": _csrf(page)}
    )
    assert accepted.status_code == 303
    assert len(await outbox()) == queued + 1


async def test_another_provider_s_referral_is_the_same_not_found_as_an_unknown_one(
    browser, client, callers, wired, identification, referral_requested
):
    theirs = await _referral(
        client, callers, wired, identification, referral_requested, OTHER_SHELTER
    )
    await browser.sign_in(SHELTER, "/desk/")

    other = await client.get(f"/desk/referrals/{theirs}")
    unknown = await client.get(f"/desk/referrals/{uuid.uuid4()}")

    assert (other.status_code, unknown.status_code) == (404, 404)
    assert _main(other) == _main(unknown)  # the page around it names the address asked for
    audit = await _rows(wired, "SELECT resource_id, reader_person, shown FROM read_audit"
                               " WHERE resource_id = $1", theirs)  # fmt: skip
    assert audit == [{"resource_id": theirs, "reader_person": SHELTER, "shown": False}]


async def test_an_idle_session_and_an_old_one_are_over(browser, client, clock, wired):
    await browser.sign_in(SHELTER, "/desk/")
    clock.at += timedelta(minutes=29)
    assert (await client.get("/desk/")).status_code == 200  # used: idle time starts again
    clock.at += timedelta(minutes=29)
    assert (await client.get("/desk/")).status_code == 200

    clock.at += timedelta(minutes=30)
    idle = await client.get("/desk/")

    assert idle.status_code == 303
    assert idle.headers["location"].startswith("/desk/sign-in")
    ended = await _rows(wired, "SELECT ended_at FROM desk_sessions")
    assert ended == [{"ended_at": clock.at}]

    await browser.sign_in(SHELTER, "/desk/")
    for _ in range(21):  # busy all day, never idle
        clock.at += timedelta(minutes=29)
        last = await client.get("/desk/")
    assert last.status_code == 303  # ten hours after sign-in, however busy


async def test_sign_out_ends_the_session_here_and_at_keycloak(browser, client, wired, keycloak):
    page = await browser.sign_in(SHELTER, "/desk/")

    out = await client.post("/desk/sign-out", data={"csrf": _csrf(page)})

    assert out.status_code == 303
    there = urlsplit(out.headers["location"])
    assert out.headers["location"].startswith(keycloak.issuer)
    query = parse_qs(there.query)
    assert query["post_logout_redirect_uri"] == [f"{DESK}/signed-out"]
    assert query["id_token_hint"]
    ended = await _rows(wired, "SELECT ended_at FROM desk_sessions")
    assert ended[0]["ended_at"] is not None
    # Keycloak ends its own session and sends the browser back to the desk.
    left = await browser.at_keycloak("GET", out.headers["location"])
    assert left.status_code == 302, left.text
    assert left.headers["location"] == f"{DESK}/signed-out"
    # The old cookie opens nothing now.
    again = await client.get("/desk/")
    assert again.status_code == 303


async def test_a_referral_taken_back_shows_so_and_a_late_answer_is_refused_in_malay(
    browser, client, callers, wired, identification, referral_requested, outbox, clock
):
    referral_id = await _referral(
        client, callers, wired, identification, referral_requested, SHELTER
    )
    page = await browser.sign_in(SHELTER, f"/desk/referrals/{referral_id}")
    chosen = await client.post(
        "/desk/language",
        data={"csrf": _csrf(page), "language": "ms", "next": f"/desk/referrals/{referral_id}"},
    )
    assert chosen.status_code == 303
    row = (await _rows(wired, "SELECT case_id FROM referral_access WHERE referral_id = $1",
                       referral_id))[0]  # fmt: skip
    taken_back = ReferralRerouted(
        referral_id=referral_id,
        case_id=row["case_id"],
        provider_id=SHELTER,
        service=ServiceType.SAFE_SHELTER,
        at=clock.at,
        reason="re-routed by a case coordinator",
        new_referral_id=uuid.uuid4(),
        new_provider_id=OTHER_SHELTER,
    )
    envelope = Envelope.wrap(taken_back, event_id=uuid.uuid4(), time=clock.at, source="/router")
    await wired.runtime.deliver(envelope, consumer="intake")
    queued = len(await outbox())

    # The button pressed on the page shown before: the use case's refusal, as a page.
    late = await client.post(f"/desk/referrals/{referral_id}/accept", data={"csrf": _csrf(page)})
    shown = await client.get(f"/desk/referrals/{referral_id}")

    assert late.status_code == 409
    assert '<html lang="ms">' in late.text
    assert "Tiada apa yang diubah" in late.text
    assert len(await outbox()) == queued
    assert shown.status_code == 200
    assert "ditarik balik" in shown.text
    assert "<form" not in _main(shown)  # nothing left to press
    assert OTHER_SHELTER not in shown.text  # nothing of who has it now


async def test_completing_says_what_was_done_and_why_not_all(
    browser, client, callers, wired, identification, referral_requested, outbox
):
    referral_id = await _referral(
        client, callers, wired, identification, referral_requested, SHELTER
    )
    page = await browser.sign_in(SHELTER, f"/desk/referrals/{referral_id}")
    for act in ("accept", "start"):
        done = await client.post(f"/desk/referrals/{referral_id}/{act}",
                                 data={"csrf": _csrf(page)})  # fmt: skip
        assert done.status_code == 303, done.text
    page = await client.get(f"/desk/referrals/{referral_id}")
    assert 'name="outcome"' in page.text

    done = await client.post(
        f"/desk/referrals/{referral_id}/complete",
        data={"csrf": _csrf(page), "outcome": "partly_delivered",
              "outcome_reason": "cannot_reach_child", "note": "Pindah ke Johor"},
    )  # fmt: skip

    assert done.status_code == 303, done.text
    answers = [row["event"].data for row in await outbox()]
    completed = answers[-1]
    assert (completed.response.value, completed.outcome.value, completed.outcome_reason.value) == (
        "completed", "partly_delivered", "cannot_reach_child",
    )  # fmt: skip
    assert "Pindah" not in repr(completed)  # the words stay sealed in intake
    notes = await _rows(wired, "SELECT about, reason, writer_id FROM notes")
    assert notes == [{"about": "complete", "reason": "cannot_reach_child", "writer_id": SHELTER}]
