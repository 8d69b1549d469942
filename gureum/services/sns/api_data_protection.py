"""SNS data protection policy operations (data_protection.py); the policy lives in the
topic's document, and Publish applies it (api.py)."""

from __future__ import annotations

from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.services.sns import data_protection, topics


def store_policy(t: Any, arn: str, region: str, text: str, param: str = "ResourceArn") -> None:
    """Keep `text` (already checked) as the topic's policy; "" removes it."""
    topic = topics.get_topic(t, arn, region, param)
    if text:
        topic["data_protection"] = text
    else:
        topic.pop("data_protection", None)
    t.put(topics.TOPICS, topics.topic_key(topic["account"], topic["region"], topic["name"]), topic)


@operation("sns", "PutDataProtectionPolicy")
async def put_data_protection_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    text = params["DataProtectionPolicy"]
    if text:
        data_protection.check(text)
    await ctx.app.store.run(lambda t: store_policy(t, params["ResourceArn"], ctx.region, text))
    return {}


@operation("sns", "GetDataProtectionPolicy")
async def get_data_protection_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    topic = await ctx.app.store.read(lambda t: topics.get_topic(t, params["ResourceArn"], ctx.region, "ResourceArn"))
    text = topic.get("data_protection")
    return {"DataProtectionPolicy": text} if text else {}
