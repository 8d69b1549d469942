"""Lex V2 tags and resource policies through boto3, in a `--auth strict` gureum (where the
gate evaluates a same-account caller's resource policies): TagResource, UntagResource and
ListTagsForResource on a bot and its test alias, with the reserved-key rule (also at
CreateBot) and unknown ARNs; CreateResourcePolicy, DescribeResourcePolicy,
UpdateResourcePolicy and DeleteResourcePolicy with revision ids and AWS's errors, a Deny in a
bot's policy refusing even the account root until the policy allows it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from harness import GureumProcess

A = "503000000001"
ROOT = ("lexroot", "lexsecret")


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path_factory.mktemp("lexstrict") / "data", [
        "--auth", "strict", "--set", f"auth.keys={ROOT[0]}:{ROOT[1]}:{A}", "--set", "ecs.enabled=0"])
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def models(strict: GureumProcess) -> Any:
    return strict.client("lexv2-models", aws_access_key_id=ROOT[0], aws_secret_access_key=ROOT[1])


def _code(call: Any) -> str:
    with pytest.raises(ClientError) as e:
        call()
    return str(e.value.response["Error"]["Code"])


def _bot(models: Any, **extra: Any) -> str:
    return str(models.create_bot(botName=f"b{uuid.uuid4().hex[:8]}", roleArn=f"arn:aws:iam::{A}:role/lex",
                                 dataPrivacy={"childDirected": False}, idleSessionTTLInSeconds=60, **extra)["botId"])


def test_tags_on_bots_and_aliases(models: Any) -> None:
    bot = _bot(models, botTags={"a": "1"})
    arn = f"arn:aws:lex:us-east-1:{A}:bot/{bot}"
    assert models.list_tags_for_resource(resourceARN=arn)["tags"] == {"a": "1"}
    models.tag_resource(resourceARN=arn, tags={"b": "2"})
    models.untag_resource(resourceARN=arn, tagKeys=["a", "absent"])
    assert models.list_tags_for_resource(resourceARN=arn)["tags"] == {"b": "2"}
    test_alias = f"arn:aws:lex:us-east-1:{A}:bot-alias/{bot}/TSTALIASID"
    models.tag_resource(resourceARN=test_alias, tags={"c": "3"})
    assert models.list_tags_for_resource(resourceARN=test_alias)["tags"] == {"c": "3"}

    with pytest.raises(ClientError) as e:
        models.tag_resource(resourceARN=arn, tags={"aws:x": "1"})
    assert e.value.response["Error"]["Code"] == "ValidationException" and "reserved" in e.value.response["Error"]["Message"]
    assert _code(lambda: _bot(models, botTags={"aws:x": "1"})) == "ValidationException"
    for missing in (f"arn:aws:lex:us-east-1:{A}:bot/NOSUCHBOT0", f"arn:aws:lex:eu-west-1:{A}:bot/{bot}",
                    f"arn:aws:lex:us-east-1:{A}:bot-alias/{bot}/NOSUCHALIA"):
        assert _code(lambda missing=missing: models.list_tags_for_resource(resourceARN=missing)) == "ResourceNotFoundException"
    models.delete_bot(botId=bot)


def test_resource_policies_and_their_errors(models: Any) -> None:
    bot = _bot(models)
    arn = f"arn:aws:lex:us-east-1:{A}:bot/{bot}"

    def doc(effect: str) -> str:
        return json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": effect, "Principal": "*", "Action": "lex:DescribeBot", "Resource": arn}]})

    assert _code(lambda: models.describe_resource_policy(resourceArn=arn)) == "ResourceNotFoundException"
    assert _code(lambda: models.create_resource_policy(resourceArn=arn, policy="{not json")) == "ValidationException"
    assert models.create_resource_policy(resourceArn=arn, policy=doc("Deny"))["revisionId"] == "1"
    assert _code(lambda: models.create_resource_policy(resourceArn=arn, policy=doc("Deny"))) == "PreconditionFailedException"
    assert _code(lambda: models.describe_bot(botId=bot)) == "AccessDeniedException"  # the root too: an explicit Deny
    assert models.list_bots()["botSummaries"]  # other actions are not denied
    assert _code(lambda: models.update_resource_policy(resourceArn=arn, policy=doc("Allow"),
                                                       expectedRevisionId="7")) == "PreconditionFailedException"
    assert models.update_resource_policy(resourceArn=arn, policy=doc("Allow"), expectedRevisionId="1")["revisionId"] == "2"
    assert models.describe_bot(botId=bot)["botId"] == bot
    got = models.describe_resource_policy(resourceArn=arn)
    assert (got["resourceArn"], json.loads(got["policy"]), got["revisionId"]) == (arn, json.loads(doc("Allow")), "2")
    assert _code(lambda: models.delete_resource_policy(resourceArn=arn, expectedRevisionId="1")) == "PreconditionFailedException"
    deleted = models.delete_resource_policy(resourceArn=arn, expectedRevisionId="2")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204  # Lex's answer: no content
    assert _code(lambda: models.delete_resource_policy(resourceArn=arn)) == "ResourceNotFoundException"
    assert _code(lambda: models.create_resource_policy(resourceArn=f"arn:aws:lex:us-east-1:{A}:bot/NOSUCHBOT0",
                                                       policy=doc("Allow"))) == "ResourceNotFoundException"
    models.delete_bot(botId=bot)
