"""The one place that wires the notifier together: endpoints, handler, dispatcher, service."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from lindung_common import Consumer, Service, Units, foundations
from lindung_contracts import DEADLINES, REFERRALS

from .adapters.endpoints_file import EndpointsFileError, load_endpoints
from .adapters.http import WebhookClient
from .adapters.rota_file import RotaFileError, load_rotas
from .adapters.smtp import SmtpClient
from .channels import SmsGateway
from .dispatcher import Dispatcher
from .domain import HolidayCalendar, RetryPolicy
from .handlers import CONSUMER, HANDLED_TYPES, handler
from .on_call import OnCall

if TYPE_CHECKING:
    import random

    from lindung_common import Clock, IdFactory

    from .adapters.http import WebhookSender
    from .adapters.smtp import EmailSender
    from .domain import Endpoints
    from .settings import NotifierSettings

__all__ = ["MIGRATIONS", "SERVICE", "build"]

SERVICE = "notifier"
MIGRATIONS = Path(__file__).parent / "migrations"
log = structlog.get_logger(__name__)


def build(
    settings: NotifierSettings,
    *,
    schema: str | None = None,
    clock: Clock | None = None,
    ids: IdFactory | None = None,
    sender: WebhookSender | None = None,
    rng: random.Random | None = None,
    mail: EmailSender | None = None,
) -> Service:
    """The notifier as a service; raises `EndpointsFileError` (`RotaFileError`) when bad."""
    endpoints = load_endpoints(settings.endpoints_file)
    on_call = None
    if settings.rotas_file is not None:
        on_call, endpoints = _on_call(settings, endpoints)
    missing = endpoints.missing_roles()
    if missing:
        # The escalation ladder reaches every role: an alert to one without a webhook
        # would be found missing only when a child's referral is already late.
        raise EndpointsFileError(
            f"endpoints file {settings.endpoints_file}: no webhook for role "
            + ", ".join(missing)
            + " (the escalation ladder reaches every role)"
        )
    mailing = endpoints.with_email()
    if mailing and settings.smtp_host is None:
        raise EndpointsFileError(
            f"endpoints file {settings.endpoints_file}: {', '.join(mailing)} "
            "must get email, but NOTIFIER_SMTP_HOST is not set"
        )
    texting = endpoints.with_sms()
    if texting and settings.sms_gateway_url is None:
        raise EndpointsFileError(
            f"endpoints file {settings.endpoints_file}: {', '.join(texting)} "
            "must get SMS, but NOTIFIER_SMS_GATEWAY_URL is not set"
        )
    db, events = foundations(SERVICE, settings, MIGRATIONS, schema=schema, clock=clock, ids=ids)
    dispatcher = Dispatcher(
        units=Units(db, events, max_event_bytes=settings.outbox_max_event_bytes),
        endpoints=endpoints,
        sender=sender
        or WebhookClient(
            timeout_seconds=settings.request_timeout_seconds,
            connect_timeout_seconds=settings.connect_timeout_seconds,
        ),
        policy=RetryPolicy(
            max_attempts=settings.max_attempts,
            base_seconds=settings.backoff_base_seconds,
            cap_seconds=settings.backoff_cap_seconds,
        ),
        batch_size=settings.dispatcher_batch_size,
        per_recipient=settings.max_in_flight_per_recipient,
        idle_seconds=settings.dispatcher_idle_seconds,
        lease_seconds=settings.lease_seconds,
        backoff_cap_seconds=settings.retry_backoff_cap_seconds,
        stuck_after_seconds=settings.health_stuck_after_seconds,
        rng=rng,
        sms=SmsGateway(
            url=str(settings.sms_gateway_url),
            token=settings.sms_gateway_token.get_secret_value()
            if settings.sms_gateway_token
            else None,
        )
        if settings.sms_gateway_url is not None
        else None,
        mail=mail or _smtp(settings),
        desk_url=settings.desk_url,
        on_call=on_call,
    )
    consumer = Consumer(
        name=CONSUMER,
        topics=(REFERRALS, DEADLINES),
        run_handlers=dict.fromkeys(HANDLED_TYPES, handler(dispatcher.wake, endpoints, on_call)),
    )
    return Service(
        name=SERVICE,
        settings=settings,
        db=db,
        events=events,
        consumers=[consumer],
        tasks=[dispatcher],
        checks=[dispatcher.check],
    )


def _on_call(settings: NotifierSettings, endpoints: Endpoints) -> tuple[OnCall, Endpoints]:
    """The rotas, and the endpoints that reach their people too; a bad rota file stops here."""
    assert settings.rotas_file is not None
    rotas = load_rotas(settings.rotas_file)
    for channel, needed, setting in (
        ("email", settings.smtp_host, "NOTIFIER_SMTP_HOST"),
        ("sms", settings.sms_gateway_url, "NOTIFIER_SMS_GATEWAY_URL"),
    ):
        people = [p for p, person in rotas.people.items() if getattr(person, channel) is not None]
        if people and needed is None:
            raise RotaFileError(
                f"rota file {settings.rotas_file}: people.{', people.'.join(people)} must get "
                f"{channel}, but {setting} is not set"
            )
    endpoints = endpoints.with_people(rotas.people)
    return OnCall(rotas, HolidayCalendar(), endpoints), endpoints


def _smtp(settings: NotifierSettings) -> SmtpClient | None:
    if settings.smtp_host is None:
        return None
    return SmtpClient(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.email_from,
        starttls=settings.smtp_starttls,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        ca_file=settings.smtp_ca_file,
        timeout_seconds=settings.request_timeout_seconds,
    )
