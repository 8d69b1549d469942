"""The inbound SMTP server (aiosmtpd's protocol on the node's event loop), on
`ses.smtp_port` at the node's host (default 25; when it cannot be bound, 10025, said in the
banner notes, or any free port when 10025 is taken too; 0: none). A recipient is accepted
when some account's active receipt rule set has an enabled rule matching it (receipt.owners)
and that account's IP address filters admit the sending address (filters.admits), else
refused at RCPT: 550 when no rule matches, 554 when only filters refuse it. The message is run
through each owning account's rule set (inbound.py) before DATA is answered 250, so a
message the server acknowledged has been delivered to its actions. aiosmtpd and the receiving
pipeline (inbound.py: MIME parsing, actions) are imported by the first connection and the
first message, not at start-up: a node nobody mails does not hold them."""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import TYPE_CHECKING, Any

from gureum.services.ses import filters, receipt
from gureum.services.ses.settings import SesSettings
from gureum.services.ses.slots import SMTP_PORT

if TYPE_CHECKING:
    from aiosmtpd.smtp import SMTP, Envelope, Session

    from gureum.app import App
    from gureum.store import Txn

log = logging.getLogger("gureum.ses")
FALLBACK_PORT = 10025
HOSTNAME = "inbound-smtp.amazonaws.com"
MAX_MESSAGE = 40 * 1024 * 1024  # SES's inbound message size limit
REFUSED = "550 5.1.1 Requested action not taken: mailbox unavailable"
BLOCKED = "554 5.7.1 Message rejected: the sending IP address is blocked"


def _owners(txn: Txn, recipient: str, peer: str | None) -> tuple[list[tuple[str, str]], bool]:
    """The accounts that take mail for `recipient` from `peer`, and whether any (filters aside) would."""
    found = receipt.owners(txn, recipient)
    return [(a, r) for a, r in found if filters.admits(txn, a, r, peer)], bool(found)


def _peer(session: Session) -> str | None:
    peer = session.peer
    return str(peer[0]) if isinstance(peer, tuple) and peer else None


class Handler:
    """aiosmtpd's hooks: RCPT asks the rule sets, DATA runs them."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.received = 0

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        owners, any_rule = await self.app.store.read(lambda t: _owners(t, address, _peer(session)))
        if not owners:
            return BLOCKED if any_rule else REFUSED
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        from gureum.services.ses import inbound

        raw = envelope.original_content or envelope.content
        data = raw if isinstance(raw, bytes) else str(raw or "").encode()
        rcpts = list(envelope.rcpt_tos)
        groups: dict[tuple[str, str], list[str]] = {}
        for r in rcpts:
            owners, _ = await self.app.store.read(functools.partial(_owners, recipient=r, peer=_peer(session)))
            for owner in owners:
                groups.setdefault(owner, []).append(r)
        ids = []
        for (account, region), recipients in groups.items():
            msg = inbound.Received(account, region, inbound.envelope_address(envelope.mail_from or ""), recipients, data)
            try:
                await inbound.process(self.app, msg)
            except Exception:
                log.exception("SES: receiving message %s failed", msg.message_id)
                return "451 4.3.0 Error processing the message; try again later"
            ids.append(msg.message_id)
        self.received += 1
        return f"250 Ok {ids[0] if ids else ''}".rstrip()


async def run(app: App) -> None:
    settings = app.settings(SesSettings)
    if not settings.smtp_port:
        app.set_status("ses", "running", "no inbound SMTP server (ses.smtp_port=0)")
        await asyncio.get_running_loop().create_future()
        return
    handler = Handler(app)
    loop = asyncio.get_running_loop()

    def factory() -> Any:
        from aiosmtpd.smtp import SMTP  # on the first connection

        return SMTP(handler, hostname=HOSTNAME, data_size_limit=MAX_MESSAGE, enable_SMTPUTF8=True)

    host = app.config.host
    try:
        server = await loop.create_server(factory, host, settings.smtp_port)
    except OSError as exc:
        why = exc.strerror or str(exc)
        try:
            server = await loop.create_server(factory, host, FALLBACK_PORT)
        except OSError:
            # 10025 is taken too (another node on this machine): any free port, said in the banner
            server = await loop.create_server(factory, host, 0)
        fallback = server.sockets[0].getsockname()[1]
        app.notes.append(f"SES: SMTP port {settings.smtp_port} not available ({why}); receiving mail on {fallback}")
    port = server.sockets[0].getsockname()[1]
    app.parts.put(SMTP_PORT, port)
    log.info("SES inbound SMTP on %s:%d", host, port)
    try:
        await asyncio.get_running_loop().create_future()
    finally:
        server.close()

