"""The router's use cases: load, decide, save and queue the events, in one transaction each."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import structlog
from lindung_common import add_to_outbox, first_delivery
from lindung_contracts import CaseOpened, ProviderResponded

from .adapters import postgres as db
from .domain import CaseFacts, ReferralStatus, apply_response, needs, reason_of, reroute, route

if TYPE_CHECKING:
    from collections.abc import Mapping

    import asyncpg
    from lindung_common import Handler, Runtime
    from lindung_contracts import Envelope, Payload

    from .domain import Directory, Policy, ReferralState, Routed

__all__ = ["CONSUMER", "Router"]

CONSUMER = "router"
log = structlog.get_logger(__name__)


class Router:
    """The router's handlers, bound to a runtime (pool, clock, ids, outbox), policy, directory."""

    def __init__(self, runtime: Runtime, policy: Policy, directory: Directory) -> None:
        self._rt = runtime
        self.policy = policy
        self.directory = directory

    @property
    def handlers(self) -> Mapping[type[Payload], Handler]:
        """The handler for each event type the router consumes."""
        return {CaseOpened: self.on_case_opened, ProviderResponded: self.on_provider_responded}

    async def on_case_opened(self, envelope: Envelope[Any]) -> None:
        """Refer a new case for every service it needs; a case seen again changes nothing."""
        case: CaseOpened = envelope.data
        facts = CaseFacts.of(case)
        bound = log.bind(case_id=str(case.case_id), event_id=str(envelope.id))
        now = self._rt.clock.now()
        async with self._rt.pool.acquire() as conn, conn.transaction():
            if not await first_delivery(conn, CONSUMER, envelope.id):
                bound.info("case already routed; redelivery ignored")
                return
            stored = await db.insert_case(
                conn,
                facts,
                opened_at=case.opened_at,
                event_id=envelope.id,
                policy_version=self.policy.version,
                directory_version=self.directory.version,
            )
            if not stored:
                bound.info("case already routed; repeated CaseOpened ignored")
                return
            results = [
                route(
                    facts,
                    need,
                    policy=self.policy,
                    directory=self.directory,
                    start=facts.identified_at,
                    now=now,
                    referral_id=self._rt.ids(),
                )
                for need in needs(case.child, case.situation, facts.identified_at)
            ]
            events = [await self._save(conn, routed) for routed in results]
            await add_to_outbox(conn, *(self._rt.envelope(e) for e in events))
        for routed in results:
            self._log_routed(bound, routed)

    async def on_provider_responded(self, envelope: Envelope[Any]) -> None:
        """Apply a provider's answer; re-route on decline or failure; refuse what is not allowed."""
        answer: ProviderResponded = envelope.data
        bound = log.bind(
            case_id=str(answer.case_id),
            referral_id=str(answer.referral_id),
            event_id=str(envelope.id),
            response=answer.response.value,
        )
        async with self._rt.pool.acquire() as conn, conn.transaction():
            if not await first_delivery(conn, CONSUMER, envelope.id):
                bound.info("answer already applied; redelivery ignored")
                return
            referral = await db.lock_referral(conn, answer.referral_id)
            if referral is None:
                bound.warning("answer to an unknown referral ignored")
                return
            outcome = apply_response(referral, answer)
            if outcome.status is None:
                bound.warning(
                    "answer changes nothing",
                    why=outcome.ignored,
                    provider_id=referral.provider_id,
                    answered_by=answer.provider_id,
                )
                return
            detail = reason_of(answer) if outcome.reroute else None
            await db.set_status(
                conn, referral.referral_id, outcome.status, at=answer.responded_at, reason=detail
            )
            events: list[Payload] = list(outcome.events)
            routed = None
            if outcome.reroute:
                routed, more = await self._reroute(conn, referral, answer, outcome.status)
                events += more
            await add_to_outbox(conn, *(self._rt.envelope(e) for e in events))
        bound.info(
            "referral moved", status=outcome.status.value, service_type=referral.service.value
        )
        if routed is not None:
            self._log_routed(bound, routed)

    async def _reroute(
        self,
        conn: asyncpg.Connection,
        referral: ReferralState,
        answer: ProviderResponded,
        status: ReferralStatus,
    ) -> tuple[Routed, list[Payload]]:
        facts = await db.load_case(conn, referral.case_id)
        if facts is None:  # pragma: no cover - a referral's case is never deleted
            raise RuntimeError(f"case {referral.case_id} of a stored referral is missing")
        routed, rerouted = reroute(
            facts,
            referral,
            why="declined" if status is ReferralStatus.DECLINED else "reported failure",
            detail=reason_of(answer),
            policy=self.policy,
            directory=self.directory,
            tried=await db.tried_providers(conn, referral.case_id, referral.service),
            at=answer.responded_at,
            now=self._rt.clock.now(),
            referral_id=self._rt.ids(),
        )
        new_event = await self._save(conn, routed)
        return routed, [rerouted, new_event] if rerouted is not None else [new_event]

    @staticmethod
    async def _save(conn: asyncpg.Connection, routed: Routed) -> Payload:
        if routed.requested is not None:
            await db.insert_referral(conn, routed.requested)
            return routed.requested
        if routed.unmet is None:  # pragma: no cover - route() always sets one of the two
            raise RuntimeError("routing produced neither a referral nor an unmet service")
        await db.insert_unmet(conn, routed.unmet)
        return routed.unmet

    @staticmethod
    def _log_routed(bound: Any, routed: Routed) -> None:
        # `service` is the log field naming this process, so the referral's is `service_type`.
        service = routed.need.service.value
        if routed.requested is None:
            bound.warning(
                "no provider available", service_type=service, matching=routed.choice.notes
            )
            return
        bound.info(
            "referral requested",
            referral_id=str(routed.requested.referral_id),
            service_type=service,
            provider_id=routed.requested.provider_id,
            attempt=routed.requested.attempt,
            urgent=routed.requested.urgent,
            due_at=routed.requested.due_at.isoformat(),
            matching=routed.choice.notes,
        )
