"""The asyncio side of sending, shared by the v1 and v2 handlers and the `email` port: one
store transaction (sending.py), the usage ledger (SES bills per recipient: the price table's
"SES-Recipients"), and the relay woken. Verification mails (the link that confirms an email
identity) are composed and kept here too, and the link is logged; so is the mail AWS itself
sends an account (`send_system`: Budgets' alerts from aws-budgets@email.amazon.com), kept without
the account's identity, sandbox and quota rules and not billed to it. A send with a
configuration set queues its SEND (and RENDERING_FAILURE) events in its transaction
(messages.py); the worker publishes them (events.py)."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from gureum.aws import arn as arns
from gureum.services.ses import relay, sending
from gureum.services.ses.settings import SesSettings

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.http.server import Request

log = logging.getLogger("gureum.ses")
VERIFY_PATH = "/_gureum/ses/verify"
UNSUBSCRIBE_PATH = "/_gureum/ses/unsubscribe"
VERIFICATION_SENDER = "no-reply-aws@amazon.com"
REGION_NAMES = {"us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)", "us-west-1": "US West (N. California)",
                "us-west-2": "US West (Oregon)", "eu-west-1": "Europe (Ireland)", "eu-central-1": "Europe (Frankfurt)",
                "ap-northeast-2": "Asia Pacific (Seoul)", "ap-northeast-1": "Asia Pacific (Tokyo)"}


async def send(app: App, account: str, region: str, out: sending.Outgoing, service: str) -> str:
    """Check, keep and queue one message for `account` in `region`; its MessageId."""
    settings = app.settings(SesSettings)
    now = time.time()
    message_id = await app.store.run(lambda t: sending.send(
        t, account, region, out, sandbox=settings.sandbox, quota=settings.max_24_hour_send, now=now,
        service=service, relay=bool(settings.relay)))
    app.ledger.record(account, "requests", {
        "aws_service": "ses", "unit": "SES-Recipients", "region": region,
        "resource": arns.ses_identity(region, account, out.sender_address), "requests": len(out.recipients)})
    relay.wake(app)
    return message_id


async def send_system(app: App, account: str, region: str, out: sending.Outgoing) -> str:
    """Keep (GET /_gureum/ses) and relay a message AWS sends `account` as itself: no identity,
    sandbox or quota check, not counted in the account's sending, not metered; its MessageId."""
    settings = app.settings(SesSettings)
    now = time.time()
    message_id = await app.store.run(lambda t: sending.keep(t, account, region, out, now=now, relay=bool(settings.relay), count=False))
    relay.wake(app)
    return message_id


def verification_link(app: App, request: Request | None, account: str, region: str, address: str, code: str,
                      template: str | None = None) -> str:
    """The link that confirms `address` (`template`: the custom verification email template
    whose redirection URLs it answers with)."""
    from gureum.public import public_url

    query = {"account": account, "region": region, "identity": address, "code": code}
    if template:
        query["template"] = template
    return public_url(app, request, f"{VERIFY_PATH}?{urlencode(query)}")


def unsubscribe_link(app: App, account: str, region: str, list_name: str, topic: str | None, address: str,
                     code: str) -> str:
    """The List-Unsubscribe link of mail sent to `address` with contact list `list_name`."""
    from gureum.public import public_url

    query = {"account": account, "region": region, "list": list_name, "email": address, "code": code}
    if topic:
        query["topic"] = topic
    return public_url(app, None, f"{UNSUBSCRIBE_PATH}?{urlencode(query)}")


async def send_custom_verification(app: App, account: str, region: str, out: sending.Outgoing, link: str) -> str:
    """Keep and relay a custom verification mail (the account's own, counted in its sending);
    the link is logged as the standard one is. Its MessageId."""
    settings = app.settings(SesSettings)
    now = time.time()
    message_id = await app.store.run(lambda t: sending.keep(t, account, region, out, now=now, relay=bool(settings.relay)))
    log.warning("SES: verify %s (account %s, %s) at %s", out.to[0], account, region, link)
    relay.wake(app)
    return message_id


async def send_verification(app: App, request: Request | None, account: str, region: str, address: str, code: str) -> str:
    """Mail (keep, relay) and log the link that verifies `address`; returns the link."""
    link = verification_link(app, request, account, region, address, code)
    where = REGION_NAMES.get(region, region)
    out = sending.Outgoing(
        source=VERIFICATION_SENDER, to=[address],
        subject=f"Amazon Web Services \u2013 Email Address Verification Request in region {where}",
        text=(f"Dear Amazon Web Services Customer,\n\nWe have received a request to authorize this email address for "
              f"use with Amazon SES and Amazon Pinpoint in region {where}. If you requested this verification, "
              f"please go to the following URL to confirm that you are authorized to use this email address:\n\n"
              f"{link}\n\nYour request will not be processed unless you confirm the address using this URL. "
              f"This link expires 24 hours after your original verification request.\n"))
    settings = app.settings(SesSettings)
    now = time.time()
    await app.store.run(lambda t: sending.keep(t, account, region, out, now=now, relay=bool(settings.relay), count=False))
    log.warning("SES: verify %s (account %s, %s) at %s", address, account, region, link)
    relay.wake(app)
    return link
