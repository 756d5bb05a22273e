"""Why the providers ranked above the chosen one were not asked: ids and codes only."""

from __future__ import annotations

from typing import Any

import pytest
from lindung_contracts import (
    PASSED_OVER_WORDS,
    MalaysianState,
    PassedOver,
    PassedOverCode,
    ReferralRequested,
    ServiceType,
)
from lindung_contracts.referral import PASSED_OVER_LIMIT
from lindung_router.domain import Directory, choose_provider

S = ServiceType
SEL, SABAH = MalaysianState.SELANGOR, MalaysianState.SABAH
C = PassedOverCode


def provider(pid: str, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": pid,
        "name": pid.title(),
        "services": ["safe_shelter"],
        "states": ["selangor"],
        "languages": ["ms"],
        "priority": 5,
    }
    return fields | overrides


def passed(*providers: dict[str, Any], languages=("ms",), tried=(), declined=(), state=SEL):
    found = Directory.model_validate({"version": "d1", "providers": list(providers)})
    choice = choose_provider(
        found, S.SAFE_SHELTER, state=state, languages=languages, tried=tried, declined=declined
    )
    assert choice.provider is not None
    return choice.provider.id, [(p.provider_id, p.reason) for p in choice.passed_over]


def test_the_best_ranked_asked_passes_nobody_over() -> None:
    assert passed(provider("a-1", priority=1), provider("b-1", priority=2)) == ("a-1", [])


@pytest.mark.parametrize(
    ("better", "tried", "declined", "code"),
    [
        pytest.param({}, ("a-1",), ("a-1",), C.DECLINED_BEFORE, id="declined before"),
        pytest.param({}, ("a-1",), (), C.TRIED_BEFORE, id="silent or failed before"),
        pytest.param({"accepting": False}, (), (), C.NOT_ACCEPTING, id="not accepting"),
        pytest.param({"languages": ["en"]}, (), (), C.WRONG_LANGUAGE, id="wrong language"),
    ],
)
def test_a_better_ranked_provider_is_named_with_its_code(
    better: dict[str, Any], tried: tuple[str, ...], declined: tuple[str, ...], code: C
) -> None:
    best = provider("a-1", priority=1, **better)
    assert passed(best, provider("b-1", priority=9), tried=tried, declined=declined) == (
        "b-1",
        [("a-1", code)],
    )


def test_out_of_area_counts_when_it_speaks_the_childs_language_and_the_chosen_does_not() -> None:
    sabah = provider("sabah-1", states=["sabah"], languages=["tl"])
    local = provider("sel-1", languages=["ms"])
    assert passed(sabah, local, languages=("tl",)) == ("sel-1", [("sabah-1", C.OUT_OF_AREA)])
    # Speaking no better than the chosen one, a provider far away was never ranked above it.
    assert passed(sabah, local, languages=("ms",)) == ("sel-1", [])


def test_lower_ranked_providers_are_not_named() -> None:
    chosen = provider("a-1", priority=1)
    behind = [provider("b-1", priority=2, accepting=False), provider("c-1", priority=3)]
    assert passed(chosen, *behind, tried=()) == ("a-1", [])


def test_a_nearer_provider_that_does_not_speak_the_language_is_named() -> None:
    # The chosen one serves a neighbouring state; the local one speaks none of the languages.
    local = provider("local", languages=["en"], priority=1)
    neighbour = provider("near", states=["negeri_sembilan"], languages=["ms"], priority=1)
    assert passed(neighbour, local) == ("near", [("local", C.WRONG_LANGUAGE)])


def test_the_first_reason_that_applies_is_given_nearest_first() -> None:
    chosen, reasons = passed(
        provider("z-far", states=["negeri_sembilan"], priority=1, accepting=False),
        provider("y-near", priority=1, accepting=False, languages=["en"]),
        provider("x-declined", priority=3),
        provider("w-chosen", priority=7, states=["*"]),
        tried=("x-declined",),
        declined=("x-declined",),
    )
    assert chosen == "w-chosen"
    assert reasons == [
        ("y-near", C.NOT_ACCEPTING),
        ("x-declined", C.DECLINED_BEFORE),
        ("z-far", C.NOT_ACCEPTING),
    ]


def test_no_more_than_the_limit_are_kept() -> None:
    full = [provider(f"full-{i:02}", priority=1, accepting=False) for i in range(25)]
    chosen, reasons = passed(*full, provider("open", priority=9))
    assert chosen == "open"
    assert [p for p, _ in reasons] == [f"full-{i:02}" for i in range(PASSED_OVER_LIMIT)]


def test_the_event_refuses_more_than_the_limit_and_any_other_code() -> None:
    entry = {"provider_id": "shelter-1", "reason": "not_accepting"}
    assert PassedOver.model_validate(entry).reason is C.NOT_ACCEPTING
    with pytest.raises(ValueError, match="reason"):
        PassedOver.model_validate(entry | {"reason": "no bed for Aye Aye"})
    limit = ReferralRequested.model_fields["passed_over"].metadata
    assert any(getattr(m, "max_length", None) == PASSED_OVER_LIMIT for m in limit)


@pytest.mark.parametrize("code", list(C))
@pytest.mark.parametrize("language", ["en", "ms"])
def test_every_code_has_words_in_english_and_malay(code: C, language: str) -> None:
    words = PASSED_OVER_WORDS[code][language]
    assert words.strip()
    assert words != code.value
