"""Custom verification email templates through boto3 against a real gureum (out of the sandbox,
as sending them needs): made, read, changed, listed and deleted through v1 and seen by v2 (one
store); AWS's errors (an unverified From address, a duplicate, a missing template); a send
mails the template's content from its From address with the link at the end, the address
pending until the link is opened, which redirects to the success URL (a stale link: the
failure URL). In the sandbox (the shared gureum) the send is refused as AWS refuses it."""

from __future__ import annotations

import http.client
import json
import re
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from botocore.exceptions import ClientError
from harness import SUITE_RUNTIME_DATE, GureumProcess, free_port

from ses.ses_helpers import Inbox, SesGureum
from ses.test_identities import verify_address


@pytest.fixture(scope="module")
def ses(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SesGureum]:
    """A private gureum out of the sandbox (production access), relaying to a local inbox."""
    inbox = Inbox()
    relay = Controller(inbox, hostname="127.0.0.1", port=free_port())
    relay.start()
    data: Path = tmp_path_factory.mktemp("sescv") / "data"
    g = GureumProcess(data, env=SUITE_RUNTIME_DATE, extra_args=[
        "--set", f"ses.relay=127.0.0.1:{relay.port}", "--set", "ses.smtp_port=0", "--set", "ses.sandbox=false"])
    g.start()
    try:
        yield SesGureum(g, inbox, 0)
    finally:
        g.stop()
        relay.stop()


def _code(call: Any) -> str:
    with pytest.raises(ClientError) as e:
        call()
    return str(e.value.response["Error"]["Code"])


def _template(name: str, sender: str, subject: str = "Confirm your address") -> dict[str, str]:
    return {"TemplateName": name, "FromEmailAddress": sender, "TemplateSubject": subject,
            "TemplateContent": "<html><body><h1>Welcome</h1><p>Please confirm.</p></body></html>",
            "SuccessRedirectionURL": "https://example.com/ok", "FailureRedirectionURL": "https://example.com/bad"}


def _get(url: str) -> tuple[int, str]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=10)
    conn.request("GET", f"{parts.path}?{parts.query}")
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp.status, resp.getheader("location") or ""


def test_templates_through_both_apis(ses: SesGureum) -> None:
    v1, v2 = ses.client("ses"), ses.client("sesv2")
    sender = f"team-{uuid.uuid4().hex[:6]}@example.org"
    name = f"welcome-{uuid.uuid4().hex[:6]}"
    assert _code(lambda: v1.create_custom_verification_email_template(**_template(name, sender))) == \
        "FromEmailAddressNotVerified"
    assert _code(lambda: v2.create_custom_verification_email_template(**_template(name, sender))) == "BadRequestException"
    verify_address(ses, sender)

    v1.create_custom_verification_email_template(**_template(name, sender))
    assert _code(lambda: v1.create_custom_verification_email_template(**_template(name, sender))) == \
        "CustomVerificationEmailTemplateAlreadyExists"
    assert _code(lambda: v2.create_custom_verification_email_template(**_template(name, sender))) == "AlreadyExistsException"
    got = v2.get_custom_verification_email_template(TemplateName=name)
    assert (got["FromEmailAddress"], got["TemplateSubject"], got["Tags"]) == (sender, "Confirm your address", [])

    v2.update_custom_verification_email_template(**_template(name, sender, "Hello again"))
    assert v1.get_custom_verification_email_template(TemplateName=name)["TemplateSubject"] == "Hello again"
    listed = v1.list_custom_verification_email_templates()["CustomVerificationEmailTemplates"]
    assert [(t["TemplateName"], t["TemplateSubject"]) for t in listed if t["TemplateName"] == name] == [(name, "Hello again")]
    assert "TemplateContent" not in listed[0]

    v1.delete_custom_verification_email_template(TemplateName=name)
    v1.delete_custom_verification_email_template(TemplateName=name)  # v1: a missing template's deletion succeeds
    assert _code(lambda: v2.delete_custom_verification_email_template(TemplateName=name)) == "NotFoundException"
    assert _code(lambda: v1.get_custom_verification_email_template(TemplateName=name)) == \
        "CustomVerificationEmailTemplateDoesNotExist"
    assert _code(lambda: v1.send_custom_verification_email(EmailAddress="x@example.org", TemplateName=name)) == \
        "CustomVerificationEmailTemplateDoesNotExist"


def test_send_mails_the_template_and_its_link_redirects(ses: SesGureum) -> None:
    v1, v2 = ses.client("ses"), ses.client("sesv2")
    sender = f"hello-{uuid.uuid4().hex[:6]}@example.org"
    verify_address(ses, sender)
    name = f"onboard-{uuid.uuid4().hex[:6]}"
    v2.create_custom_verification_email_template(**_template(name, sender))
    customer = f"new-{uuid.uuid4().hex[:6]}@example.net"

    message_id = v2.send_custom_verification_email(EmailAddress=customer, TemplateName=name)["MessageId"]
    mail = [m for m in ses.sent(customer) if m["id"] == message_id][0]
    assert (mail["source"], mail["subject"]) == (sender, "Confirm your address")
    assert mail["body"]["html"].startswith("<html><body><h1>Welcome</h1><p>Please confirm.</p><p><a href=")
    status = v1.get_identity_verification_attributes(Identities=[customer])["VerificationAttributes"][customer]
    assert status["VerificationStatus"] == "Pending"

    link = re.search(r'href="([^"]+)"', mail["body"]["html"])
    assert link is not None
    url = link.group(1).replace("&amp;", "&")
    assert _get(url) == (302, "https://example.com/ok")
    status = v1.get_identity_verification_attributes(Identities=[customer])["VerificationAttributes"][customer]
    assert status["VerificationStatus"] == "Success"

    # a link whose code is not the pending one: the failure URL
    other = f"late-{uuid.uuid4().hex[:6]}@example.net"
    v1.send_custom_verification_email(EmailAddress=other, TemplateName=name)
    first = re.search(r'href="([^"]+)"', [m for m in ses.sent(other)][-1]["body"]["html"])
    assert first is not None
    v1.send_custom_verification_email(EmailAddress=other, TemplateName=name)  # a new code replaces the first
    assert _get(first.group(1).replace("&amp;", "&")) == (302, "https://example.com/bad")


def test_sandbox_refuses_the_send(gureum: Any) -> None:
    v1, v2 = gureum.client("ses"), gureum.client("sesv2")
    sender = f"sb-{uuid.uuid4().hex[:6]}@example.org"
    v1.verify_email_identity(EmailAddress=sender)
    mails = [m for m in _sent(gureum, sender) if m["source"] == "no-reply-aws@amazon.com"]
    found = re.search(r"http://\S+/_gureum/ses/verify\?\S+", mails[-1]["body"]["text"])
    assert found is not None
    assert _get(found.group(0))[0] == 200
    name = f"sandboxed-{uuid.uuid4().hex[:6]}"
    v1.create_custom_verification_email_template(**_template(name, sender))
    try:
        assert _code(lambda: v1.send_custom_verification_email(EmailAddress="a@example.net", TemplateName=name)) == \
            "ProductionAccessNotGranted"
        assert _code(lambda: v2.send_custom_verification_email(EmailAddress="a@example.net", TemplateName=name)) == \
            "BadRequestException"
    finally:
        v1.delete_custom_verification_email_template(TemplateName=name)


def _sent(gureum: Any, address: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{gureum.endpoint}/_gureum/ses?email={address}", timeout=10) as resp:
        return list(json.load(resp)["messages"])
