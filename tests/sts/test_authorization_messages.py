"""Encoded authorization messages on values (MemoryStore): what `encode` seals for one account
DecodeAuthorizationMessage's `decode` opens for that account only; another account's
message, a changed byte or garbage is InvalidAuthorizationMessageException."""

from __future__ import annotations

import json

import pytest

from gureum.aws.errors import AwsError
from gureum.services.sts import authorization_messages as msgs
from gureum.store.memory import MemoryStore


def test_a_message_opens_for_its_account_only() -> None:
    store = MemoryStore()
    details = msgs.denial("arn:aws:iam::111122223333:user/a", "AIDAEXAMPLE", "ec2:RunInstances", "*", explicit=True)
    sealed = store.run_sync(lambda t: msgs.encode(t, "111122223333", details))
    assert "RunInstances" not in sealed
    opened = json.loads(store.run_sync(lambda t: msgs.decode(t, "111122223333", sealed)))
    assert opened == details and opened["explicitDeny"] is True
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    for account, message in (("444455556666", sealed), ("111122223333", flipped), ("111122223333", "garbage!")):
        with pytest.raises(AwsError) as e:
            store.run_sync(lambda t, a=account, m=message: msgs.decode(t, a, m))
        assert e.value.code == "InvalidAuthorizationMessageException"
