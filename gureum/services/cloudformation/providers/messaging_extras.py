"""One queue's or one topic's whole access policy, made by the sqs and sns services' own
handlers: AWS::SQS::QueueInlinePolicy (Ref: the queue URL, its primary identifier) and
AWS::SNS::TopicInlinePolicy (Ref: the topic ARN). AWS documents no Fn::GetAtt for either.
Queue / TopicArn replace the resource (the engine decides); PolicyDocument changes in place.
Deleting a queue's inline policy removes the queue's policy; deleting a topic's sets the
topic's policy back to SNS's default one (the owner's account may use the topic), as AWS's
handler does, so no grant the stack made outlives it."""

from __future__ import annotations

import json
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    deleting,
    policy_text,
    provider,
    refuse_unapplied,
    updating,
)

Q, T = "AWS::SQS::QueueInlinePolicy", "AWS::SNS::TopicInlinePolicy"


async def _set_queue_policy(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(Q, props, ("PolicyDocument", "Queue"))
    url = str(props["Queue"])
    await ctx.call("sqs", "SetQueueAttributes", {"QueueUrl": url, "Attributes": {"Policy": policy_text(props["PolicyDocument"])}})
    return Done(url, {})


@provider(Q)
async def create_queue_inline_policy(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    return await _set_queue_policy(ctx, props)


@updating(Q)
async def update_queue_inline_policy(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                     done: Done) -> Done:
    return await _set_queue_policy(ctx, new)


@deleting(Q)
async def delete_queue_inline_policy(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        await ctx.call("sqs", "SetQueueAttributes", {"QueueUrl": physical, "Attributes": {"Policy": ""}})
    except AwsError as e:
        if "NonExistentQueue" not in e.code and e.code != "QueueDoesNotExist":
            raise


async def _set_topic_policy(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(T, props, ("PolicyDocument", "TopicArn"))
    arn = str(props["TopicArn"])
    await ctx.call("sns", "SetTopicAttributes", {"TopicArn": arn, "AttributeName": "Policy",
                                                 "AttributeValue": policy_text(props["PolicyDocument"])})
    return Done(arn, {})


@provider(T)
async def create_topic_inline_policy(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    return await _set_topic_policy(ctx, props)


@updating(T)
async def update_topic_inline_policy(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                     done: Done) -> Done:
    return await _set_topic_policy(ctx, new)


def default_topic_policy(arn: str, account: str) -> str:
    """The policy a topic has before any is set: the owner's account may use it."""
    return json.dumps({
        "Version": "2008-10-17", "Id": "__default_policy_ID",
        "Statement": [{
            "Sid": "__default_statement_ID", "Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission",
                       "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"],
            "Resource": arn, "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
        }],
    }, separators=(",", ":"))


@deleting(T)
async def delete_topic_inline_policy(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        await ctx.call("sns", "SetTopicAttributes", {"TopicArn": physical, "AttributeName": "Policy",
                                                     "AttributeValue": default_topic_policy(physical, physical.split(":")[4])})
    except AwsError as e:
        if e.code != "NotFound":
            raise
