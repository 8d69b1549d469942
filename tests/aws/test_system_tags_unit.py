"""gureum.aws.tags' system tags on plain values and a real SQLite store: inside
`system_tags(...)` exactly those reserved keys with exactly those values pass (also in a
transaction the store runs on its own thread) and do not count toward the limit; outside it a
user can neither set nor remove one."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from gureum.aws import tags
from gureum.aws.errors import AwsError
from gureum.store.sqlite import SqliteStore

RULES = tags.Rules(invalid=lambda m: AwsError("InvalidParameterValue", m, 400), max_tags=2)
SYSTEM = {"aws:cloudformation:stack-name": "s1"}


def test_only_the_scopes_keys_and_values_pass_the_reserved_rule() -> None:
    with pytest.raises(AwsError):
        tags.check({"aws:cloudformation:stack-name": "s1"}, RULES)
    with tags.system_tags(SYSTEM):
        assert tags.check({"aws:cloudformation:stack-name": "s1", "a": "1"}, RULES) == {
            "aws:cloudformation:stack-name": "s1", "a": "1"}
        with pytest.raises(AwsError):
            tags.check({"aws:cloudformation:stack-name": "forged"}, RULES)
        with pytest.raises(AwsError):
            tags.check({"aws:other": "s1"}, RULES)
    with pytest.raises(AwsError):  # the scope is gone
        tags.check({"aws:cloudformation:stack-name": "s1"}, RULES)


def test_system_tags_do_not_count_and_cannot_be_removed_by_users() -> None:
    current = {"aws:cloudformation:stack-name": "s1", "a": "1"}
    assert tags.apply(current, {"b": "2"}, (), RULES) == {**current, "b": "2"}  # 2 user tags: within max_tags=2
    with pytest.raises(AwsError) as e:
        tags.refuse_system_removal(current, ["aws:cloudformation:stack-name"], RULES)
    assert "reserved" in e.value.message
    tags.refuse_system_removal(current, ["a", "aws:absent"], RULES)  # absent reserved keys: no error, as before
    with tags.system_tags(SYSTEM):
        tags.refuse_system_removal(current, ["aws:cloudformation:stack-name"], RULES)


def test_the_scope_reaches_transactions_on_the_stores_thread(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "s.db"))

    async def go() -> dict[str, str]:
        try:
            with tags.system_tags(SYSTEM):
                return await store.run(lambda t: tags.check({"aws:cloudformation:stack-name": "s1"}, RULES))
        finally:
            await store.close()

    assert asyncio.run(go()) == SYSTEM
