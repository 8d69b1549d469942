"""Lifecycle policies: ECR's rule semantics (sans-IO), validation, preview and real runs."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

from gureum.services.ecr.lifecycle import DAY, PolicyError, evaluate, parse_policy

NOW = 1_800_000_000.0


def policy(*rules: dict) -> str:
    return json.dumps({"rules": list(rules)})


def rule(prio: int, status: str, count_type: str = "imageCountMoreThan", n: int = 1, **sel) -> dict:
    selection = {"tagStatus": status, "countType": count_type, "countNumber": n, **sel}
    if count_type == "sinceImagePushed":
        selection["countUnit"] = "days"
    return {"rulePriority": prio, "selection": selection, "action": {"type": "expire"}}


def img(digest: str, tags: list[str], age_days: float) -> dict:
    return {"digest": digest, "tags": tags, "pushedAt": NOW - age_days * DAY}


def expired(text: str, images: list[dict]) -> dict[str, int]:
    return {e.digest: e.rule_priority for e in evaluate(parse_policy(text), images, NOW)}


def test_count_rule_keeps_the_newest_n():
    images = [img("a", ["v1"], 3), img("b", ["v2"], 2), img("c", ["v3"], 1)]
    assert expired(policy(rule(1, "tagged", n=2, tagPrefixList=["v"])), images) == {"a": 1}


def test_since_pushed_rule_expires_older_images():
    images = [img("a", [], 10), img("b", [], 5), img("c", [], 1)]
    assert expired(policy(rule(1, "untagged", "sinceImagePushed", 4)), images) == {"a": 1, "b": 1}


def test_higher_priority_match_shields_image_from_lower_rules():
    # prod images match rule 1 (keep 5) and are therefore out of reach of rule 2 (any, keep 1)
    images = [img(f"p{i}", [f"prod-{i}"], i) for i in range(3)] + [img(f"d{i}", [f"dev-{i}"], i + 0.5) for i in range(3)]
    out = expired(policy(rule(1, "tagged", n=5, tagPrefixList=["prod"]), rule(2, "any", n=1)), images)
    assert out == {"d1": 2, "d2": 2}


def test_an_image_is_expired_by_at_most_one_rule():
    images = [img("a", ["x1"], 9), img("b", ["x2"], 8)]
    got = evaluate(parse_policy(policy(rule(1, "tagged", n=1, tagPrefixList=["x"]), rule(2, "any", n=1))), images, NOW)
    assert [e.digest for e in got] == ["a"] and got[0].rule_priority == 1


def test_prefix_and_pattern_lists_need_every_entry_to_match_some_tag():
    images = [img("a", ["prod", "v1"], 3), img("b", ["prod"], 2), img("c", ["v1-prod-x"], 1.5)]
    # only "a" has a tag for each prefix; one selected image is within a count of 1
    assert expired(policy(rule(1, "tagged", n=1, tagPrefixList=["prod", "v1"])), images) == {}
    assert expired(policy(rule(1, "tagged", "sinceImagePushed", 1, tagPrefixList=["prod", "v1"])), images) == {"a": 1}
    r = rule(1, "tagged", "sinceImagePushed", 1, tagPatternList=["*prod*", "v1*"])
    assert expired(policy(r), images) == {"a": 1, "c": 1}
    assert expired(policy(rule(1, "tagged", "sinceImagePushed", 1, tagPatternList=["v*-prod-*"])), images) == {"c": 1}
    assert expired(policy(rule(1, "tagged", "sinceImagePushed", 1, tagPatternList=["prod"])), images) == {"a": 1, "b": 1}


def test_rule_order_is_by_priority_not_position():
    images = [img("a", ["x"], 5), img("b", [], 5)]
    text = policy(rule(20, "any", "sinceImagePushed", 1), rule(10, "tagged", n=5, tagPrefixList=["x"]))
    assert expired(text, images) == {"b": 20}


@pytest.mark.parametrize("bad", [
    policy(rule(1, "tagged", n=1)),  # tagged needs a list
    policy(rule(1, "untagged", n=1, tagPrefixList=["a"])),
    policy(rule(1, "tagged", n=1, tagPrefixList=["a"], tagPatternList=["b"])),
    policy(rule(1, "tagged", n=1, tagPatternList=["a*b*c*d*e*f"])),  # > 4 wildcards
    policy(rule(1, "untagged", n=1), rule(1, "any", n=2)),  # duplicate priority
    policy(rule(1, "untagged", n=1), rule(2, "untagged", n=2)),  # two untagged rules
    policy(rule(1, "any", n=1), rule(2, "untagged", n=1)),  # any not last
    policy({"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "sinceImagePushed", "countNumber": 1}, "action": {"type": "expire"}}),
    policy({"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}, "action": {"type": "delete"}}),
    "not json",
    json.dumps({"rules": []}),
])
def test_invalid_policies_are_rejected(bad):
    with pytest.raises(PolicyError):
        parse_policy(bad)


# --- end to end ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ecr(gureum):
    return gureum.client("ecr")


def _pad(text: str) -> str:
    return text if len(text) >= 100 else text[:-1] + " " * (100 - len(text)) + "}"


def test_preview_then_put_runs_the_policy(ecr, gureum):
    from ecr.ocihttp import Registry

    reg = Registry(gureum.endpoint)
    name = f"life/{uuid.uuid4().hex[:8]}"
    digests = []
    for i in range(4):
        d, _ = reg.image(name, f"v{i}", [f"layer{i}".encode()])
        digests.append(d)
        time.sleep(0.01)  # real time: each image pushed at a later instant (the rule keeps the newest)
    untagged, _ = reg.image(name, None, [b"loose"])
    text = _pad(policy(rule(1, "tagged", n=2, tagPrefixList=["v"]), rule(2, "any", "sinceImagePushed", 1)))
    with pytest.raises(ClientError) as e:
        ecr.get_lifecycle_policy_preview(repositoryName=name)
    assert e.value.response["Error"]["Code"] == "LifecyclePolicyPreviewNotFoundException"
    ecr.start_lifecycle_policy_preview(repositoryName=name, lifecyclePolicyText=text)
    prev = ecr.get_lifecycle_policy_preview(repositoryName=name)
    assert prev["status"] == "COMPLETE"
    assert {r["imageDigest"] for r in prev["previewResults"]} == set(digests[:2])
    assert all(r["action"]["type"] == "EXPIRE" and r["appliedRulePriority"] == 1 for r in prev["previewResults"])
    assert prev["summary"]["expiringImageTotalCount"] == 2
    # nothing was deleted by the preview
    assert len(ecr.describe_images(repositoryName=name)["imageDetails"]) == 5
    ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=text)
    assert ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"] == text
    left = wait_for("the policy's run to leave 3 images", lambda: len(got := {i["imageDigest"] for i in ecr.describe_images(repositoryName=name)["imageDetails"]}) == 3 and got, timeout=30, interval=0.1)
    assert left == {digests[2], digests[3], untagged}
    assert "lastEvaluatedAt" in ecr.get_lifecycle_policy(repositoryName=name)
    ecr.delete_lifecycle_policy(repositoryName=name)
    with pytest.raises(ClientError) as e:
        ecr.get_lifecycle_policy(repositoryName=name)
    assert e.value.response["Error"]["Code"] == "LifecyclePolicyNotFoundException"


def test_put_lifecycle_policy_validates(ecr, gureum):
    name = f"life/{uuid.uuid4().hex[:8]}"
    ecr.create_repository(repositoryName=name)
    with pytest.raises(ClientError) as e:
        ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=_pad(policy(rule(1, "tagged", n=1))))
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
