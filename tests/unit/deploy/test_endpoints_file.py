"""The endpoints file the demo and the end-to-end tests write: who is mailed, who gets webhooks.

Read back with the notifier's own model, which refuses a misspelt or unreachable entry.
"""

from __future__ import annotations

import json

from lindung_contracts import Channel
from lindung_devstack.mail import Mailbox
from lindung_devstack.world import write_endpoints
from lindung_notifier.domain.endpoints import Endpoints

SECRET = "whsec_" + "A" * 44  # 33 bytes of base64


def test_mailboxes_get_email_instead_of_the_webhook_or_beside_it(tmp_path):
    path = tmp_path / "endpoints.json"
    mailboxes = {
        "shelter-sel-1": Mailbox("rujukan@shelter-sel-1.example.org.my", "en"),
        "shelter-sel-2": Mailbox("admin@shelter-sel-2.example.org.my", webhook_too=True),
        "case_coordinator": Mailbox("penyelaras@jkm.example.gov.my"),
    }
    providers = ["shelter-sel-1", "shelter-sel-2", "oscc-klang"]
    write_endpoints(path, "http://127.0.0.1:9", providers, secret=SECRET, mailboxes=mailboxes)

    endpoints = Endpoints.model_validate(json.loads(path.read_text()))
    channels = {p: endpoints.providers[p].channels() for p in providers}
    assert channels == {
        "shelter-sel-1": (Channel.EMAIL,),
        "shelter-sel-2": (Channel.WEBHOOK, Channel.EMAIL),
        "oscc-klang": (Channel.WEBHOOK,),
    }
    shelter = endpoints.providers["shelter-sel-1"].email
    assert shelter is not None
    assert (shelter.address, shelter.language.value) == (
        "rujukan@shelter-sel-1.example.org.my",
        "en",
    )
    assert endpoints.providers["shelter-sel-2"].secret_values() == (SECRET,)
    assert endpoints.roles.case_coordinator is not None
    assert endpoints.roles.case_coordinator.channels() == (Channel.EMAIL,)
    assert endpoints.roles.supervisor is not None
    assert endpoints.roles.supervisor.channels() == (Channel.WEBHOOK,)
