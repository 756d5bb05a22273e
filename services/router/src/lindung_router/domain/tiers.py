"""Why a provider was chosen, as a code (`MatchedTier`) that pages put in the reader's words."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from lindung_contracts import MatchedTier

if TYPE_CHECKING:
    from lindung_contracts import MalaysianState

    from .directory import Provider

__all__ = ["matched_tier"]

# `Provider.nearness`: 0 serves the child's district, 1 its state, 2 a neighbouring state,
# 3 the whole country; the tier `choose_provider` describes in `matched_by`.
_TIERS: Final = {
    0: MatchedTier.DISTRICT,
    1: MatchedTier.STATE,
    2: MatchedTier.NEIGHBOURING,
    3: MatchedTier.NATIONAL,
}


def matched_tier(
    provider: Provider | None, state: MalaysianState, district: str | None
) -> MatchedTier | None:
    """The tier a provider chosen for a child in `state` (and `district`) was matched in.

    None for no provider, or one outside every tier (only a coordinator names such a one).
    """
    if provider is None:
        return None
    nearness = provider.nearness(state, district)
    return None if nearness is None else _TIERS[nearness]
