"""Intake and the sla-monitor, started by the end-to-end launcher, know where people sign in."""

from __future__ import annotations

import httpx
import pytest
from lindung_devstack.world import Behaviour

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def accept_all(_: dict) -> Behaviour:
    return Behaviour("accept", 0.0)


async def test_intake_gets_the_realm_s_issuer_client_and_its_own_desk_address(
    start_system, keycloak
):
    services, _, _ = await start_system(
        accept_all,
        intake=keycloak.intake_settings(),
        sla_monitor=keycloak.dashboard_settings(),
    )
    intake = services["intake"]
    env = intake.env

    assert env["INTAKE_OIDC_ISSUER"] == keycloak.issuer
    assert env["INTAKE_OIDC_CLIENT_ID"] == "lindung-desk"
    assert env["INTAKE_OIDC_CLIENT_SECRET"] == keycloak.client_secret
    assert env["INTAKE_DESK_URL"] == f"http://127.0.0.1:{intake.port}/desk"
    assert intake.healthy()
    async with httpx.AsyncClient() as http:
        discovery = await http.get(f"{env['INTAKE_OIDC_ISSUER']}/.well-known/openid-configuration")
    assert discovery.json()["issuer"] == keycloak.issuer
    # The sla-monitor's dashboard signs people in at the same realm, at its own address.
    monitor = services["sla-monitor"]
    assert monitor.env["SLA_MONITOR_OIDC_ISSUER"] == keycloak.issuer
    assert monitor.env["SLA_MONITOR_DASHBOARD_URL"] == f"http://127.0.0.1:{monitor.port}/dashboard"
    async with httpx.AsyncClient(base_url=monitor.url) as http:
        begun = await http.get("/dashboard/sign-in")
    assert begun.status_code == 303
    assert begun.headers["location"].startswith(f"{keycloak.issuer}/protocol/openid-connect/auth?")
