from __future__ import annotations

import json
from pathlib import Path

import lindung_notifier
import pytest
from lindung_common import ConfigError
from lindung_notifier.adapters.endpoints_file import (
    EndpointsFileError,
    load_endpoints,
    parse_endpoints,
)
from lindung_notifier.domain import Recipient, RecipientKind

SECRET = "whsec_c2hlbHRlci1rbC0xLXNpZ25pbmctc2VjcmV0LTAx"
GOOD = {
    "providers": {
        "shelter-kl-1": {
            "webhook_url": "https://shelter.example/hooks/lindung",
            "secrets": [SECRET],
        },
        "legal-aid-kl": {"webhook_url": "http://127.0.0.1:9000/legal"},
    },
    "roles": {
        "case_coordinator": {"webhook_url": "https://jkm.example/coordinator"},
        "supervisor": {"webhook_url": "https://jkm.example/supervisor"},
    },
}


def test_a_good_file_gives_each_recipient_its_endpoint():
    endpoints = parse_endpoints(json.dumps(GOOD), source="endpoints.json")

    shelter = endpoints.for_recipient(Recipient(RecipientKind.PROVIDER, "shelter-kl-1"))
    legal = endpoints.for_recipient(Recipient(RecipientKind.PROVIDER, "legal-aid-kl"))
    coordinator = endpoints.for_recipient(Recipient(RecipientKind.ROLE, "case_coordinator"))
    assert shelter is not None
    assert str(shelter.webhook_url) == "https://shelter.example/hooks/lindung"
    assert shelter.secret_values() == (SECRET,)
    assert legal is not None
    assert legal.secret_values() == ()
    assert coordinator is not None
    assert str(coordinator.webhook_url) == "https://jkm.example/coordinator"


def test_unconfigured_recipients_have_no_endpoint():
    endpoints = parse_endpoints(json.dumps(GOOD), source="endpoints.json")

    assert endpoints.for_recipient(Recipient(RecipientKind.PROVIDER, "clinic-x")) is None
    assert endpoints.for_recipient(Recipient(RecipientKind.ROLE, "secretariat")) is None
    assert endpoints.missing_roles() == ["secretariat"]


def test_an_empty_object_is_valid_and_configures_no_one():
    endpoints = parse_endpoints("{}", source="endpoints.json")

    assert endpoints.providers == {}
    assert endpoints.missing_roles() == ["case_coordinator", "supervisor", "secretariat"]


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ("not json", "(file)"),
        ('{"providers": []}', "providers"),
        ('{"providers": {"shelter-kl-1": {}}}', "give a webhook_url, an sms or an email"),
        (
            '{"providers": {"shelter-kl-1": {"webhook_url": "ftp://x.example/"}}}',
            "providers.shelter-kl-1.webhook_url",
        ),
        (
            '{"providers": {"shelter-kl-1": {"webhook_url": "http://x.example/", "secrt": "x"}}}',
            "providers.shelter-kl-1.secrt",
        ),
        ('{"providers": {"Shelter KL": {"webhook_url": "http://x.example/"}}}', "Shelter KL"),
        ('{"roles": {"supervisors": {"webhook_url": "http://x.example/"}}}', "roles.supervisors"),
        ('{"roles": {"provider": {"webhook_url": "http://x.example/"}}}', "roles.provider"),
        ('{"providerz": {}}', "providerz"),
    ],
    ids=[
        "not json",
        "providers not an object",
        "neither webhook nor sms",
        "not an http url",
        "misspelt key",
        "bad provider id",
        "unknown role",
        "provider is not a role",
        "unknown section",
    ],
)
def test_a_bad_file_is_refused_saying_where(document, where):
    with pytest.raises(EndpointsFileError) as refused:
        parse_endpoints(document, source="/etc/lindung/endpoints.json")

    message = str(refused.value)
    assert message.startswith("endpoints file /etc/lindung/endpoints.json: ")
    assert where in message


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        ("pw123-not-a-whsec-secret", "whsec_<base64>"),
        ("whsec_c2hvcnQ=", "at least 24 bytes"),
        ("whsec_not base64!", "must be base64"),
    ],
)
def test_a_bad_secret_is_refused_with_the_reason_without_echoing_it(secret, reason):
    document = {
        "providers": {"shelter-kl-1": {"webhook_url": "http://x.example/", "secrets": [secret]}}
    }

    with pytest.raises(EndpointsFileError) as refused:
        parse_endpoints(json.dumps(document), source="endpoints.json")

    assert "providers.shelter-kl-1.secrets" in str(refused.value)
    assert reason in str(refused.value)
    assert secret not in str(refused.value)


def test_the_example_file_shipped_with_the_service_is_valid():
    example = Path(lindung_notifier.__file__).parents[2] / "endpoints.example.json"

    endpoints = parse_endpoints(example.read_text(), source=str(example))

    assert endpoints.missing_roles() == []
    assert "shelter-kl-1" in endpoints.providers


def test_a_bad_file_is_a_configuration_error_that_stops_start_up(tmp_path):
    bad = tmp_path / "endpoints.json"
    bad.write_bytes(b"\xff not text")

    with pytest.raises(ConfigError) as refused:
        load_endpoints(bad)

    assert str(refused.value) == f"endpoints file {bad}: cannot read: not UTF-8"


def test_a_missing_file_is_refused_naming_it(tmp_path):
    missing = tmp_path / "nowhere.json"

    with pytest.raises(ConfigError) as refused:
        load_endpoints(missing)

    assert str(refused.value) == f"endpoints file {missing}: cannot read: No such file or directory"


def test_a_recipient_may_be_reached_by_webhook_and_sms_and_a_bad_number_is_refused():
    document = {
        "providers": {
            "shelter-kl-1": {
                "webhook_url": "https://shelter.example/hooks",
                "sms": {"to": "+60123456789", "language": "en"},
            },
            "legal-aid-kl": {"sms": {"to": "+60198765432"}},
        }
    }

    endpoints = parse_endpoints(json.dumps(document), source="endpoints.json")

    shelter = endpoints.for_recipient(Recipient(RecipientKind.PROVIDER, "shelter-kl-1"))
    legal = endpoints.for_recipient(Recipient(RecipientKind.PROVIDER, "legal-aid-kl"))
    assert shelter is not None
    assert legal is not None
    assert [c.value for c in shelter.channels()] == ["webhook", "sms"]
    assert [c.value for c in legal.channels()] == ["sms"]
    assert legal.sms is not None
    assert legal.sms.language.value == "ms"  # Malay unless said otherwise
    assert endpoints.with_sms() == ["provider shelter-kl-1", "provider legal-aid-kl"]
    document["providers"]["legal-aid-kl"]["sms"]["to"] = "0198765432"  # not E.164
    with pytest.raises(EndpointsFileError, match=r"providers\.legal-aid-kl\.sms\.to"):
        parse_endpoints(json.dumps(document), source="endpoints.json")
