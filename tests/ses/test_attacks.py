"""Hostile input gets AWS-shaped 4xx answers, never a 500 or a hang: header injection through
the subject or the display name, templates whose rendering explodes, deeply nested template
data, garbage raw messages."""

from __future__ import annotations

import json
import uuid

import pytest

from ses.ses_helpers import SesGureum
from ses.test_identities import verify_address


@pytest.fixture(scope="module")
def pair(ses: SesGureum) -> tuple[str, str]:
    sender, rcpt = f"a-{uuid.uuid4().hex[:6]}@example.org", f"b-{uuid.uuid4().hex[:6]}@example.org"
    verify_address(ses, sender)
    verify_address(ses, rcpt)
    return sender, rcpt


def test_line_breaks_in_headers_are_refused_not_injected(ses: SesGureum, pair: tuple[str, str]) -> None:
    client = ses.client("ses")
    sender, rcpt = pair
    with pytest.raises(client.exceptions.ClientError) as err:
        client.send_email(Source=sender, Destination={"ToAddresses": [rcpt]},
                          Message={"Subject": {"Data": "hi\r\nBcc: victim@example.com"}, "Body": {"Text": {"Data": "b"}}})
    assert err.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert not ses.sent("victim@example.com")


def test_exploding_templates_fail_rendering_not_the_server(ses: SesGureum, pair: tuple[str, str]) -> None:
    client = ses.client("ses")
    sender, rcpt = pair
    name = f"boom-{uuid.uuid4().hex[:6]}"
    client.create_template(Template={"TemplateName": name, "SubjectPart": "s",
                                     "TextPart": "{{#each a}}{{#each a}}{{#each a}}x{{/each}}{{/each}}{{/each}}"})
    data = json.dumps({"a": list(range(1000))})
    with pytest.raises(client.exceptions.InvalidRenderingParameterException):
        client.test_render_template(TemplateName=name, TemplateData=data)
    mid = client.send_templated_email(Source=sender, Destination={"ToAddresses": [rcpt]}, Template=name,
                                      TemplateData=data)["MessageId"]
    kept = [m for m in ses.sent(rcpt) if m["id"] == mid][0]
    assert kept["status"] == "RenderingFailure" and kept["relay"] == "none"
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(client.exceptions.ClientError) as err:
        client.send_templated_email(Source=sender, Destination={"ToAddresses": [rcpt]}, Template=name,
                                    TemplateData='{"a": ' + deep + "}")
    assert err.value.response["Error"]["Code"] == "InvalidParameterValue"
    nested = "{{#if a}}" * 60 + "{{/if}}" * 60
    with pytest.raises(client.exceptions.InvalidTemplateException):
        client.create_template(Template={"TemplateName": f"deep-{uuid.uuid4().hex[:6]}", "SubjectPart": nested})


def test_garbage_raw_messages_are_4xx(ses: SesGureum, pair: tuple[str, str]) -> None:
    client = ses.client("ses")
    sender, _ = pair
    for data in (b"\x00\xff\xfe" * 100, b"From: " + sender.encode() + b"\r\n\r\n", b""):
        with pytest.raises(client.exceptions.ClientError) as err:
            client.send_raw_email(RawMessage={"Data": data} if data else {"Data": b" "})
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400, data[:20]


def test_page_sizes_out_of_range_are_4xx(ses: SesGureum) -> None:
    v1, v2 = ses.client("ses"), ses.client("sesv2")
    for call in (lambda: v2.list_email_templates(PageSize=-9223372036854775808), lambda: v2.list_email_identities(PageSize=0),
                 lambda: v2.list_configuration_sets(PageSize=10**6)):
        with pytest.raises(v2.exceptions.BadRequestException):
            call()
    for call in (lambda: v1.list_identities(MaxItems=-1), lambda: v1.list_templates(MaxItems=1000)):
        with pytest.raises(v1.exceptions.ClientError) as err:
            call()
        assert err.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert v2.list_email_identities(PageSize=1)["EmailIdentities"] is not None


def test_a_configuration_set_with_a_fresh_start_date_is_kept(ses: SesGureum) -> None:
    from datetime import UTC, datetime

    v2 = ses.client("sesv2")
    name = f"fresh-{uuid.uuid4().hex[:6]}"
    start = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    v2.create_configuration_set(ConfigurationSetName=name, ReputationOptions={"ReputationMetricsEnabled": True,
                                                                              "LastFreshStart": start})
    got = v2.get_configuration_set(ConfigurationSetName=name)["ReputationOptions"]
    assert got["LastFreshStart"] == start and got["ReputationMetricsEnabled"] is True
