"""Case outcomes: a documented list, each with its words in English and Malay."""

from __future__ import annotations

from uuid import uuid4

import pytest
from lindung_contracts import (
    CASE_OUTCOME_WORDS,
    PROVIDER_RESPONSES,
    REASON_WORDS,
    REFERRALS,
    CaseClosed,
    CaseCloseRequested,
    CaseOutcome,
    ReasonCode,
    topic_for,
)
from pydantic import ValidationError


def test_every_case_outcome_has_its_words_in_both_languages():
    assert set(CASE_OUTCOME_WORDS) == set(CaseOutcome)
    for words in CASE_OUTCOME_WORDS.values():
        assert set(words) == {"en", "ms"}
        assert all(w.strip() for w in words.values())


def test_the_router_says_case_closed_in_both_languages():
    assert set(REASON_WORDS[ReasonCode.CASE_CLOSED]) == {"en", "ms"}


def test_a_close_request_goes_to_the_router_and_the_closing_to_everyone():
    assert topic_for(CaseCloseRequested) is PROVIDER_RESPONSES
    assert topic_for(CaseClosed) is REFERRALS
    assert {"notifier", "sla-monitor", "intake"} <= set(REFERRALS.consumers)


def test_a_referral_is_listed_once_as_cancelled():
    referral = uuid4()
    with pytest.raises(ValidationError):
        CaseClosed(
            request_id=uuid4(),
            case_id=uuid4(),
            coordinator_id="coordinator-sel",
            outcome=CaseOutcome.MERGED,
            cancelled=(referral, referral),
            continuing=(),
            closed_at="2025-03-20T16:30:00+08:00",
        )
