"""gureum.aws.tags on plain values and the in-memory store: AWS's tag rules with each
service's own errors, over whichever layout the service stores tags in."""

from __future__ import annotations

from typing import Any

import pytest

from gureum.aws import tags
from gureum.aws.errors import AwsError
from gureum.store.base import Txn
from gureum.store.memory import MemoryStore

RULES = tags.Rules(invalid=lambda m: AwsError("InvalidTagParameterException", m, 400),
                   too_many=lambda m: AwsError("TooManyTagsException", m, 400))


class ListPlace:
    """Tags stored the ECR/IAM way: a list of {"Key", "Value"} inside the resource's doc."""

    def read(self, txn: Txn) -> dict[str, str]:
        doc = txn.get("repos", "r1")
        if doc is None:
            raise AwsError("RepositoryNotFoundException", "no such repository", 400)
        return tags.from_pairs(doc.get("tags"))

    def write(self, txn: Txn, new: dict[str, str]) -> None:
        doc: dict[str, Any] = txn.get("repos", "r1") or {}
        txn.put("repos", "r1", {**doc, "tags": tags.to_pairs(new)})


@pytest.fixture
def store() -> MemoryStore:
    s = MemoryStore()
    s.run_sync(lambda t: t.put("repos", "r1", {"name": "r1", "tags": [{"Key": "old", "Value": "1"}]}))
    return s


def test_tag_untag_list_keep_the_stored_layout(store: MemoryStore) -> None:
    p = ListPlace()
    store.run_sync(lambda t: tags.tag(t, p, {"a": "x", "old": "2"}, RULES))
    assert (store.read_sync(lambda t: t.get("repos", "r1")) or {})["tags"] == [{"Key": "a", "Value": "x"}, {"Key": "old", "Value": "2"}]
    store.run_sync(lambda t: tags.untag(t, p, ["a", "absent"], RULES))
    assert store.read_sync(lambda t: tags.list_tags(t, p)) == {"old": "2"}


def test_missing_resource_gets_the_services_error() -> None:
    with pytest.raises(AwsError) as e:
        MemoryStore().run_sync(lambda t: tags.tag(t, ListPlace(), {"a": "b"}, RULES))
    assert e.value.code == "RepositoryNotFoundException"


def test_fifty_tags_fit_and_fifty_one_do_not(store: MemoryStore) -> None:
    p = ListPlace()
    store.run_sync(lambda t: tags.tag(t, p, {f"k{i}": "v" for i in range(49)}, RULES))
    with pytest.raises(AwsError) as e:
        store.run_sync(lambda t: tags.tag(t, p, {"one-more": "v"}, RULES))
    assert e.value.code == "TooManyTagsException"
    assert len(store.read_sync(lambda t: tags.list_tags(t, p))) == 50  # the refused change rolled back
    store.run_sync(lambda t: tags.tag(t, p, {"k1": "replaced"}, RULES))  # replacing adds nothing


@pytest.mark.parametrize("key,value", [("", "v"), ("k" * 129, "v"), ("aws:x", "v"), ("AWS:x", "v"), ("k", "v" * 257),
                                       ("bad*key", "v"), ("k", "bad#value"), ("tab\tkey", "v")])
def test_rule_violations_get_the_services_invalid_error(key: str, value: str) -> None:
    with pytest.raises(AwsError) as e:
        tags.check({key: value}, RULES)
    assert e.value.code == "InvalidTagParameterException" and e.value.status == 400


@pytest.mark.parametrize("key,value", [("k" * 128, "v" * 256), ("키 이름", "값"), ("a_b.c:d/e=f+g-h@i", ""), ("x1", "٣")])
def test_allowed_characters_and_bounds(key: str, value: str) -> None:
    assert tags.check({key: value}, RULES) == {key: value}


def test_reserved_values_only_where_the_service_says() -> None:
    assert tags.check({"k": "aws:v"}, RULES) == {"k": "aws:v"}
    with pytest.raises(AwsError):
        tags.check({"k": "aws:v"}, tags.Rules(check_reserved_values=True))


def test_case_insensitive_keys_replace_and_duplicates_refused() -> None:
    rules = tags.Rules(case_insensitive=True, duplicate=lambda k: AwsError("InvalidInput", "Duplicate tag keys found.", 400))
    assert tags.apply({"Team": "a"}, {"team": "b"}, [], rules) == {"team": "b"}
    assert tags.apply({"Team": "a"}, {}, ["TEAM"], rules) == {}
    with pytest.raises(AwsError) as e:
        tags.check([("Team", "a"), ("team", "b")], rules)
    assert e.value.code == "InvalidInput"


def test_untag_checks_keys_only_when_asked() -> None:
    assert tags.apply({"a": "1"}, {}, ["aws:x"], RULES) == {"a": "1"}
    s = MemoryStore()
    s.run_sync(lambda t: t.put("repos", "r1", {"tags": []}))
    with pytest.raises(AwsError):
        s.run_sync(lambda t: tags.untag(t, ListPlace(), ["aws:x"], RULES, check_keys=True))


def test_layout_converters_round_trip() -> None:
    pairs = [{"key": "a", "value": "1"}, {"key": "b", "value": ""}]
    assert tags.to_pairs(tags.from_pairs(pairs, "key", "value"), "key", "value") == pairs


def test_a_services_own_wording() -> None:
    rules = tags.Rules(messages=(("reserved", "System tags cannot be added/updated by requester"),))
    with pytest.raises(AwsError) as e:
        tags.check({"aws:x": "v"}, rules)
    assert e.value.message == "System tags cannot be added/updated by requester"
    with pytest.raises(AwsError) as e:
        tags.check({"k" * 129: "v"}, rules)
    assert "128" in e.value.message
