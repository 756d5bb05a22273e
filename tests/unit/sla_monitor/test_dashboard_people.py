"""Who the dashboard lets in from an ID token's claims, and where a sign-in returns to."""

from __future__ import annotations

import pytest
from lindung_common.signin import loopback_http
from lindung_sla_monitor.dashboard.access import back
from lindung_sla_monitor.dashboard.people import operations_person

OPERATIONS = {"preferred_username": "operations", "sub": "f3a1", "lindung_role": "operations"}


def test_an_operations_person_acts_under_their_own_name():
    holder = operations_person(OPERATIONS)

    assert holder is not None
    assert (holder.person, holder.kind, holder.principal_id, holder.role) == (
        "operations", "operations", "operations", "operations",
    )  # fmt: skip
    assert holder.states == frozenset()


@pytest.mark.parametrize(
    "changes",
    [
        {"lindung_role": "supervisor"},
        {"lindung_role": "provider_staff", "lindung_provider": "shelter-sel-1"},
        {"lindung_role": "coordinator"},
        {"lindung_role": None},
        {"preferred_username": "Not A Name"},
        {"preferred_username": None},
        {"sub": ""},
    ],
)
def test_anyone_else_or_anything_malformed_is_nobody(changes):
    assert operations_person(OPERATIONS | changes) is None


@pytest.mark.parametrize(
    ("given", "to"),
    [
        (None, "/dashboard"),
        ("/dashboard?last=30d", "/dashboard?last=30d"),
        ("https://elsewhere.example/", "/dashboard"),
        ("//elsewhere.example/dashboard", "/dashboard"),
        ("/dashboard/..//elsewhere.example", "/dashboard"),
        ("/dashboard\\@elsewhere.example", "/dashboard"),
        ("/metrics", "/dashboard"),
    ],
)
def test_a_sign_in_returns_to_a_dashboard_page_only(given, to):
    assert back({"next": given} if given else {}) == to


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8083/dashboard", True),
        ("http://localhost:8083/dashboard", True),
        ("http://[::1]:8083/dashboard", True),
        ("https://127.0.0.1/dashboard", False),  # TLS: Secure is right even here
        ("http://ops.lindung.example/dashboard", False),
        ("http://10.0.0.5/dashboard", False),
    ],
)
def test_cookies_lose_secure_only_on_plain_http_to_loopback(url, loopback):
    assert loopback_http(url) is loopback
