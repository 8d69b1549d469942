"""SES test helpers: the relay's inbox, the private gureum's handle."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from harness import GureumProcess


@dataclass
class Inbox:
    """What the relay's SMTP server received: (envelope sender, recipients, bytes); it refuses
    "bounce-..." recipients with 550."""

    mails: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        """Recipients whose local part starts with "bounce-" are refused for good (a bounce)."""
        if address.startswith("bounce-"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        self.mails.append((str(envelope.mail_from), list(envelope.rcpt_tos), bytes(data)))
        return "250 OK"


@dataclass
class SesGureum:
    g: GureumProcess
    inbox: Inbox
    smtp_port: int

    def client(self, service: str, **kw: Any) -> Any:
        return self.g.client(service, **kw)

    def sent(self, email: str | None = None) -> list[dict[str, Any]]:
        url = self.g.endpoint + "/_gureum/ses" + (f"?email={email}" if email else "")
        with urllib.request.urlopen(url, timeout=10) as resp:
            return list(json.load(resp)["messages"])
