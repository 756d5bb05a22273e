"""Intake's use cases: load, decide, save and queue the event, in one transaction each."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import structlog
from lindung_common import add_to_outbox, first_delivery
from lindung_contracts import (
    CaseOpened,
    DecodeError,
    Envelope,
    FieldError,
    Identification,
    IdentificationRejected,
    IdentificationReported,
    ProviderResponded,
    ReferralRequested,
    ResponseKind,
    decode,
)

from .adapters import postgres as db
from .domain import (
    Principal,
    PrincipalKind,
    check_identification_time,
    check_response,
    fingerprint,
)

if TYPE_CHECKING:
    from uuid import UUID

    from lindung_common import Record, Runtime

    from .adapters.keys import KeyRing

__all__ = ["Conflict", "Intake", "NotFound", "OpenedCase", "Refused"]

CONSUMER = "intake"
log = structlog.get_logger(__name__)


class Refused(Exception):
    """The input is not acceptable; `errors` names each field and reason."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in errors))
        self.errors = errors


class Conflict(Exception):
    """The agency reused a reference for a different identification."""


class NotFound(Exception):
    """No such thing visible to this caller."""


@dataclass(frozen=True)
class OpenedCase:
    """The outcome of an identification: its case, and whether this call created it."""

    case_id: UUID
    created: bool


class Intake:
    """Intake's handlers, bound to a runtime (pool, clock, ids, outbox) and the key ring."""

    def __init__(self, runtime: Runtime, keys: KeyRing, *, clock_skew_seconds: int) -> None:
        self._rt = runtime
        self.keys = keys
        self._skew = timedelta(seconds=clock_skew_seconds)

    async def open_case(
        self, agency_id: str, identification: Identification, *, channel: str
    ) -> OpenedCase:
        """Store a new case and queue CaseOpened; the same reference returns the same case."""
        now = self._rt.clock.now()
        errors = check_identification_time(identification, now=now, skew=self._skew)
        if errors:
            raise Refused(errors)
        body_hash = fingerprint(identification)
        reference = identification.agency_reference
        async with self._rt.pool.acquire() as conn, conn.transaction():
            case_id = self._rt.ids()
            created = await db.insert_case(
                conn,
                case_id=case_id,
                agency_id=agency_id,
                identification=identification,
                channel=channel,
                received_at=now,
                body_sha256=body_hash,
            )
            if created:
                event = CaseOpened(
                    case_id=case_id,
                    agency_id=agency_id,
                    identified_at=identification.identified_at,
                    opened_at=now,
                    child=identification.child,
                    situation=identification.situation,
                )
                await add_to_outbox(conn, self._rt.envelope(event))
                log.info("case opened", case_id=str(case_id), agency_id=agency_id, channel=channel)
                return OpenedCase(case_id, created=True)
            existing = await db.find_case(conn, agency_id, reference)
        if existing is None:  # pragma: no cover - the conflicting row cannot vanish
            raise RuntimeError("case reference conflict without a case")
        if existing.body_sha256 != body_hash:
            raise Conflict(f"agency_reference {reference!r} already names another identification")
        return OpenedCase(existing.case_id, created=False)

    async def respond(
        self,
        principal: Principal,
        referral_id: UUID,
        response: ResponseKind,
        reason: str | None,
    ) -> UUID:
        """Record a provider's answer and queue ProviderResponded; a repeat is a no-op."""
        errors = check_response(response, reason)
        if errors:
            raise Refused(errors)
        async with self._rt.pool.acquire() as conn, conn.transaction():
            referral = await db.find_referral(conn, referral_id)
            # Someone else's referral looks exactly like a missing one: no existence leak.
            if referral is None or principal != Principal(
                PrincipalKind.PROVIDER, referral.provider_id
            ):
                raise NotFound(f"referral {referral_id} not found")
            answer = ProviderResponded(
                response_id=self._rt.ids(),
                referral_id=referral_id,
                case_id=referral.case_id,
                provider_id=referral.provider_id,
                response=response,
                reason=reason,
                responded_at=self._rt.clock.now(),
            )
            if not await db.insert_response(conn, answer):
                previous = await db.find_response(conn, referral_id, response.value)
                return previous or answer.response_id
            await add_to_outbox(conn, self._rt.envelope(answer))
        log.info(
            "provider responded",
            case_id=str(referral.case_id),
            referral_id=str(referral_id),
            response=response.value,
        )
        return answer.response_id

    async def on_referral_requested(self, envelope: Envelope[Any]) -> None:
        """Remember which provider a referral is addressed to (for object-level checks)."""
        referral: ReferralRequested = envelope.data
        async with self._rt.pool.acquire() as conn, conn.transaction():
            if await first_delivery(conn, CONSUMER, envelope.id):
                await db.insert_referral_access(conn, referral)

    async def on_agency_record(self, record: Record) -> None:
        """The Kafka door: same validation as HTTP; a refusal becomes IdentificationRejected."""
        agency_id = "unknown"
        try:
            envelope = decode(record.value, record.headers, expect=(IdentificationReported,))
            reported: IdentificationReported = envelope.data
            agency_id = reported.agency_id
            if not self.keys.is_agency(agency_id):
                raise Refused([FieldError(field="data.agency_id", reason="unknown agency")])
            if reported.agency_reference != reported.identification.agency_reference:
                reason = "differs from data.identification.agency_reference"
                raise Refused([FieldError(field="data.agency_reference", reason=reason)])
            await self.open_case(agency_id, reported.identification, channel="kafka")
        except DecodeError as exc:
            await self._reject(record, agency_id, list(exc.errors))
        except Refused as exc:
            await self._reject(record, agency_id, exc.errors)
        except Conflict as exc:
            errors = [FieldError(field="data.agency_reference", reason=str(exc))]
            await self._reject(record, agency_id, errors)

    async def _reject(self, record: Record, agency_id: str, errors: list[FieldError]) -> None:
        now = self._rt.clock.now()
        rejection = IdentificationRejected(
            agency_id=agency_id,
            errors=tuple(errors),
            original_topic=record.topic,
            original_partition=record.partition,
            original_offset=record.offset,
            original_key_b64=base64.b64encode(record.key).decode() if record.key else None,
            original_value_b64=base64.b64encode(record.value or b"").decode(),
            rejected_at=now,
        )
        # The id follows from the record's position, so a redelivered record is refused once.
        position = f"{record.topic}/{record.partition}/{record.offset}"
        event = Envelope.wrap(
            rejection,
            event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"urn:lindung:rejection:{position}"),
            time=now,
            source=self._rt.source,
        )
        async with self._rt.pool.acquire() as conn, conn.transaction():
            await add_to_outbox(conn, event)
        log.warning(
            "identification rejected",
            agency_id=agency_id,
            offset=record.offset,
            partition=record.partition,
            fields=[e.field for e in errors],
        )
