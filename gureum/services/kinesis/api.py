"""Kinesis handlers: read the parameters, run one store transaction of the model, shape the
answer. Operations not listed here (or in api_consumers.py, api_policies.py) answer 501."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gureum.aws.dispatch import Handler, RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.kinesis import consumers as C
from gureum.services.kinesis import records as R
from gureum.services.kinesis import resource_policy as P
from gureum.services.kinesis import streams as K
from gureum.services.kinesis.settings import KinesisSettings
from gureum.services.kinesis.slots import LIMITER
from gureum.store import Txn


def kin(name: str) -> Callable[[Handler], Handler]:
    return operation("kinesis", name)


def _settings(ctx: RequestContext) -> KinesisSettings:
    return ctx.app.settings(KinesisSettings)


def _settle(ctx: RequestContext) -> int:
    return int(_settings(ctx).transition_seconds * 1000)


def _limiter(ctx: RequestContext) -> R.WriteLimiter:
    return ctx.app.parts.lazy(LIMITER, lambda: R.WriteLimiter(_settings(ctx).shard_write_limit))


# -- streams -----------------------------------------------------------------------------------

@kin("CreateStream")
async def create_stream(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    s = _settings(ctx)
    await ctx.app.store.run(lambda t: K.create(t, ctx.account_id, ctx.region, params, K.now_ms(), _settle(ctx), s.shard_limit))
    return {}


@kin("DeleteStream")
async def delete_stream(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> None:
        doc = K.delete(t, ctx.account_id, ctx.region, params, C.count)
        key = K.stream_key(ctx.account_id, ctx.region, doc["StreamName"])
        R.drop_stream(t, key)
        C.drop_stream(t, key)
        P.drop_stream(t, key)

    await ctx.app.store.run(txn)
    return {}


@kin("DescribeStream")
async def describe_stream(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> dict[str, Any]:
        key, doc = K.get(t, ctx.account_id, ctx.region, params)
        return K.describe(t, key, doc, params.get("Limit"), params.get("ExclusiveStartShardId"), K.now_ms())

    return {"StreamDescription": await ctx.app.store.read(txn)}


@kin("DescribeStreamSummary")
async def describe_stream_summary(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> dict[str, Any]:
        key, doc = K.get(t, ctx.account_id, ctx.region, params, shared=True)
        return K.summary(t, key, doc, C.count(t, key), K.now_ms())

    return {"StreamDescriptionSummary": await ctx.app.store.read(txn)}


@kin("ListStreams")
async def list_streams(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.read(lambda t: K.list_streams(t, ctx.account_id, ctx.region, params, K.now_ms()))


@kin("ListShards")
async def list_shards(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.read(lambda t: K.list_shards(t, ctx.account_id, ctx.region, params, K.now_ms()))


@kin("DescribeLimits")
async def describe_limits(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    limit = _settings(ctx).shard_limit
    open_shards = await ctx.app.store.read(lambda t: K.open_shard_total(t, ctx.account_id, ctx.region))
    streams = await ctx.app.store.read(lambda t: [d for _, d in t.scan(K.STREAMS, f"{ctx.account_id}/{ctx.region}/")])
    on_demand = sum(1 for d in streams if d["mode"] == "ON_DEMAND")
    return {"ShardLimit": limit, "OpenShardCount": open_shards, "OnDemandStreamCount": on_demand,
            "OnDemandStreamCountLimit": 50}


@kin("IncreaseStreamRetentionPeriod")
async def increase_retention(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: K.set_retention(t, ctx.account_id, ctx.region, params, True))
    return {}


@kin("DecreaseStreamRetentionPeriod")
async def decrease_retention(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: K.set_retention(t, ctx.account_id, ctx.region, params, False))
    return {}


@kin("StartStreamEncryption")
async def start_stream_encryption(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: K.set_encryption(t, ctx.account_id, ctx.region, params, True, _settle(ctx), K.now_ms()))
    return {}


@kin("StopStreamEncryption")
async def stop_stream_encryption(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: K.set_encryption(t, ctx.account_id, ctx.region, params, False, _settle(ctx), K.now_ms()))
    return {}


@kin("EnableEnhancedMonitoring")
async def enable_monitoring(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.run(lambda t: K.set_monitoring(t, ctx.account_id, ctx.region, params, True))


@kin("DisableEnhancedMonitoring")
async def disable_monitoring(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.run(lambda t: K.set_monitoring(t, ctx.account_id, ctx.region, params, False))


@kin("UpdateStreamMode")
async def update_stream_mode(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: K.update_mode(t, ctx.account_id, ctx.region, params, _settle(ctx), K.now_ms()))
    return {}


# -- resharding --------------------------------------------------------------------------------

@kin("SplitShard")
async def split_shard(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    s = _settings(ctx)
    await ctx.app.store.run(lambda t: K.split(t, ctx.account_id, ctx.region, params, _settle(ctx), K.now_ms(), s.shard_limit))
    return {}


@kin("MergeShards")
async def merge_shards(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: K.merge(t, ctx.account_id, ctx.region, params, _settle(ctx), K.now_ms()))
    return {}


@kin("UpdateShardCount")
async def update_shard_count(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    s = _settings(ctx)
    return await ctx.app.store.run(
        lambda t: K.update_count(t, ctx.account_id, ctx.region, params, _settle(ctx), K.now_ms(), s.shard_limit))


# -- records -----------------------------------------------------------------------------------

def _meter(ctx: RequestContext, result: R.PutResult) -> None:
    if result.payload_units:
        ctx.app.ledger.record(ctx.account_id, "kinesis", {"region": ctx.region, "put_payload_units": result.payload_units,
                                                          "bytes": result.stored_bytes})


@kin("PutRecord")
async def put_record(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    limiter = _limiter(ctx)
    rec = {k: params[k] for k in ("Data", "PartitionKey", "ExplicitHashKey") if params.get(k) is not None}
    result = await ctx.app.store.run(
        lambda t: R.put(t, ctx.account_id, ctx.region, params, [rec], K.now_ms(), limiter))
    _meter(ctx, result)
    entry = result.entries[0]
    if "ErrorCode" in entry:
        raise AwsError.modeled("kinesis", "ProvisionedThroughputExceededException", entry["ErrorMessage"])
    return {**entry, "EncryptionType": result.encryption}


@kin("PutRecords")
async def put_records(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    limiter = _limiter(ctx)
    result = await ctx.app.store.run(
        lambda t: R.put(t, ctx.account_id, ctx.region, params, params["Records"], K.now_ms(), limiter))
    _meter(ctx, result)
    return {"FailedRecordCount": result.failed, "Records": result.entries, "EncryptionType": result.encryption}


@kin("GetShardIterator")
async def get_shard_iterator(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"ShardIterator": await ctx.app.store.read(lambda t: R.iterator(t, ctx.account_id, ctx.region, params, K.now_ms()))}


@kin("GetRecords")
async def get_records(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.read(
        lambda t: R.get_records(t, ctx.account_id, ctx.region, params["ShardIterator"], params.get("Limit"), K.now_ms(),
                                params.get("StreamARN")))


# -- tags --------------------------------------------------------------------------------------

@kin("AddTagsToStream")
async def add_tags_to_stream(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: K.add_tags(t, ctx.account_id, ctx.region, params, dict(params["Tags"])))
    return {}


@kin("RemoveTagsFromStream")
async def remove_tags_from_stream(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: K.remove_tags(t, ctx.account_id, ctx.region, params, list(params["TagKeys"])))
    return {}


@kin("ListTagsForStream")
async def list_tags_for_stream(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.read(lambda t: K.list_tags(t, ctx.account_id, ctx.region, params))


def _by_arn(params: dict[str, Any]) -> dict[str, Any]:
    arn = params["ResourceARN"]
    if "/consumer/" in arn:
        raise AwsError.common("NotImplemented", "gureum's Kinesis does not tag stream consumers yet")
    return {"StreamARN": arn}


@kin("TagResource")
async def tag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: K.add_tags(t, ctx.account_id, ctx.region, _by_arn(params), dict(params["Tags"])))
    return {}


@kin("UntagResource")
async def untag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: K.remove_tags(t, ctx.account_id, ctx.region, _by_arn(params), list(params["TagKeys"])))
    return {}


@kin("ListTagsForResource")
async def list_tags_for_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    out = await ctx.app.store.read(lambda t: K.list_tags(t, ctx.account_id, ctx.region, {**_by_arn(params), "Limit": 50}))
    return {"Tags": out["Tags"]}
