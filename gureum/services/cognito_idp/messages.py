"""Where a pool's codes and invitations go: gureum's log (logger "gureum.cognito-idp", one
line per message naming the pool, user, purpose and code), after the pool's CustomMessage
trigger (triggers.py) has had its say on the text.

A pool whose EmailConfiguration sends with the developer's SES identity (EmailSendingAccount
DEVELOPER with a SourceArn) also sends each email through SES's port
(gureum/services/ses/port.py) as the pool's account: from the configuration's `From`, else
the identity's address (a domain identity sends as no-reply@<domain>), with its ReplyTo and
ConfigurationSet; so it is kept at GET /_gureum/ses, relayed, billed, and refused as SES
refuses it (an unverified identity, the sandbox: then the flow goes on and the refusal is
logged). COGNITO_DEFAULT email is Cognito's own in AWS: it stays in the log only. The log
line is written either way, so a developer reads codes without mail.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.cognito-idp")

SUBJECTS = {"signup": "Your verification code", "forgot": "Your password reset code", "verify": "Your verification code",
            "invite": "Your temporary password"}


def default_text(purpose: str, code: str, username: str = "") -> str:
    if purpose == "invite":
        return f"Your username is {username} and temporary password is {code}."
    return f"Your verification code is {code}. " if purpose != "forgot" else f"Your password reset code is {code}. "


async def deliver(app: App, pool: dict[str, Any], username: str, destination: str | None, purpose: str, code: str,
                  text: str | None = None, subject: str | None = None, *, email: str | None = None) -> None:
    """Deliver `code` for `purpose` ("signup", "forgot", "verify", "invite") to the user
    (`destination` masked as CodeDeliveryDetails shows it; `email` the address itself when
    the code goes by email)."""
    log.warning("cognito-idp %s code for user %s in pool %s (to %s): %s | %s", purpose, username, pool["Id"],
                destination or "-", code, subject or SUBJECTS.get(purpose, ""))
    if text:
        log.warning("cognito-idp message to %s: %s", destination or username, text)
    config = pool.get("EmailConfiguration") or {}
    if email and config.get("EmailSendingAccount") == "DEVELOPER" and config.get("SourceArn"):
        await _through_ses(app, pool, config, email, subject or SUBJECTS.get(purpose, ""),
                           text or default_text(purpose, code, username))


async def _through_ses(app: App, pool: dict[str, Any], config: dict[str, Any], email: str, subject: str, text: str) -> None:
    from gureum.aws.errors import AwsError
    from gureum.services.ses import port as ses

    arn = str(config["SourceArn"])  # arn:aws:ses:<region>:<account>:identity/<address or domain>
    parts = arn.split(":", 5)
    region = parts[3] if len(parts) == 6 and parts[3] else pool["region"]
    identity = parts[5].split("/", 1)[-1] if len(parts) == 6 else ""
    source = config.get("From") or (identity if "@" in identity else f"no-reply@{identity}")
    reply_to = [config["ReplyToEmailAddress"]] if config.get("ReplyToEmailAddress") else None
    try:
        await ses.send_email(app, pool["account"], region, source=source, to=[email], subject=subject, text=text,
                             reply_to=reply_to, configuration_set=config.get("ConfigurationSet"))
    except AwsError as e:
        log.warning("cognito-idp pool %s: SES refused the message to %s: %s %s", pool["Id"], email, e.code, e.message)
