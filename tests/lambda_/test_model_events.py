"""Lambda's model publishes its own change events: every write of functions.py, versions.py,
aliases.py, permissions.py, concurrency.py, invoke_configs.py and url_configs.py publishes
exactly one event on model.TOPIC in its own transaction (none when it fails), and the
engine's function cache, subscribed to that topic, sees the change at once. In-memory
store, no gureum process."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from waiting import wait_for_async

from gureum.aws.errors import AwsError
from gureum.services.lambda_ import (
    aliases,
    concurrency,
    functions,
    invoke_configs,
    model,
    permissions,
    url_configs,
    versions,
)
from gureum.services.lambda_.function_cache import FunctionCache
from gureum.store import Txn
from gureum.store.base import Event
from gureum.store.memory import MemoryStore

T = TypeVar("T")
ACCOUNT, REGION, NAME = "000000000000", "us-east-1", "fn"
KEY = model.fn_key(ACCOUNT, REGION, NAME)
ARN = model.function_arn(ACCOUNT, REGION, NAME)
ROLE = f"arn:aws:iam::{ACCOUNT}:role/r"


def _code(n: int) -> dict[str, Any]:
    return {"digest": f"sha256:{n:064x}", "sha256": f"code-{n}", "size": 100 + n}


def _new_doc(name: str = NAME, **extra: Any) -> dict[str, Any]:
    params = {"FunctionName": name, "Role": ROLE, "Runtime": "python3.12", "Handler": "app.handler", **extra}
    return model.new_function(ACCOUNT, REGION, params, _code(0), {})


def _alias(name: str, version: str) -> dict[str, Any]:
    return {"AliasArn": f"{ARN}:{name}", "Name": name, "FunctionVersion": version, "Description": "", "RevisionId": model.new_revision()}


def _url(slot_qualifier: str | None, url_id: str) -> dict[str, Any]:
    return {"id": url_id, "account": ACCOUNT, "region": REGION, "key": KEY, "qualifier": slot_qualifier,
            "FunctionArn": ARN, "AuthType": "NONE", "InvokeMode": "BUFFERED",
            "CreationTime": model.now_text(), "LastModifiedTime": model.now_text()}


class Recorder:
    """The store with a subscriber that records Lambda's change events."""

    def __init__(self) -> None:
        self.store = MemoryStore()
        self.events: list[Event] = []
        self.store.subscribe(model.TOPIC, self.events.append)  # no loop: called as each commit ends

    def write(self, fn: Callable[[Txn], T]) -> tuple[T, list[dict[str, Any]]]:
        """Run one write; its result and the events it published."""
        before = len(self.events)
        result = self.store.run_sync(fn)
        return result, [e.data for e in self.events[before:]]


@pytest.fixture
def rec() -> Recorder:
    r = Recorder()
    r.write(lambda t: functions.create(t, KEY, _new_doc(), None, False))
    return r


# Each write on a function that exists (as the fixture made it): (name, write, what).
WRITES: list[tuple[str, Callable[[Txn], Any], str]] = [
    ("update code", lambda t: functions.update_code(t, KEY, ARN, _code(1), None, None, False), "code"),
    ("update code and publish", lambda t: functions.update_code(t, KEY, ARN, _code(2), None, None, True), "code"),
    ("update configuration", lambda t: functions.update_configuration(t, KEY, ARN, {"Timeout": 9}, {"A": "b"}), "configuration"),
    ("publish version", lambda t: versions.publish_version(t, KEY, ARN, None, None, "v1"), "version"),
    ("tag", lambda t: functions.tag(t, KEY, ARN, {"team": "a"}), "tags"),
    ("untag", lambda t: functions.untag(t, KEY, ARN, ["team"]), "tags"),
    ("add permission", lambda t: permissions.add(t, KEY, ARN, "", {"Sid": "s1", "Effect": "Allow"}, None), "policy"),
    ("put concurrency", lambda t: concurrency.put(t, ACCOUNT, REGION, KEY, ARN, 5, 1000), "concurrency"),
    ("delete concurrency", lambda t: concurrency.delete(t, KEY, ARN), "concurrency"),
    ("put invoke config", lambda t: invoke_configs.put(t, KEY, f"{KEY}/$LATEST", ARN, {"MaximumRetryAttempts": 1}, False), "invoke-config"),
    ("create alias", lambda t: aliases.create(t, KEY, ARN, _alias("live", "$LATEST")), "alias"),
    ("create url", lambda t: url_configs.create(t, f"{KEY}/$LATEST", ARN, _url(None, "u1")), "url"),
]


@pytest.mark.parametrize("write,what", [(w, what) for _, w, what in WRITES], ids=[n for n, _, _ in WRITES])
def test_each_model_write_publishes_exactly_one_event(rec: Recorder, write: Callable[[Txn], Any], what: str) -> None:
    _, events = rec.write(write)
    assert len(events) == 1
    assert events[0]["key"] == KEY and events[0]["what"] == what


def test_a_whole_lifecycle_publishes_one_event_per_write_and_names_the_urls_it_removes(rec: Recorder) -> None:
    steps: list[tuple[Callable[[Txn], Any], str]] = [
        (lambda t: functions.create(t, model.fn_key(ACCOUNT, REGION, "other"), _new_doc("other"), None, True), "function"),
        (lambda t: versions.publish_version(t, KEY, ARN, None, None, None), "version"),
        (lambda t: aliases.create(t, KEY, ARN, _alias("live", "1")), "alias"),
        (lambda t: aliases.update(t, KEY, ARN, "live", f"{ARN}:live", None, {"FunctionVersion": "$LATEST"}), "alias"),
        (lambda t: invoke_configs.put(t, KEY, f"{KEY}/live", ARN, {"MaximumEventAgeInSeconds": 60}, False), "invoke-config"),
        (lambda t: invoke_configs.put(t, KEY, f"{KEY}/live", ARN, {"MaximumRetryAttempts": 0}, True), "invoke-config"),
        (lambda t: invoke_configs.delete(t, KEY, f"{KEY}/live", ARN), "invoke-config"),
        (lambda t: url_configs.create(t, f"{KEY}/live", f"{ARN}:live", _url("live", "ua")), "url"),
        (lambda t: url_configs.update(t, f"{KEY}/live", {"AuthType": "AWS_IAM"}), "url"),
        (lambda t: url_configs.delete(t, f"{KEY}/live"), "url"),
        (lambda t: url_configs.create(t, f"{KEY}/$LATEST", ARN, _url(None, "ub")), "url"),
        (lambda t: permissions.add(t, KEY, ARN, "live", {"Sid": "s", "Effect": "Allow"}, None), "policy"),
        (lambda t: permissions.remove(t, KEY, ARN, "live", "s"), "policy"),
        (lambda t: aliases.delete(t, KEY, "live"), "alias"),
        (lambda t: functions.delete(t, KEY, "1", f"{ARN}:1"), "deleted"),
    ]
    for write, what in steps:
        _, events = rec.write(write)
        assert [e["what"] for e in events] == [what]
    _, events = rec.write(lambda t: functions.delete(t, KEY, None, ARN))
    assert events == [{"key": KEY, "what": "deleted", "url_ids": ["ub"]}]
    assert rec.store.read_sync(lambda t: url_configs.lookup(t, "ub")) is None


def test_url_events_carry_the_url_id(rec: Recorder) -> None:
    _, events = rec.write(lambda t: url_configs.create(t, f"{KEY}/$LATEST", ARN, _url(None, "abc")))
    assert events == [{"key": KEY, "what": "url", "url_ids": ["abc"]}]
    _, events = rec.write(lambda t: url_configs.update(t, f"{KEY}/$LATEST", {"AuthType": "AWS_IAM"}))
    assert events == [{"key": KEY, "what": "url", "url_ids": ["abc"]}]


def test_image_settles_with_one_event_and_only_when_something_waited(rec: Recorder) -> None:
    image = {"uri": "localhost/app:1", "resolved": "localhost/app@sha256:" + "a" * 64, "digest": "sha256:" + "a" * 64}
    rec.write(lambda t: functions.update_image(t, KEY, ARN, image, None, None, True))
    changed, events = rec.write(lambda t: functions.settle_image(t, KEY, image["resolved"], None, False))
    assert changed and [e["what"] for e in events] == ["state"]
    config = rec.store.read_sync(lambda t: functions.config_for(t, KEY, None, ARN))[0]
    assert config["LastUpdateStatus"] == "Successful"
    changed, events = rec.write(lambda t: functions.settle_image(t, KEY, image["resolved"], None, False))
    assert not changed and events == []


@pytest.mark.parametrize("write", [
    lambda t: aliases.create(t, KEY, ARN, _alias("bad", "7")),  # no version 7
    lambda t: functions.update_code(t, KEY, ARN, _code(3), "not-the-revision", None, False),
    lambda t: functions.create(t, KEY, _new_doc(), None, False),  # exists
    lambda t: concurrency.put(t, ACCOUNT, REGION, KEY, ARN, 950, 1000),  # leaves < 100 unreserved
    lambda t: permissions.remove(t, KEY, ARN, "", "nope"),
    lambda t: functions.delete(t, KEY, "$LATEST", ARN),
], ids=["alias to a missing version", "stale revision", "duplicate function", "too much concurrency",
        "missing statement", "delete $LATEST"])
def test_a_refused_write_publishes_nothing(rec: Recorder, write: Callable[[Txn], Any]) -> None:
    before = len(rec.events)
    with pytest.raises(AwsError):
        rec.store.run_sync(write)
    assert len(rec.events) == before


def test_a_subscribed_cache_sees_new_versions_aliases_and_config_at_once() -> None:
    async def main() -> None:
        store = MemoryStore()
        cache = FunctionCache(store)
        store.subscribe(model.TOPIC, cache.on_change)
        await store.run(lambda t: functions.create(t, KEY, _new_doc(), None, False))
        first = await cache.get(KEY, ARN)
        assert await cache.get(KEY, ARN) is first  # kept while nothing changes
        assert first.versions == {} and first.aliases == {}

        await store.run(lambda t: versions.publish_version(t, KEY, ARN, None, None, "one"))
        state = await cache.get(KEY, ARN)
        assert list(state.versions) == ["1"] and state.versions["1"]["config"]["Description"] == "one"

        await store.run(lambda t: aliases.create(t, KEY, ARN, _alias("live", "1")))
        assert (await cache.get(KEY, ARN)).aliases["live"]["FunctionVersion"] == "1"
        await store.run(lambda t: aliases.update(t, KEY, ARN, "live", f"{ARN}:live", None, {"FunctionVersion": "$LATEST"}))
        assert (await cache.get(KEY, ARN)).aliases["live"]["FunctionVersion"] == "$LATEST"

        await store.run(lambda t: functions.update_configuration(t, KEY, ARN, {"MemorySize": 512}, None))
        assert (await cache.get(KEY, ARN)).doc["config"]["MemorySize"] == 512

        await store.run(lambda t: concurrency.put(t, ACCOUNT, REGION, KEY, ARN, 7, 1000))
        assert (await cache.get(KEY, ARN)).doc["reserved"] == 7

        await store.run(lambda t: functions.delete(t, KEY, None, ARN))
        with pytest.raises(AwsError) as exc:
            await cache.get(KEY, ARN)
        assert exc.value.code == "ResourceNotFoundException"

    asyncio.run(main())


def test_a_url_change_does_not_drop_the_function_from_the_cache() -> None:
    async def main() -> None:
        store = MemoryStore()
        cache = FunctionCache(store)
        store.subscribe(model.TOPIC, cache.on_change)
        await store.run(lambda t: functions.create(t, KEY, _new_doc(), None, False))
        state = await cache.get(KEY, ARN)
        await store.run(lambda t: url_configs.create(t, f"{KEY}/$LATEST", ARN, _url(None, "u")))
        assert await cache.get(KEY, ARN) is state

    asyncio.run(main())


class GatedReads(MemoryStore):
    """A store whose reads, once read, wait for a gate: lets a write land mid-load."""

    gate: asyncio.Event | None = None
    held = 0  # reads done and waiting at the gate

    async def read(self, fn: Callable[[Txn], T]) -> T:
        value = await super().read(fn)
        if self.gate is not None:
            self.held += 1
            await self.gate.wait()
        return value


def test_a_load_overtaken_by_a_change_is_not_kept() -> None:
    async def main() -> None:
        store = GatedReads()
        cache = FunctionCache(store)
        store.subscribe(model.TOPIC, cache.on_change)
        await store.run(lambda t: functions.create(t, KEY, _new_doc(), None, False))
        store.gate = asyncio.Event()
        loading = asyncio.create_task(cache.get(KEY, ARN))
        await wait_for_async("the load to have read the old configuration", lambda: store.held, timeout=10)
        await store.run(lambda t: functions.update_configuration(t, KEY, ARN, {"Timeout": 30}, None))
        store.gate.set()
        assert (await loading).doc["config"]["Timeout"] == 3  # its caller asked before the change
        store.gate = None
        assert (await cache.get(KEY, ARN)).doc["config"]["Timeout"] == 30

    asyncio.run(main())
