"""Linking by keyed hashes: document numbers exactly, name plus birth date only alike."""

from __future__ import annotations

from datetime import date

from lindung_contracts import PersonalDetails
from lindung_intake.domain import Linker
from lindung_intake.domain.linking import normalise_name, normalise_number

LINKER = Linker(b"a server secret of thirty-two bytes!")


def _personal(**fields: object) -> PersonalDetails:
    return PersonalDetails.model_validate(fields)


def _document(kind: str, number: str) -> PersonalDetails:
    return _personal(documents=[{"kind": kind, "number": number}])


def test_a_number_written_differently_is_the_same_number():
    assert normalise_number(" mmr-17c.012/34 ") == "MMR17C01234"
    assert LINKER.documents(_document("unhcr_card", "mmr 17c01234")) == LINKER.documents(
        _document("unhcr_card", "MMR-17C01234")
    )


def test_the_same_number_on_another_kind_of_document_is_another_document():
    assert LINKER.documents(_document("passport", "A1234567")) != LINKER.documents(
        _document("unhcr_card", "A1234567")
    )
    # A MyKid's number is kept on the MyKad.
    assert LINKER.documents(_document("mykid", "110409-14-5678")) == LINKER.documents(
        _document("mykad", "110409145678")
    )


def test_hashes_depend_on_the_secret_and_do_not_contain_the_number():
    other = Linker(b"another secret, also thirty-two b")
    (mine,) = LINKER.documents(_document("passport", "A1234567"))
    (theirs,) = other.documents(_document("passport", "A1234567"))

    assert mine != theirs
    assert b"A1234567" not in mine


def test_likeness_needs_both_name_and_birth_date_and_ignores_case_and_accents():
    born = date(2011, 4, 9)

    assert normalise_name("  Nguyễn  Thị-Lan ") == "nguyen thi lan"
    assert LINKER.likeness(_personal(name="Nguyễn Thị Lan", date_of_birth=born)) == (
        LINKER.likeness(_personal(name="nguyen thi  LAN", date_of_birth=born))
    )
    assert LINKER.likeness(_personal(name="Nguyen Thi Lan")) is None
    assert LINKER.likeness(_personal(date_of_birth=born)) is None
    assert LINKER.likeness(None) is None
