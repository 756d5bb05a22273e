"""Outcome codes: a documented list, each with its words in English and Malay."""

from __future__ import annotations

import pytest
from lindung_contracts import (
    OUTCOME_WORDS,
    Outcome,
    ProviderResponded,
    ReasonCode,
    ReferralCompleted,
)


def test_every_outcome_has_its_words_in_both_languages():
    assert set(OUTCOME_WORDS) == set(Outcome)
    for words in OUTCOME_WORDS.values():
        assert set(words) == {"en", "ms"}
        assert all(w.strip() for w in words.values())


@pytest.mark.parametrize(
    ("outcome", "needs_reason"),
    [(Outcome.DELIVERED, False), (Outcome.PARTLY_DELIVERED, True), (Outcome.NOT_DELIVERED, True)],
)
def test_only_an_outcome_short_of_delivered_needs_a_reason(outcome, needs_reason):
    assert outcome.needs_reason is needs_reason


@pytest.mark.parametrize("model", [ProviderResponded, ReferralCompleted])
def test_outcome_fields_are_optional_so_older_events_still_read(model):
    fields = model.model_fields
    for name in ("outcome", "outcome_reason"):
        assert not fields[name].is_required()
        assert fields[name].default is None
    assert fields["outcome_reason"].annotation == ReasonCode | None
