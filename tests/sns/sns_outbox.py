"""Helpers for tests reading SNS's recorded push and SMS messages (GET /_gureum/sns/messages)."""

from __future__ import annotations

import json
import random
import urllib.parse
import urllib.request
from typing import Any


def account() -> str:
    """A fresh 12-digit account (its access key id), so a test sees only its own messages."""
    return f"{random.SystemRandom().randrange(10**11, 10**12):012d}"


def messages(endpoint: str, **query: str) -> list[dict[str, Any]]:
    url = f"{endpoint}/_gureum/sns/messages?{urllib.parse.urlencode(query)}"
    with urllib.request.urlopen(url, timeout=10) as resp:
        return list(json.load(resp)["messages"])


def reply(endpoint: str, account_id: str, number: str, text: str) -> dict[str, Any]:
    body = json.dumps({"AccountId": account_id, "PhoneNumber": number, "Message": text}).encode()
    req = urllib.request.Request(f"{endpoint}/_gureum/sns/sms-replies", data=body, method="POST",
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return dict(json.load(resp))
