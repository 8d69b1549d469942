"""Sending, for v1, v2 and the `email` port: the message as MIME (composed from simple
content, or a raw message parsed with the stdlib `email` package), AWS's checks in one
transaction (addresses, recipient count, verified identities and the sandbox, the
configuration set, the 24-hour quota), then kept in messages.py and queued for the relay.

Errors, as AWS sends them: MessageRejected "Email address is not verified. The following
identities failed the check in region US-EAST-1: a@b, c@d" (the sender when it is not a
verified address or domain; in the sandbox, every recipient not verified too);
InvalidParameterValue "Recipient count exceeds 50." / "Illegal address" (v2:
BadRequestException); MailFromDomainNotVerifiedException when the sender's custom MAIL FROM
domain is not verified and its behaviour is RejectMessage; Throttling "Daily message quota
exceeded."; the configuration set's errors (configsets.py)."""

from __future__ import annotations

import email.utils
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.ses import configsets, events, identities, messages
from gureum.store import Txn

MAX_RECIPIENTS = 50
MAX_RAW = 10 * 1024 * 1024  # SES v1's message size limit (v2: 40 MB with attachments)


@dataclass
class Outgoing:
    """One message about to be sent."""

    source: str  # the From as given (may carry a display name)
    to: list[str]
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    subject: str = ""
    text: str | None = None
    html: str | None = None
    raw: bytes = b""
    configuration_set: str | None = None
    tags: list[dict[str, str]] = field(default_factory=list)
    template: str | None = None
    status: str = "Sent"  # or "RenderingFailure" / "Unsubscribed": kept, never delivered
    reply_to: list[str] = field(default_factory=list)
    return_path: str | None = None
    envelope_from: str | None = None  # raw sends: the Source parameter, when given
    headers: list[tuple[str, str]] = field(default_factory=list)  # added by SES (List-Unsubscribe)
    failure: str = ""  # why rendering failed (the Rendering Failure event's errorMessage)
    unsubscribed: list[str] = field(default_factory=list)  # recipients skipped by ListManagementOptions

    @property
    def recipients(self) -> list[str]:
        return [*self.to, *self.cc, *self.bcc]

    @property
    def sender_address(self) -> str:
        return email.utils.parseaddr(self.envelope_from or self.source)[1] or self.source


def _invalid(service: str, message: str) -> AwsError:
    if service == "ses":
        return AwsError.common("InvalidParameterValue", message)
    return AwsError.modeled("sesv2", "BadRequestException", message)


def page_limit(value: int | None, low: int, high: int, name: str, service: str) -> int | None:
    """A listing's MaxItems / PageSize within AWS's documented range (the models give none)."""
    if value is not None and not low <= value <= high:
        raise _invalid(service, f"{name} must be between {low} and {high}.")
    return value


def address_of(text: str) -> str:
    return email.utils.parseaddr(text)[1]


def compose(out: Outgoing, message_id: str, now: float) -> bytes:
    """The MIME message SES sends for simple content (multipart/alternative when both parts)."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = out.source
    if out.to:
        msg["To"] = ", ".join(out.to)
    if out.cc:
        msg["Cc"] = ", ".join(out.cc)
    if out.reply_to:
        msg["Reply-To"] = ", ".join(out.reply_to)
    msg["Subject"] = out.subject
    msg["Message-ID"] = f"<{message_id}@email.amazonses.com>"
    msg["Date"] = email.utils.formatdate(now)
    msg["MIME-Version"] = "1.0"
    for k, v in out.headers:
        msg[k] = v
    if out.text is not None:
        msg.set_content(out.text)
        if out.html is not None:
            msg.add_alternative(out.html, subtype="html")
    elif out.html is not None:
        msg.set_content(out.html, subtype="html")
    else:
        msg.set_content("")
    return msg.as_bytes()


def parse_raw(data: bytes, source: str | None, destinations: list[str] | None, service: str) -> Outgoing:
    """A raw message as SendRawEmail takes it: Source defaults to the From header,
    Destinations to the To, Cc and Bcc headers; the Bcc header is not sent."""
    if len(data) > MAX_RAW:
        raise _invalid(service, "Message length is more than 10485760 bytes long.")
    try:
        msg = BytesParser(policy=policy.default).parsebytes(data)
        from_header = str(msg.get("From") or "")
        to = [a for _, a in email.utils.getaddresses([str(v) for v in msg.get_all("To") or []]) if a]
        cc = [a for _, a in email.utils.getaddresses([str(v) for v in msg.get_all("Cc") or []]) if a]
        bcc = [a for _, a in email.utils.getaddresses([str(v) for v in msg.get_all("Bcc") or []]) if a]
        subject = str(msg.get("Subject") or "")
        text_part = msg.get_body(preferencelist=("plain",))
        html_part = msg.get_body(preferencelist=("html",))
        text = text_part.get_content() if text_part is not None else None
        html = html_part.get_content() if html_part is not None else None
    except Exception as exc:  # the email package raises many kinds on malformed input
        raise _invalid(service, f"Could not parse the message: {exc}") from None
    if not from_header and not source:
        raise _invalid(service, "Missing required header 'From'.")
    if "Bcc" in msg:
        del msg["Bcc"]
    try:
        raw = msg.as_bytes(policy=policy.SMTP)
    except Exception as exc:  # a header the email package cannot write back
        raise _invalid(service, f"Could not parse the message: {exc}") from None
    out = Outgoing(source=from_header or source or "", to=to, cc=cc, bcc=bcc, subject=subject, text=text, html=html,
                   raw=raw, envelope_from=source)
    if destinations:
        out.to, out.cc, out.bcc = list(destinations), [], []
    return out


def check_addresses(out: Outgoing, service: str) -> None:
    if not out.recipients:
        raise _invalid(service, "Missing required header 'To'.")
    if len(out.recipients) > MAX_RECIPIENTS:
        raise _invalid(service, f"Recipient count exceeds {MAX_RECIPIENTS}.")
    for a in [out.sender_address, *out.recipients]:
        local, at, domain = a.rpartition("@")
        if not at or not local or not domain or any(c.isspace() for c in a):
            raise _invalid(service, f"Illegal address: {a}" if a else "Missing final '@domain'")


def admit(txn: Txn, account: str, region: str, out: Outgoing, *, sandbox: bool, quota: int, now: float,
          service: str) -> None:
    """AWS's checks of a send, in AWS's order."""
    check_addresses(out, service)
    failed = identities.unverified(txn, account, region, [out.sender_address])
    if sandbox:
        failed += [a for a in identities.unverified(txn, account, region, out.recipients) if a not in failed]
    if failed:
        message = ("Email address is not verified. The following identities failed the check in region "
                   f"{region.upper()}: {', '.join(failed)}")
        raise AwsError.modeled(service, "MessageRejected", message)
    mail_from = identities.mail_from_refusal(txn, account, region, out.sender_address)
    if mail_from is not None:
        raise AwsError.modeled(service, "MailFromDomainNotVerifiedException",
                               f"The MAIL FROM domain {mail_from} of {out.sender_address} is not verified.")
    configsets.check_sending(txn, account, region, out.configuration_set, service)
    if messages.sent_last_24h(txn, account, region, now) + len(out.recipients) > quota:
        raise AwsError.common("Throttling", "Daily message quota exceeded.")


def send(txn: Txn, account: str, region: str, out: Outgoing, *, sandbox: bool, quota: int, now: float,
         service: str, relay: bool) -> str:
    """Check and keep one message; returns its MessageId."""
    admit(txn, account, region, out, sandbox=sandbox, quota=quota, now=now, service=service)
    return keep(txn, account, region, out, now=now, relay=relay and out.status == "Sent", service=service)


def keep(txn: Txn, account: str, region: str, out: Outgoing, *, now: float, relay: bool, count: bool = True,
         service: str = "ses") -> str:
    message_id = messages.new_id(now)
    try:
        raw = out.raw or compose(out, message_id, now)
        if out.raw and out.headers:
            raw = b"".join(f"{k}: {v}\r\n".encode() for k, v in out.headers) + raw
    except (ValueError, TypeError) as exc:  # header values with line breaks, addresses the email package refuses
        raise _invalid(service, f"The message could not be composed: {exc}") from None
    doc: dict[str, Any] = {
        "id": message_id, "source": out.source, "envelope_from": out.sender_address,
        "destination": out.recipients, "to": out.to, "cc": out.cc, "bcc": out.bcc,
        "subject": out.subject, "body": {"text": out.text, "html": out.html},
        "raw": raw.decode("utf-8", "replace"), "timestamp": now, "status": out.status,
    }
    if out.template:
        doc["template"] = out.template
    if out.failure:
        doc["failure"] = out.failure
    if out.configuration_set:
        doc["configuration_set"] = out.configuration_set
    if out.tags:
        doc["tags"] = out.tags
    k = messages.add(txn, account, region, doc, relay=relay, count=count)
    if out.unsubscribed and out.configuration_set:
        detail = events.bounce_detail(doc, now, "gureum", "550 5.0.0 The recipient unsubscribed from the contact list",
                                      recipients=out.unsubscribed, subtype="UnsubscribedRecipient")
        messages.queue_event(txn, k, {**doc, "account": account, "region": region}, "BOUNCE", detail, now)
    return message_id
