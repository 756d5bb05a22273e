"""The case page says why each provider was chosen in the reader's language, from its code."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from lindung_contracts import MATCHED_TIER_WORDS, MatchedTier
from lindung_intake.domain import Principal, PrincipalKind
from lindung_intake.domain.desk import Place, Standing
from lindung_intake.entrypoints.desk.pages import Pages
from lindung_intake.entrypoints.desk.words import WORDS
from lindung_intake.use_cases.cases import CaseRead
from lindung_intake.use_cases.coordination import CasePage, ReferralLine
from lindung_intake.use_cases.desk import DeskSession
from markupsafe import escape

AT = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
ENGLISH = "no provider left in sabah; serves neighbouring sarawak"


def _line(service: str, tier: str | None) -> ReferralLine:
    return ReferralLine(
        referral_id=uuid.uuid4(),
        service=service,
        provider_id=f"{service}-1",
        status="requested",
        requested_at=AT,
        due_at=AT + timedelta(hours=4),
        paused=False,
        place=Place(Standing.NEW, timedelta(hours=4)),
        steps=[],
        matched_by=ENGLISH if tier is not None else "serves sabah",
        matched_tier=tier,
    )


def _html(language: str, *lines: ReferralLine) -> str:
    case = CaseRead(uuid.uuid4(), "PDRM/SBH/1", AT, AT, ["pdrm-sabah"], [], [])
    page = CasePage(case, "sabah", list(lines), [], [], [])
    principal = Principal(PrincipalKind.COORDINATOR, "coordinator-sbh", person="Siti")
    pages = Pages(form_targets="https://idp.example", base="/desk")
    session = DeskSession("Siti", principal, language, "csrf-token")
    body = pages.html("case.html", 200, language, session=session, page=page, focus=None).body
    return bytes(body).decode()


@pytest.mark.parametrize("language", ["en", "ms"])
def test_why_this_provider_is_said_in_the_page_language(language: str) -> None:
    html = _html(language, _line("safe_shelter", "neighbouring"))
    assert WORDS[language]("matched_by") in html
    assert escape(MATCHED_TIER_WORDS[MatchedTier.NEIGHBOURING][language]) in html
    assert ENGLISH not in html  # the router's English text is not shown beside it


def test_a_referral_heard_before_the_code_shows_the_routers_text() -> None:
    html = _html("ms", _line("health", None))
    assert "serves sabah" in html


def test_every_tier_reads_differently_in_english_and_malay() -> None:
    for tier in MatchedTier:
        assert WORDS["en"].matched_tier(tier.value) != WORDS["ms"].matched_tier(tier.value)
