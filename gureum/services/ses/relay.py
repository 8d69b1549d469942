"""Delivering sent messages onward to the SMTP server the setting `ses.relay=host:port`
names (a MailHog-style inbox, a test server): the worker drains messages.py's relay queue,
oldest first, one SMTP transaction per message (envelope sender: the message's source
address; recipients: every To, Cc and Bcc). A message the relay refuses for good (5xx) is
marked "failed"; one it cannot reach stays queued and is retried on the next sweep. A message
sent with a configuration set queues DELIVERY when the relay takes it, BOUNCE when it refuses
it for good (messages.py's event queue); each sweep then publishes the queued events
(events.py). Without a
relay setting messages are marked "none" and only kept.

smtplib runs in a worker thread: the event loop never waits on the relay."""

from __future__ import annotations

import asyncio
import functools
import logging
import smtplib
import time
from typing import TYPE_CHECKING, Any

from gureum.services.ses import events, messages
from gureum.services.ses.settings import SesSettings
from gureum.services.ses.slots import RELAY

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.ses")
RETRY_INTERVAL = 5.0


def parse_relay(text: str) -> tuple[str, int] | None:
    if not text:
        return None
    host, _, port = text.rpartition(":")
    return (host or "127.0.0.1").strip("[]"), int(port or 25)


def deliver(address: tuple[str, int], doc: dict[str, Any]) -> tuple[str, str]:
    """One SMTP transaction (blocking): ("sent", ""), or ("failed", the server's reply) when
    the server refused for good. OSError and temporary (4xx) refusals raise: the message
    stays queued."""
    try:
        with smtplib.SMTP(address[0], address[1], timeout=30) as smtp:
            refused = smtp.sendmail(doc.get("envelope_from") or doc["source"], list(doc["destination"]),
                                    str(doc["raw"]).encode("utf-8"))
    except smtplib.SMTPRecipientsRefused as exc:
        if all(code >= 500 for code, _ in exc.recipients.values()):
            return "failed", "; ".join(f"{code} {text.decode(errors='replace')}" for code, text in exc.recipients.values())
        raise
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code >= 500:
            error = exc.smtp_error
            return "failed", f"{exc.smtp_code} {error.decode(errors='replace') if isinstance(error, bytes) else error}"
        raise
    if refused and len(refused) == len(doc["destination"]):
        return "failed", "; ".join(f"{code} {text.decode(errors='replace')}" for code, text in refused.values())
    return "sent", ""


def _event(doc: dict[str, Any], outcome: str, reply: str, reporting: str) -> tuple[str, dict[str, Any]] | None:
    """The sending event of the relay's outcome: DELIVERY, or BOUNCE when refused for good."""
    now = time.time()
    if outcome == "sent":
        return "DELIVERY", events.delivery_detail(doc, now, reporting)
    if outcome == "failed":
        return "BOUNCE", events.bounce_detail(doc, now, reporting, reply)
    return None


class Relay:
    """This node's relay worker: `wake()` after queueing a message."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def drain(self) -> int:
        address = parse_relay(self.app.settings(SesSettings).relay)
        done = 0
        while True:
            batch = await self.app.store.run(lambda t: messages.queued(t))
            if not batch:
                return done
            for qk, doc in batch:
                if address is None:
                    outcome, reply = "none", ""
                else:
                    try:
                        outcome, reply = await asyncio.to_thread(deliver, address, doc)
                    except (OSError, smtplib.SMTPException) as exc:
                        log.warning("SES relay %s:%d: %s (message %s stays queued)", *address, exc, doc["id"])
                        return done
                mk = messages.message_key(doc)
                event = None if address is None else _event(doc, outcome, reply, f"{address[0]}:{address[1]}")
                await self.app.store.run(functools.partial(messages.relayed, queue_key=qk, message_key=mk, outcome=outcome,
                                                           event=event))
                done += 1

    async def run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), RETRY_INTERVAL)
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                await self.drain()
            except Exception:
                log.exception("SES relay sweep failed")
            try:
                await events.drain(self.app)
            except Exception:
                log.exception("SES event publishing failed")


def wake(app: App) -> None:
    relay = app.parts.get(RELAY)
    if relay is not None:
        relay.wake()
