"""Intake's use cases: load, decide, save and queue the event, in one transaction each.

The HTTP API calls `open_case` and `respond`, each its own transaction. The Kafka side
is two consumers on the one consume path: the agency door (`on_reported`), which runs
the same validation as HTTP inside the batch transaction, and the referral projection
(`on_referral_requested`), which remembers who each referral is addressed to.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import structlog
from lindung_common import Consumer, RecordRefused, add_to_outbox, original_identity
from lindung_contracts import (
    AGENCY_IDENTIFICATIONS,
    REFERRALS,
    CaseOpened,
    ClockAction,
    ClockChangeRequested,
    FieldError,
    IdentificationRejected,
    IdentificationReported,
    ProviderResponded,
    ReferralCancelled,
    ReferralRequested,
    ReferralRerouted,
    ReferralStatus,
    ResponseKind,
    ServiceType,
    transition,
)

from .adapters import postgres as db
from .adapters.sealing import Sealed
from .domain import (
    Linker,
    Principal,
    PrincipalKind,
    check_identification_time,
    check_response,
    fingerprint,
    pick,
    shown_fields,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from uuid import UUID

    import asyncpg
    from lindung_common import Database, DeadLetter, Events, Work
    from lindung_common.keys import KeyRing
    from lindung_contracts import Envelope, IdentificationFacts, PersonalDetails

    from .adapters.sealing import DataKeys

__all__ = [
    "CONSUMER",
    "DOOR",
    "CaseRead",
    "Conflict",
    "Intake",
    "NotAllowed",
    "NotFound",
    "OpenedCase",
    "ReferralRead",
    "Refused",
    "Withdrawn",
    "announce_rejection",
]

CONSUMER = "intake"
DOOR = "intake-door"
log = structlog.get_logger(__name__)


class Refused(RecordRefused):
    """The input is not acceptable; `errors` names each field and reason."""


class Conflict(RecordRefused):
    """The agency reused a reference for a different identification."""


class NotFound(Exception):
    """No such thing visible to this caller."""


class Withdrawn(RecordRefused):
    """The referral was taken back from the provider answering it."""


class NotAllowed(RecordRefused):
    """The referral's state does not allow this answer (accepting after declining, say)."""


@dataclass(frozen=True)
class OpenedCase:
    """The outcome of an identification: its case, and whether this call created it.

    `linked`: the child was already known by a document number, so the identification
    joined that case (opened by another agency, or earlier) instead of opening one.
    """

    case_id: UUID
    created: bool
    linked: bool = False


@dataclass(frozen=True)
class ReferralRead:
    """A referral as its provider reads it: where it stands, and what its service needs."""

    referral_id: UUID
    case_id: UUID
    service: str
    status: str
    requested_at: datetime
    paused_since: datetime | None
    shared: dict[str, Any]


@dataclass(frozen=True)
class CaseRead:
    """A case as the agency that reported it reads it: its referrals and where they stand."""

    case_id: UUID
    agency_reference: str
    identified_at: datetime
    received_at: datetime
    reported_by: list[str]
    possible_duplicates: list[UUID]
    referrals: list[dict[str, Any]]


class Intake:
    """Intake's handlers, bound to the database, the event factory and the key ring."""

    def __init__(
        self,
        db: Database,
        events: Events,
        keys: KeyRing,
        *,
        secret: bytes,
        data_keys: DataKeys,
        clock_skew_seconds: int,
        oldest_identification_days: int = 30,
        answer_wait_seconds: float = 5.0,
        door_agencies: Sequence[str] = (),
    ) -> None:
        self._door_agencies = tuple(door_agencies)
        self._db = db
        self._events = events
        self.keys = keys
        self.data_keys = data_keys
        self._linker = Linker(secret)
        self._fingerprint_key = hmac.new(secret, b"lindung/fingerprint/v1", "sha256").digest()
        self._skew = timedelta(seconds=clock_skew_seconds)
        self._oldest = timedelta(days=oldest_identification_days)
        self._answer_wait = answer_wait_seconds

    def consumers(self) -> list[Consumer]:
        """The agency door (when agencies report on Kafka) and the referral projection."""
        door = Consumer(
            name=DOOR,
            # Each agency's own topic: the topic, which only it may write, says who sent.
            topics=tuple(AGENCY_IDENTIFICATIONS.for_agency(a) for a in self._door_agencies),
            handlers={IdentificationReported: self.on_reported},
            expect=(IdentificationReported,),
            # Agencies choose their event ids: one agency's id must never hide another's
            # identification. Cases are de-duplicated by agency reference instead.
            dedupe=False,
            outside=True,  # any CloudEvents SDK: only the required attributes are required
            agency_door=True,  # a record naming another agency than its topic's is refused
            announce=announce_rejection,
        )
        projection = Consumer(
            name=CONSUMER,
            topics=(REFERRALS,),
            run_handlers={
                ReferralRequested: self.on_referrals_requested,
                ReferralRerouted: self.on_referrals_withdrawn,
                ReferralCancelled: self.on_referrals_withdrawn,
            },
        )
        return [door, projection] if door.topics else [projection]

    async def open_case(
        self, agency_id: str, identification: IdentificationFacts, *, channel: str
    ) -> OpenedCase:
        """Store a new case and queue CaseOpened; the same reference returns the same case."""
        now = self._events.now()
        async with self._db.pool.acquire() as conn, conn.transaction():
            opened, event = await self._open(conn, agency_id, identification, channel, now)
            if event is not None:
                await add_to_outbox(conn, self._events.wrap(event, time=now))
        _log_opened(opened, agency_id, channel)
        return opened

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
        # The answer's own time, even if it has to wait for the referral to be known here.
        responded_at = self._events.now()
        await self._until_known(referral_id)
        async with self._db.pool.acquire() as conn, conn.transaction():
            # Locked: two answers to one referral at once are decided one after the other.
            referral = await db.find_referral(conn, referral_id, lock=True)
            # Someone else's referral looks exactly like a missing one: no existence leak.
            if referral is None or principal != Principal(
                PrincipalKind.PROVIDER, referral.provider_id
            ):
                raise NotFound(f"referral {referral_id} not found")
            if referral.withdrawn_at is not None:
                # Another provider has it now, or nobody: answering would make two act.
                reason = "was withdrawn from this provider; it is no longer theirs to answer"
                raise Withdrawn([FieldError(field="referral", reason=reason)])
            previous = await db.find_response(conn, referral_id, response.value)
            if previous is not None:
                return previous  # the same answer again changes nothing
            status = transition(ReferralStatus(referral.status), response)
            if status is None:
                reason = f"{response.value} is not allowed: the referral is {referral.status}"
                raise NotAllowed([FieldError(field="response", reason=reason)])
            answer = ProviderResponded(
                response_id=self._events.ids(),
                referral_id=referral_id,
                case_id=referral.case_id,
                provider_id=referral.provider_id,
                response=response,
                reason=reason,
                responded_at=responded_at,
            )
            if not await db.insert_response(conn, answer):
                previous = await db.find_response(conn, referral_id, response.value)
                return previous or answer.response_id
            await db.set_status(conn, referral_id, status.value)
            await add_to_outbox(conn, self._events.wrap(answer))
        log.info(
            "provider responded",
            case_id=str(referral.case_id),
            referral_id=str(referral_id),
            response=response.value,
        )
        return answer.response_id

    async def change_clock(
        self, principal: Principal, referral_id: UUID, action: ClockAction, reason: str
    ) -> UUID:
        """Record a coordinator's pause or resume and queue it for the router; 409 if not now."""
        at = self._events.now()
        await self._until_known(referral_id)  # as for answers: intake may hear of it later
        async with self._db.pool.acquire() as conn, conn.transaction():
            referral = await db.find_referral(conn, referral_id, lock=True)
            if referral is None:
                raise NotFound(f"referral {referral_id} not found")
            refusal = _clock_refusal(referral, action)
            if refusal is not None:
                raise NotAllowed([FieldError(field="referral", reason=refusal)])
            request = ClockChangeRequested(
                request_id=self._events.ids(),
                referral_id=referral_id,
                case_id=referral.case_id,
                action=action,
                coordinator_id=principal.id,
                reason=reason,
                at=at,
            )
            await db.insert_clock_change(conn, request)
            await add_to_outbox(conn, self._events.wrap(request))
        log.info(
            "referral clock change requested",
            case_id=str(referral.case_id),
            referral_id=str(referral_id),
            action=action.value,
            coordinator_id=principal.id,
        )
        return request.request_id

    async def read_referral(self, principal: Principal, referral_id: UUID) -> ReferralRead:
        """The addressed provider's view of a referral; every read, refused or not, audited."""
        at = self._events.now()
        await self._until_known(referral_id)  # a provider may read as its webhook arrives
        shown = None
        fields: tuple[str, ...] = ()  # what was shown; none when refused
        async with self._db.pool.acquire() as conn, conn.transaction():
            row = await db.referral_with_case(conn, referral_id)
            # Someone else's, withdrawn, or missing: one answer, so nothing leaks.
            if (
                row is not None
                and principal == Principal(PrincipalKind.PROVIDER, row["provider_id"])
                and row["withdrawn_at"] is None
            ):
                service = ServiceType(row["service"])
                document = _document(row["identification"])
                fields = shown_fields(document, service)
                if any(f.startswith("personal.") for f in fields):
                    document["personal"] = self._unseal(row)
                shown = ReferralRead(
                    referral_id=referral_id,
                    case_id=row["case_id"],
                    service=service.value,
                    status=row["status"],
                    requested_at=row["requested_at"],
                    paused_since=row["paused_at"],
                    shared=pick(document, fields),
                )
            await db.audit_read(
                conn,
                at=at,
                reader=(principal.kind.value, principal.id),
                resource="referral",
                resource_id=referral_id,
                fields=list(fields),
                shown=shown is not None,
            )
        if shown is None:
            raise NotFound(f"referral {referral_id} not found")
        return shown

    async def read_case(self, principal: Principal, case_id: UUID) -> CaseRead:
        """The reporting agency's view of its case; every read, refused or not, audited."""
        at = self._events.now()
        shown = None
        async with self._db.pool.acquire() as conn, conn.transaction():
            found = await db.case_with_referrals(conn, case_id)
            # Every agency that reported the child reads it; a coordinator reads any case.
            if found is not None and (
                principal.kind is PrincipalKind.COORDINATOR
                or (
                    principal.kind is PrincipalKind.AGENCY and principal.id in found[0]["reporters"]
                )
            ):
                case, referrals = found
                shown = CaseRead(
                    case_id=case_id,
                    agency_reference=case["agency_reference"],
                    identified_at=case["identified_at"],
                    received_at=case["received_at"],
                    reported_by=list(case["reporters"]),
                    possible_duplicates=list(case["possible_duplicates"]),
                    referrals=[_referral_line(r) for r in referrals],
                )
            await db.audit_read(
                conn,
                at=at,
                reader=(principal.kind.value, principal.id),
                resource="case",
                resource_id=case_id,
                fields=["case", "referrals"] if shown else [],
                shown=shown is not None,
            )
        if shown is None:
            raise NotFound(f"case {case_id} not found")
        return shown

    async def read_audit(
        self,
        *,
        resource: UUID | None,
        reader: str | None,
        since: datetime | None,
        limit: int,
    ) -> list[dict[str, Any]]:
        """The read audit, newest first (for operations: who read what, when, which fields)."""
        async with self._db.pool.acquire() as conn:
            rows = await db.read_audit(
                conn, resource=resource, reader=reader, since=since, limit=limit
            )
        return [dict(row) for row in rows]

    async def _until_known(self, referral_id: UUID) -> None:
        """Wait, briefly, for a referral intake has not heard of yet.

        The notifier and intake read the same ReferralRequested; a provider (or a
        coordinator) that acts the moment its webhook arrives can be quicker than intake.
        Waiting a little, at most `answer_wait`, lets that answer through; an id that stays
        unknown still gets the same 404 as one addressed to someone else, only later.
        """
        deadline = asyncio.get_running_loop().time() + self._answer_wait
        while True:
            async with self._db.pool.acquire() as conn:
                if await db.find_referral(conn, referral_id) is not None:
                    return
            if asyncio.get_running_loop().time() >= deadline:
                return
            await asyncio.sleep(0.05)

    async def on_referrals_requested(self, work: Work, envelopes: list[Envelope[Any]]) -> None:
        """Remember which provider each referral is addressed to (for object-level checks)."""
        await db.insert_referral_access(work.conn, [e.data for e in envelopes])

    async def on_referrals_withdrawn(self, work: Work, envelopes: list[Envelope[Any]]) -> None:
        """Remember referrals taken back from their providers: their answers get 409 now."""
        await db.mark_withdrawn(work.conn, [(e.data.referral_id, e.data.at) for e in envelopes])

    async def on_reported(self, work: Work, envelope: Envelope[Any]) -> None:
        """The Kafka door: the same checks as HTTP; a refusal is raised, then announced."""
        reported: IdentificationReported = envelope.data
        agency_id = reported.agency_id
        if not self.keys.is_agency(agency_id):
            raise Refused([FieldError(field="data.agency_id", reason="unknown agency")])
        if reported.agency_reference != reported.identification.agency_reference:
            reason = "differs from data.identification.agency_reference"
            raise Refused([FieldError(field="data.agency_reference", reason=reason)])
        try:
            opened, event = await self._open(
                work.conn, agency_id, reported.identification, "kafka", work.now
            )
        except RecordRefused as exc:
            # At the door the identification sits under `data.identification`.
            raise Refused(
                [FieldError(field=f"data.identification.{e.field}", reason=e.reason)
                 for e in exc.errors]
            ) from None  # fmt: skip
        if event is not None:
            work.emit(event)
        work.after_commit(lambda: _log_opened(opened, agency_id, "kafka"))

    async def _open(
        self,
        conn: asyncpg.Connection,
        agency_id: str,
        identification: IdentificationFacts,
        channel: str,
        now: datetime,
    ) -> tuple[OpenedCase, CaseOpened | None]:
        """Store the case if new, inside the caller's transaction; its CaseOpened if it opened.

        A child already known by a document number joins that case: stored, linked, and
        no CaseOpened, so no second set of referrals. A name and date of birth seen in
        another case only flags the two for a coordinator.
        """
        errors = check_identification_time(
            identification, now=now, skew=self._skew, oldest=self._oldest
        )
        if errors:
            raise Refused(errors)
        personal: PersonalDetails | None = getattr(identification, "personal", None)
        documents = self._linker.documents(personal)
        likeness = self._linker.likeness(personal)
        await db.lock_hashes(conn, [*documents, *([likeness] if likeness else [])])
        case_id = self._events.ids()
        linked_to = await db.find_documented_case(conn, documents)
        body_hash = fingerprint(identification, self._fingerprint_key)
        case = db.NewCase(
            case_id,
            agency_id,
            identification,
            channel,
            now,
            body_hash,
            personal=self._seal(personal, case_id),
            linked_to=linked_to,
        )
        if await db.insert_case(conn, case):
            root = linked_to or case_id
            await db.insert_documents(conn, root, documents)
            if likeness is not None:
                alike = await db.flag_likeness(conn, case_id, root, likeness, now)
                if alike:
                    log.info(
                        "possible duplicate flagged",
                        case_id=str(root),
                        alike=[str(a) for a in alike],
                    )
            if linked_to is not None:
                return OpenedCase(linked_to, created=True, linked=True), None
            return OpenedCase(case_id, created=True), CaseOpened(
                case_id=case_id,
                agency_id=agency_id,
                identified_at=identification.identified_at,
                opened_at=now,
                child=identification.child,
                situation=identification.situation,
            )
        existing = await db.find_case(conn, agency_id, identification.agency_reference)
        if existing is None:  # pragma: no cover - the conflicting row cannot vanish
            raise RuntimeError("case reference conflict without a case")
        if not hmac.compare_digest(existing.body_sha256, body_hash):
            reason = "already names another identification"
            raise Conflict([FieldError(field="agency_reference", reason=reason)])
        opened = OpenedCase(existing.root, created=False, linked=existing.linked_to is not None)
        return opened, None

    def _seal(self, personal: PersonalDetails | None, case_id: UUID) -> Sealed | None:
        if personal is None:
            return None
        return self.data_keys.seal(personal.model_dump_json().encode(), bound_to=case_id.bytes)

    def _unseal(self, row: Any) -> dict[str, Any]:
        """A case row's personal details, opened; empty when it has none."""
        if row["personal"] is None:
            return {}
        sealed = Sealed(row["personal_key_id"], row["personal"])
        opened: dict[str, Any] = json.loads(
            self.data_keys.open(sealed, bound_to=row["case_id"].bytes)
        )
        return opened


def _log_opened(opened: OpenedCase, agency_id: str, channel: str) -> None:
    if opened.linked and opened.created:
        log.info("identification linked to a known case", case_id=str(opened.case_id),
                 agency_id=agency_id, channel=channel)  # fmt: skip
    elif opened.created:
        log.info("case opened", case_id=str(opened.case_id), agency_id=agency_id, channel=channel)


def _document(stored: Any) -> dict[str, Any]:
    """A jsonb column as asyncpg returns it (text), as a dict."""
    loaded = json.loads(stored) if isinstance(stored, str) else stored
    return loaded if isinstance(loaded, dict) else {}


def _referral_line(row: Any) -> dict[str, Any]:
    return {
        "referral_id": row["referral_id"],
        "service": row["service"],
        "provider_id": row["provider_id"],
        "status": "withdrawn" if row["withdrawn_at"] is not None else row["status"],
        "requested_at": row["requested_at"],
        "paused_since": row["paused_at"],
    }


def _clock_refusal(referral: db.ReferralAccess, action: ClockAction) -> str | None:
    """Why the referral's clock cannot be paused or resumed now, or None when it can."""
    if referral.withdrawn_at is not None:
        return "was withdrawn from its provider; its clock has stopped"
    if referral.status != ReferralStatus.REQUESTED.value:
        return f"is {referral.status}: only a referral awaiting acceptance has a clock"
    if action is ClockAction.PAUSE and referral.paused_at is not None:
        return f"its clock is already paused, since {referral.paused_at.isoformat()}"
    if action is ClockAction.RESUME and referral.paused_at is None:
        return "its clock is not paused"
    return None


def announce_rejection(letter: DeadLetter, events: Events) -> Envelope[Any]:
    """The agency door's dead letter: `IdentificationRejected`, keyed by the agency."""
    errors = letter.failure.errors or (FieldError(field="value", reason=letter.failure.reason),)
    record = letter.record
    rejection = IdentificationRejected(
        agency_id=letter.agency_id or "unknown",
        errors=tuple(errors),
        original_topic=record.topic,
        original_partition=record.partition,
        original_offset=record.offset,
        rejected_at=letter.at,
        **original_identity(letter),
    )
    return events.wrap(rejection, event_id=letter.event_id, time=letter.at)
