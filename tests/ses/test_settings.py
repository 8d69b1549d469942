"""SES's settings on a gureum of their own: out of the sandbox (ses.sandbox=false) any
recipient is allowed but the sender must still be verified; the 24-hour quota
(ses.max_24_hour_send) refused with AWS's Throttling; an SMTP port that cannot be bound
falls back, said in the banner, and the fallback port receives mail."""

from __future__ import annotations

import json
import smtplib
import socket
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
from harness import SUITE_RUNTIME_DATE, GureumProcess
from waiting import wait_for

from ses.ses_helpers import SesGureum
from ses.test_identities import verify_address


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SesGureum, GureumProcess]]:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    g = GureumProcess(tmp_path_factory.mktemp("ses-prod") / "data", env=SUITE_RUNTIME_DATE, extra_args=[
        "--set", "ses.sandbox=false", "--set", "ses.max_24_hour_send=3",
        "--set", f"ses.smtp_port={busy.getsockname()[1]}"])
    g.start()
    try:
        from ses.ses_helpers import Inbox

        yield SesGureum(g, Inbox(), busy.getsockname()[1]), g
    finally:
        g.stop()
        busy.close()


def test_out_of_the_sandbox_any_recipient_but_the_quota_holds(production: tuple[SesGureum, GureumProcess]) -> None:
    ses, _ = production
    client = ses.client("ses")
    sender = f"prod-{uuid.uuid4().hex[:6]}@example.org"
    message = {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}
    with pytest.raises(client.exceptions.MessageRejected):
        client.send_email(Source=sender, Destination={"ToAddresses": ["anyone@example.net"]}, Message=message)
    verify_address(ses, sender)
    client.send_email(Source=sender, Destination={"ToAddresses": ["anyone@example.net", "other@example.net"]}, Message=message)
    assert ses.client("sesv2").get_account()["ProductionAccessEnabled"] is True
    assert client.get_send_quota()["SentLast24Hours"] == 2.0
    with pytest.raises(client.exceptions.ClientError) as err:
        client.send_email(Source=sender, Destination={"ToAddresses": ["a@example.net", "b@example.net"]}, Message=message)
    assert err.value.response["Error"]["Code"] == "Throttling"
    assert err.value.response["Error"]["Message"] == "Daily message quota exceeded."
    client.send_email(Source=sender, Destination={"ToAddresses": ["last@example.net"]}, Message=message)


def test_a_busy_smtp_port_falls_back_and_says_so(production: tuple[SesGureum, GureumProcess]) -> None:
    ses, g = production
    wait_for("the fallback note in the log", lambda: "SES: SMTP port" in g.log_tail(200), 20)
    note = [line for line in g.log_tail(200).splitlines() if "SES: SMTP port" in line][-1]
    with urllib.request.urlopen(g.endpoint + "/_gureum/ses", timeout=10) as resp:
        port = json.load(resp)["smtp_port"]
    assert port != ses.smtp_port and f"receiving mail on {port}" in note
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.ehlo()
        assert smtp.mail("a@example.org")[0] == 250
        assert smtp.rcpt("x@nobody.example")[0] == 550
