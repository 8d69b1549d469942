"""A pool that sends email with the developer's SES identity (EmailSendingAccount DEVELOPER)
mails its codes through gureum's SES: the confirmation code of a sign-up arrives as a kept
message at /_gureum/ses from the configured address, besides gureum's log."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

from waiting import wait_for

from .helpers import STRONG, make_client, make_pool, uniq


def _sent(gureum: Any, address: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{gureum.endpoint}/_gureum/ses?email={address}", timeout=10) as resp:
        return list(json.load(resp)["messages"])


def _verify(gureum: Any, address: str) -> None:
    gureum.client("ses").verify_email_identity(EmailAddress=address)
    found: list[str] = []

    def mailed() -> bool:
        for mail in _sent(gureum, address):
            m = re.search(r"http://\S+/_gureum/ses/verify\?\S+", (mail.get("body") or {}).get("text") or "")
            if m:
                found.append(m.group(0))
        return bool(found)

    wait_for(f"the verification link for {address}", mailed, 10)
    with urllib.request.urlopen(found[-1], timeout=10) as resp:
        assert resp.status == 200


def test_codes_go_through_the_pool_s_ses_identity(gureum, idp) -> None:  # type: ignore[no-untyped-def]
    sender, user_mail = f"auth-{uniq()}@example.org", f"u-{uniq()}@example.org"
    _verify(gureum, sender)
    _verify(gureum, user_mail)  # the sandbox: recipients are verified too
    pool = make_pool(idp, AutoVerifiedAttributes=["email"], EmailConfiguration={
        "EmailSendingAccount": "DEVELOPER", "SourceArn": f"arn:aws:ses:us-east-1:000000000000:identity/{sender}",
        "From": f"Sign-in <{sender}>"})
    client = make_client(idp, pool)
    username = uniq("user")
    idp.sign_up(ClientId=client["ClientId"], Username=username, Password=STRONG,
                UserAttributes=[{"Name": "email", "Value": user_mail}])
    codes: list[str] = []

    def mailed() -> bool:
        for mail in _sent(gureum, user_mail):
            if sender in mail["source"]:
                m = re.search(r"verification code is (\S+?)\.", (mail.get("body") or {}).get("text") or "")
                if m:
                    codes.append(m.group(1))
        return bool(codes)

    wait_for("the confirmation code mailed through SES", mailed, 10)
    idp.confirm_sign_up(ClientId=client["ClientId"], Username=username, ConfirmationCode=codes[-1])
    assert idp.admin_get_user(UserPoolId=pool, Username=username)["UserStatus"] == "CONFIRMED"
