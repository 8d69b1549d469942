"""SES's port for other services (Cognito's confirmation codes and invitations, ...):
`await send_email(app, account, region, source=..., to=[...], subject=..., text=..., html=None)`
sends as SendEmail by `account` does (the same checks: the source must be a verified address
or domain; in the sandbox every recipient too), keeps the message (GET /_gureum/ses), relays
it, meters it; returns the MessageId. It raises SES's own AwsErrors (MessageRejected,
Throttling "Daily message quota exceeded.").
`await send_system_email(app, account, region, source=..., to=[...], subject=..., text=...)` is
the mail AWS itself sends the account (Budgets' alerts): kept and relayed, without the
account's checks, quota or bill (outbound.send_system)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.services.ses import outbound, sending

if TYPE_CHECKING:
    from gureum.app import App


async def send_email(app: App, account: str, region: str, *, source: str, to: list[str], subject: str,
                     text: str | None = None, html: str | None = None, reply_to: list[str] | None = None,
                     configuration_set: str | None = None) -> str:
    out = sending.Outgoing(source=source, to=list(to), subject=subject, text=text, html=html,
                           reply_to=list(reply_to or []), configuration_set=configuration_set)
    return await outbound.send(app, account, region, out, "ses")


async def send_system_email(app: App, account: str, region: str, *, source: str, to: list[str], subject: str,
                            text: str) -> str:
    out = sending.Outgoing(source=source, to=list(to), subject=subject, text=text)
    return await outbound.send_system(app, account, region, out)
