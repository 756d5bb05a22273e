"""Any CloudEvents SDK can report at the agency door: only what CloudEvents requires is required."""

from __future__ import annotations

import pytest
from cloudevents.core.bindings.kafka import to_binary
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from lindung_common import Record
from lindung_contracts import AGENCY_IDENTIFICATIONS, CaseOpened, IdentificationReported
from lindung_intake.use_cases import DOOR

pytestmark = pytest.mark.integration

REQUIRED = {"ce_specversion", "ce_id", "ce_source", "ce_type"}


def _stock_message(body: dict, event_id: str) -> tuple[dict[str, bytes], bytes]:
    """What the CloudEvents SDK makes, in binary mode, of an identification report."""
    event = CloudEvent(
        {"type": IdentificationReported.event_type, "source": "/agencies/pdrm-kl", "id": event_id},
        {
            "agency_id": "pdrm-kl",
            "agency_reference": body["agency_reference"],
            "identification": body,
        },
    )
    message = to_binary(event, JSONFormat())
    return message.headers, message.value


async def _deliver(wired, headers: dict[str, bytes], value: bytes, offset: int) -> None:
    record = Record(
        topic=AGENCY_IDENTIFICATIONS.for_agency("pdrm-kl").name,
        partition=0,
        offset=offset,
        key=b"pdrm-kl",
        value=value,
        headers=tuple(headers.items()),
    )
    await wired.runtime.deliver_records(record, consumer=DOOR)


async def _opened(outbox) -> list[CaseOpened]:
    return [r["event"].data for r in await outbox() if isinstance(r["event"].data, CaseOpened)]


async def test_the_sdk_s_binary_message_opens_a_case(wired, identification, outbox):
    body = identification(agency_reference="CE-SDK-1")
    headers, value = _stock_message(body, "pdrm-kl-report-0001")  # an id that is no UUID
    # The SDK sends the required attributes and a time; no subject, dataschema, partitionkey.
    assert set(headers) == REQUIRED | {"ce_time"}

    await _deliver(wired, headers, value, offset=10)

    (opened,) = await _opened(outbox)
    assert opened.agency_id == "pdrm-kl"


async def test_only_the_four_required_attributes_open_a_case(wired, identification, outbox):
    body = identification(agency_reference="CE-SDK-2")
    headers, value = _stock_message(body, "pdrm-kl-report-0002")
    del headers["ce_time"]  # a producer may leave out every optional attribute
    assert set(headers) == REQUIRED

    await _deliver(wired, headers, value, offset=11)

    (opened,) = await _opened(outbox)
    assert opened.agency_id == "pdrm-kl"
