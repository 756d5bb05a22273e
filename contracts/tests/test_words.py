"""Every service and every state has its words in English and Malay."""

from __future__ import annotations

import pytest
from lindung_contracts import SERVICE_WORDS, STATE_WORDS, MalaysianState, ServiceType


@pytest.mark.parametrize(
    ("kind", "words"), [(ServiceType, SERVICE_WORDS), (MalaysianState, STATE_WORDS)]
)
def test_every_code_has_words_in_both_languages(kind: type, words: dict) -> None:
    assert set(words) == set(kind)
    for code in kind:
        assert set(words[code]) == {"en", "ms"}, code
        assert all(text.strip() for text in words[code].values()), code


def test_the_federal_territories_are_named_in_full_in_malay() -> None:
    assert STATE_WORDS[MalaysianState.PENANG]["ms"] == "Pulau Pinang"
    assert STATE_WORDS[MalaysianState.KUALA_LUMPUR]["ms"].startswith("Wilayah Persekutuan")
