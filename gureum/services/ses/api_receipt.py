"""SES v1 receipt rule handlers: rule sets, rules, the active set, and IP address filters
(filters.py). A rule's S3 bucket and SNS topics are checked to exist when it is written
(InvalidS3Configuration, InvalidSnsTopic), as AWS checks it can deliver there."""

from __future__ import annotations

import time
from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.ports import TOPICS, port
from gureum.services.s3 import port as s3_port
from gureum.services.ses import filters, receipt


async def _check_targets(ctx: RequestContext, rule: dict[str, Any]) -> None:
    topics = port(ctx.app, TOPICS)
    for action in rule["Actions"]:
        for kind, body in action.items():
            if not body:
                continue
            if kind == "S3Action":
                try:
                    await s3_port.bucket_facts(ctx.app, body["BucketName"])
                except AwsError:
                    raise AwsError.modeled("ses", "InvalidS3ConfigurationException",
                                           f"Could not write to bucket: {body['BucketName']}",
                                           Bucket=body["BucketName"]) from None
            topic = body.get("TopicArn")
            if topic and not await topics.exists(topic):
                raise AwsError.modeled("ses", "InvalidSnsTopicException", f"Invalid SNS topic <{topic}>.", Topic=topic)


def _rule_out(rule: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rule.items() if v is not None}


@operation("ses", "CreateReceiptRuleSet")
async def create_receipt_rule_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: receipt.create_set(t, ctx.account_id, ctx.region, params["RuleSetName"], time.time()))
    return {}


@operation("ses", "CloneReceiptRuleSet")
async def clone_receipt_rule_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def run(t: Any) -> None:
        original = receipt.get_set(t, ctx.account_id, ctx.region, params["OriginalRuleSetName"])
        receipt.create_set(t, ctx.account_id, ctx.region, params["RuleSetName"], time.time(), list(original["Rules"]))

    await ctx.app.store.run(run)
    return {}


@operation("ses", "DeleteReceiptRuleSet")
async def delete_receipt_rule_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: receipt.delete_set(t, ctx.account_id, ctx.region, params["RuleSetName"]))
    return {}


@operation("ses", "DescribeReceiptRuleSet")
async def describe_receipt_rule_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: receipt.get_set(t, ctx.account_id, ctx.region, params["RuleSetName"]))
    return {"Metadata": {"Name": doc["Name"], "CreatedTimestamp": doc["CreatedTimestamp"]},
            "Rules": [_rule_out(r) for r in doc["Rules"]]}


@operation("ses", "ListReceiptRuleSets")
async def list_receipt_rule_sets(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    sets = await ctx.app.store.read(lambda t: receipt.list_sets(t, ctx.account_id, ctx.region))
    return {"RuleSets": sets}


@operation("ses", "CreateReceiptRule")
async def create_receipt_rule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    rule = receipt.check_rule(params["Rule"])
    await _check_targets(ctx, rule)
    await ctx.app.store.run(lambda t: receipt.create_rule(t, ctx.account_id, ctx.region, params["RuleSetName"], rule,
                                                          params.get("After")))
    return {}


@operation("ses", "UpdateReceiptRule")
async def update_receipt_rule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    rule = receipt.check_rule(params["Rule"])
    await _check_targets(ctx, rule)
    await ctx.app.store.run(lambda t: receipt.update_rule(t, ctx.account_id, ctx.region, params["RuleSetName"], rule))
    return {}


@operation("ses", "DescribeReceiptRule")
async def describe_receipt_rule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    rule = await ctx.app.store.read(lambda t: receipt.describe_rule(t, ctx.account_id, ctx.region, params["RuleSetName"],
                                                                    params["RuleName"]))
    return {"Rule": _rule_out(rule)}


@operation("ses", "DeleteReceiptRule")
async def delete_receipt_rule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: receipt.delete_rule(t, ctx.account_id, ctx.region, params["RuleSetName"],
                                                          params["RuleName"]))
    return {}


@operation("ses", "ReorderReceiptRuleSet")
async def reorder_receipt_rule_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: receipt.reorder(t, ctx.account_id, ctx.region, params["RuleSetName"],
                                                      list(params["RuleNames"])))
    return {}


@operation("ses", "SetReceiptRulePosition")
async def set_receipt_rule_position(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: receipt.set_position(t, ctx.account_id, ctx.region, params["RuleSetName"],
                                                           params["RuleName"], params.get("After")))
    return {}


@operation("ses", "SetActiveReceiptRuleSet")
async def set_active_receipt_rule_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: receipt.set_active(t, ctx.account_id, ctx.region, params.get("RuleSetName")))
    return {}


@operation("ses", "DescribeActiveReceiptRuleSet")
async def describe_active_receipt_rule_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: receipt.active(t, ctx.account_id, ctx.region))
    if doc is None:
        return {}
    return {"Metadata": {"Name": doc["Name"], "CreatedTimestamp": doc["CreatedTimestamp"]},
            "Rules": [_rule_out(r) for r in doc["Rules"]]}


# --- IP address filters ----------------------------------------------------------------------

@operation("ses", "CreateReceiptFilter")
async def create_receipt_filter(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: filters.create(t, ctx.account_id, ctx.region, params["Filter"]))
    return {}


@operation("ses", "DeleteReceiptFilter")
async def delete_receipt_filter(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: filters.delete(t, ctx.account_id, ctx.region, params["FilterName"]))
    return {}


@operation("ses", "ListReceiptFilters")
async def list_receipt_filters(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"Filters": await ctx.app.store.read(lambda t: filters.listing(t, ctx.account_id, ctx.region))}
