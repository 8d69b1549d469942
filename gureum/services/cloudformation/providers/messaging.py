"""SQS and SNS resource types: AWS::SQS::Queue, AWS::SQS::QueuePolicy, AWS::SNS::Topic,
AWS::SNS::Subscription, AWS::SNS::TopicPolicy (Ref and Fn::GetAtt as AWS documents them)."""

from __future__ import annotations

from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    deleting,
    policy_text,
    provider,
    text,
    updating,
)

_QUEUE_ATTRS = ("ContentBasedDeduplication", "DeduplicationScope", "DelaySeconds", "FifoQueue", "FifoThroughputLimit",
                "KmsDataKeyReusePeriodSeconds", "KmsMasterKeyId", "MaximumMessageSize", "MessageRetentionPeriod",
                "ReceiveMessageWaitTimeSeconds", "RedriveAllowPolicy", "RedrivePolicy", "SqsManagedSseEnabled",
                "VisibilityTimeout")


def _queue_attributes(props: dict[str, Any]) -> dict[str, str]:
    return {k: text(props[k]) for k in _QUEUE_ATTRS if k in props}


def _queue_done(ctx: ResourceContext, url: str, name: str) -> Done:
    return Done(url, {"Arn": arns.sqs_queue(ctx.region, ctx.account, name), "QueueName": name, "QueueUrl": url})


@provider("AWS::SQS::Queue")
async def create_queue(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    fifo = str(props.get("FifoQueue", "")).lower() == "true"
    name = props.get("QueueName") or (ctx.name(80 - 5) + ".fifo" if fifo else ctx.name(80))
    params: dict[str, Any] = {"QueueName": name, "Attributes": _queue_attributes(props)}
    tags = ctx.tag_list(props)
    if tags:
        params["tags"] = {t["Key"]: t["Value"] for t in tags}
    url = (await ctx.call("sqs", "CreateQueue", params))["QueueUrl"]
    return _queue_done(ctx, url, name)


@updating("AWS::SQS::Queue")
async def update_queue(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    attrs = _queue_attributes(new)
    for k in _QUEUE_ATTRS:
        if k in old and k not in new and k not in ("FifoQueue",):
            attrs[k] = ""  # back to the default
    attrs = {k: v for k, v in attrs.items() if v != "" or k in ("RedrivePolicy", "RedriveAllowPolicy")}
    if attrs:
        await ctx.call("sqs", "SetQueueAttributes", {"QueueUrl": physical, "Attributes": attrs})
    return done


@deleting("AWS::SQS::Queue")
async def delete_queue(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        await ctx.call("sqs", "DeleteQueue", {"QueueUrl": physical})
    except AwsError as e:
        if "NonExistentQueue" not in e.code:
            raise


@provider("AWS::SQS::QueuePolicy")
async def create_queue_policy(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    for url in props.get("Queues") or ():
        await ctx.call("sqs", "SetQueueAttributes", {"QueueUrl": url, "Attributes": {"Policy": policy_text(props["PolicyDocument"])}})
    return Done(ctx.name())


@updating("AWS::SQS::QueuePolicy")
async def update_queue_policy(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    for url in set(old.get("Queues") or ()) - set(new.get("Queues") or ()):
        await ctx.call("sqs", "SetQueueAttributes", {"QueueUrl": url, "Attributes": {"Policy": ""}})
    await create_queue_policy(ctx, new)
    return done


@deleting("AWS::SQS::QueuePolicy")
async def delete_queue_policy(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    for url in props.get("Queues") or ():
        try:
            await ctx.call("sqs", "SetQueueAttributes", {"QueueUrl": url, "Attributes": {"Policy": ""}})
        except AwsError:
            pass  # the queue went first


_TOPIC_ATTRS = ("DisplayName", "KmsMasterKeyId", "FifoTopic", "ContentBasedDeduplication", "SignatureVersion",
                "TracingConfig", "ArchivePolicy", "FifoThroughputScope")


@provider("AWS::SNS::Topic")
async def create_topic(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    fifo = str(props.get("FifoTopic", "")).lower() == "true"
    name = props.get("TopicName") or (ctx.name(256 - 5) + ".fifo" if fifo else ctx.name(256))
    params: dict[str, Any] = {"Name": name, "Attributes": {k: text(props[k]) for k in _TOPIC_ATTRS if k in props}}
    if props.get("DataProtectionPolicy"):
        params["DataProtectionPolicy"] = policy_text(props["DataProtectionPolicy"])
    tags = ctx.tag_list(props)
    if tags:
        params["Tags"] = tags
    topic = (await ctx.call("sns", "CreateTopic", params))["TopicArn"]
    for sub in props.get("Subscription") or ():
        await ctx.call("sns", "Subscribe", {"TopicArn": topic, "Protocol": sub["Protocol"], "Endpoint": sub["Endpoint"]})
    return Done(topic, {"TopicArn": topic, "TopicName": name})


@updating("AWS::SNS::Topic")
async def update_topic(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    for k in _TOPIC_ATTRS:
        if old.get(k) != new.get(k) and k not in ("FifoTopic",):
            await ctx.call("sns", "SetTopicAttributes", {"TopicArn": physical, "AttributeName": k,
                                                         "AttributeValue": text(new.get(k, ""))})
    return done


@deleting("AWS::SNS::Topic")
async def delete_topic(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await ctx.call("sns", "DeleteTopic", {"TopicArn": physical})


_SUB_ATTRS = ("DeliveryPolicy", "FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy",
              "SubscriptionRoleArn", "ReplayPolicy")


@provider("AWS::SNS::Subscription")
async def create_subscription(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    attrs = {k: text(props[k]) for k in _SUB_ATTRS if k in props}
    params: dict[str, Any] = {"TopicArn": props["TopicArn"], "Protocol": props["Protocol"], "ReturnSubscriptionArn": True}
    if "Endpoint" in props:
        params["Endpoint"] = props["Endpoint"]
    if attrs:
        params["Attributes"] = attrs
    sub = (await ctx.call("sns", "Subscribe", params))["SubscriptionArn"]
    return Done(sub, {"Arn": sub})


@updating("AWS::SNS::Subscription")
async def update_subscription(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    for k in _SUB_ATTRS:
        if old.get(k) != new.get(k):
            await ctx.call("sns", "SetSubscriptionAttributes", {"SubscriptionArn": physical, "AttributeName": k,
                                                                "AttributeValue": text(new.get(k, ""))})
    return done


@deleting("AWS::SNS::Subscription")
async def delete_subscription(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        await ctx.call("sns", "Unsubscribe", {"SubscriptionArn": physical})
    except AwsError as e:
        if e.code != "NotFound":
            raise


@provider("AWS::SNS::TopicPolicy")
async def create_topic_policy(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    for topic in props.get("Topics") or ():
        await ctx.call("sns", "SetTopicAttributes", {"TopicArn": topic, "AttributeName": "Policy",
                                                     "AttributeValue": policy_text(props["PolicyDocument"])})
    return Done(ctx.name())


@updating("AWS::SNS::TopicPolicy")
async def update_topic_policy(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    await create_topic_policy(ctx, new)
    return done


@deleting("AWS::SNS::TopicPolicy")
async def delete_topic_policy(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    return None  # AWS leaves the topic's policy at its default when the topic stays
