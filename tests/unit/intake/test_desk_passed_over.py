"""The coordinator's case page says why each referral's provider was chosen, in both languages."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from lindung_contracts import PASSED_OVER_WORDS, PassedOverCode
from lindung_intake.domain import Principal, PrincipalKind
from lindung_intake.domain.desk import Place, Standing
from lindung_intake.entrypoints.desk.pages import Pages
from lindung_intake.entrypoints.desk.words import WORDS
from lindung_intake.use_cases.cases import CaseRead
from lindung_intake.use_cases.coordination import CasePage, ReferralLine
from lindung_intake.use_cases.desk import DeskSession
from markupsafe import escape

AT = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)


def _page() -> CasePage:
    line = ReferralLine(
        referral_id=uuid.uuid4(),
        service="safe_shelter",
        provider_id="shelter-kl-2",
        status="requested",
        requested_at=AT,
        due_at=AT + timedelta(hours=4),
        paused=False,
        place=Place(Standing.NEW, timedelta(hours=4)),
        steps=[],
        matched_by="serves kuala_lumpur",
        passed_over=(
            {"provider_id": "shelter-kl-0", "reason": "wrong_language"},
            {"provider_id": "shelter-kl-1", "reason": "declined_before"},
        ),
    )
    case = CaseRead(uuid.uuid4(), "PDRM/KL/1", AT, AT, ["pdrm-kl"], [], [])
    return CasePage(case, "kuala_lumpur", [line], [], [], [])


@pytest.mark.parametrize("language", ["en", "ms"])
def test_the_case_page_names_each_provider_passed_over_and_why(language: str) -> None:
    principal = Principal(PrincipalKind.COORDINATOR, "coordinator-kl", person="Siti")
    session = DeskSession("Siti", principal, language, "csrf-token")
    pages = Pages(form_targets="https://idp.example", base="/desk")

    page = pages.html("case.html", 200, language, session=session, page=_page(), focus=None)

    html = bytes(page.body).decode()
    t = WORDS[language]
    assert t("matched_by") in html
    assert "serves kuala_lumpur" in html
    for provider, code in (("shelter-kl-0", "wrong_language"), ("shelter-kl-1", "declined_before")):
        words = PASSED_OVER_WORDS[PassedOverCode(code)][language]
        assert escape(f"{provider}: {words}") in html


def test_every_code_reads_differently_in_english_and_malay() -> None:
    for code in PassedOverCode:
        assert WORDS["en"].passed_over(code.value) != WORDS["ms"].passed_over(code.value)
