"""Sealing personal details: authenticated, bound to its case, keys that rotate."""

from __future__ import annotations

import base64
import uuid

import pytest
from lindung_intake.adapters.sealing import DataKeys, Sealed, SealError, new_key_line

OLD = "old:" + base64.b64encode(b"\x01" * 32).decode()
NEW = "new:" + base64.b64encode(b"\x02" * 32).decode()
CASE = uuid.uuid4().bytes


def test_the_first_key_seals_and_every_key_opens():
    old = DataKeys.parse(OLD).seal(b"Aye Aye Mon", bound_to=CASE)
    both = DataKeys.parse(f"{NEW},{OLD}")

    fresh = both.seal(b"Aye Aye Mon", bound_to=CASE)

    assert (old.key_id, fresh.key_id) == ("old", "new")
    assert both.open(old, bound_to=CASE) == both.open(fresh, bound_to=CASE) == b"Aye Aye Mon"
    assert b"Aye" not in fresh.blob


def test_a_changed_byte_another_case_or_another_key_id_does_not_open():
    keys = DataKeys.parse(OLD)
    sealed = keys.seal(b"+60 3-2266 2222", bound_to=CASE)
    flipped = Sealed(sealed.key_id, sealed.blob[:-1] + bytes([sealed.blob[-1] ^ 1]))

    for attempt, bound_to in ((flipped, CASE), (sealed, uuid.uuid4().bytes)):
        with pytest.raises(SealError, match="does not open"):
            keys.open(attempt, bound_to=bound_to)
    with pytest.raises(SealError, match="not configured"):
        keys.open(Sealed("gone", sealed.blob), bound_to=CASE)


def test_two_seals_of_the_same_value_differ():
    keys = DataKeys.parse(OLD)

    assert keys.seal(b"x", bound_to=CASE).blob != keys.seal(b"x", bound_to=CASE).blob


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "not written id:base64key"),
        ("k1:" + base64.b64encode(b"short").decode(), "is not 32 bytes"),
        ("k1:not base64!", "is not base64"),
        (f"{OLD},{OLD}", "given twice"),
        ("bad id:" + base64.b64encode(b"\x01" * 32).decode(), "is not letters"),
    ],
)
def test_an_unusable_key_list_is_refused_with_the_reason_and_not_the_key(text, reason):
    with pytest.raises(SealError, match=reason) as refused:
        DataKeys.parse(text)

    assert base64.b64encode(b"\x01" * 32).decode() not in str(refused.value)


def test_a_new_key_line_is_a_usable_key():
    keys = DataKeys.parse(new_key_line())

    assert keys.current.startswith("k")
    assert keys.open(keys.seal(b"x", bound_to=CASE), bound_to=CASE) == b"x"
