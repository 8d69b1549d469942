"""DynamoDB handlers: read the parameters, run one store transaction of the model, shape the
answer (ConsumedCapacity included). Operations not listed here answer 501."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from gureum.aws import tags
from gureum.aws.dispatch import Handler, RequestContext, operation
from gureum.services.dynamodb import backups as BK
from gureum.services.dynamodb import batch as B
from gureum.services.dynamodb import capacity as C
from gureum.services.dynamodb import exports as EX
from gureum.services.dynamodb import global_tables as GT
from gureum.services.dynamodb import imports as IM
from gureum.services.dynamodb import items as I
from gureum.services.dynamodb import kinesis_dest as KD
from gureum.services.dynamodb import metering as M
from gureum.services.dynamodb import operations as O
from gureum.services.dynamodb import partiql as P
from gureum.services.dynamodb import query as Q
from gureum.services.dynamodb import resource_policy as RP
from gureum.services.dynamodb import stream_spec as SS
from gureum.services.dynamodb import tables as T
from gureum.services.dynamodb import values as V
from gureum.services.dynamodb.values import invalid
from gureum.store import Txn

TAG_RULES = tags.Rules(invalid=invalid, too_many_message="The number of tags exceeds the limit of {max}.")


def ddb(name: str) -> Callable[[Handler], Handler]:
    register = operation("dynamodb", name)
    if name in M.DATA_PLANE:  # on-demand request units go to the usage ledger (metering.py)
        return lambda fn: register(M.metered(fn))
    return register


# -- tables -----------------------------------------------------------------------------------

@ddb("CreateTable")
async def create_table(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> dict[str, Any]:
        if params.get("Tags"):
            tags.check([(x["Key"], x["Value"]) for x in params["Tags"]], TAG_RULES)
        doc = T.create(t, ctx.account_id, ctx.region, params, time.time())
        if params.get("StreamSpecification"):
            SS.apply(t, ctx.account_id, ctx.region, doc, params["StreamSpecification"], int(time.time() * 1000), creating=True)
            T.put(t, ctx.account_id, ctx.region, doc)
        return T.describe(t, ctx.account_id, ctx.region, doc, "CREATING") | SS.describe(doc)

    return {"TableDescription": await ctx.app.store.run(txn)}


@ddb("DescribeTable")
async def describe_table(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> dict[str, Any]:
        doc = T.get(t, ctx.account_id, ctx.region, params["TableName"], describe=True)
        out = T.describe(t, ctx.account_id, ctx.region, doc) | SS.describe(doc) | GT.describe(t, ctx.account_id, doc)
        if doc.get("Restore"):
            out["RestoreSummary"] = BK.restore_summary_shape(doc)
        return out

    return {"Table": await ctx.app.store.read(txn)}


@ddb("ListTables")
async def list_tables(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    names, last = await ctx.app.store.read(
        lambda t: T.list_names(t, ctx.account_id, ctx.region, params.get("ExclusiveStartTableName"), params.get("Limit")))
    return {"TableNames": names, **({"LastEvaluatedTableName": last} if last else {})}


@ddb("UpdateTable")
async def update_table(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("ReplicaUpdates"):
        others = [k for k in params if k not in ("TableName", "ReplicaUpdates")]
        if others:
            raise invalid("One or more parameter values were invalid: ReplicaUpdates cannot be combined with other "
                          f"updates: {', '.join(sorted(others))}")

        def replicas(t: Txn) -> dict[str, Any]:
            creating = frozenset(u["Create"]["RegionName"] for u in params["ReplicaUpdates"] if u.get("Create"))
            doc = GT.update(t, ctx.account_id, ctx.region, params["TableName"], params["ReplicaUpdates"], time.time())
            return T.describe(t, ctx.account_id, ctx.region, doc, "UPDATING") | SS.describe(doc) | GT.describe(t, ctx.account_id, doc, creating)

        return {"TableDescription": await ctx.app.store.run(replicas)}

    def txn(t: Txn) -> dict[str, Any]:
        def backfill(t: Txn, doc: dict[str, Any], g: dict[str, Any]) -> None:
            s = I.schema(ctx.account_id, ctx.region, doc)
            I.backfill(t, s, s.index(g["IndexName"]))

        doc = T.update(t, ctx.account_id, ctx.region, params, time.time(), backfill, I.drop_index)
        if params.get("StreamSpecification"):
            SS.apply(t, ctx.account_id, ctx.region, doc, params["StreamSpecification"], int(time.time() * 1000))
            T.put(t, ctx.account_id, ctx.region, doc)
        out = T.describe(t, ctx.account_id, ctx.region, doc, "UPDATING") | SS.describe(doc)
        created = {u["Create"]["IndexName"] for u in params.get("GlobalSecondaryIndexUpdates") or [] if "Create" in u}
        for g in out.get("GlobalSecondaryIndexes", []):
            if g["IndexName"] in created:
                g["IndexStatus"] = "CREATING"
                g["Backfilling"] = True
        return out

    return {"TableDescription": await ctx.app.store.run(txn)}


@ddb("DeleteTable")
async def delete_table(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> dict[str, Any]:
        doc = T.get(t, ctx.account_id, ctx.region, params["TableName"])
        out = T.describe(t, ctx.account_id, ctx.region, doc, "DELETING") | SS.describe(doc)
        T.delete(t, ctx.account_id, ctx.region, params["TableName"])
        GT.leave(t, ctx.account_id, ctx.region, doc["TableName"], list(doc.get("Replicas") or []))
        SS.disable_on_delete(t, doc, int(time.time() * 1000))
        I.drop_table(t, T.table_key(ctx.account_id, ctx.region, doc["TableName"]))
        return out

    return {"TableDescription": await ctx.app.store.run(txn)}


@ddb("DescribeLimits")
async def describe_limits(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"AccountMaxReadCapacityUnits": 80000, "AccountMaxWriteCapacityUnits": 80000,
            "TableMaxReadCapacityUnits": 40000, "TableMaxWriteCapacityUnits": 40000}


@ddb("DescribeEndpoints")
async def describe_endpoints(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    host = ctx.request.headers.get("host") if ctx.request is not None else None
    return {"Endpoints": [{"Address": host or f"dynamodb.{ctx.region}.amazonaws.com", "CachePeriodInMinutes": 1440}]}


# -- TTL and tags -----------------------------------------------------------------------------

@ddb("UpdateTimeToLive")
async def update_time_to_live(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    spec = params["TimeToLiveSpecification"]

    def txn(t: Txn) -> None:
        doc = T.get(t, ctx.account_id, ctx.region, params["TableName"])
        cur = doc.get("Ttl")
        if spec["Enabled"]:
            if cur and cur.get("Enabled"):
                raise invalid("TimeToLive is already enabled")
        else:
            if not cur or not cur.get("Enabled"):
                raise invalid("TimeToLive is already disabled")
            if cur["AttributeName"] != spec["AttributeName"]:
                raise invalid(f"TimeToLive is active on a different AttributeName: current AttributeName is {cur['AttributeName']}")
        doc["Ttl"] = {"AttributeName": spec["AttributeName"], "Enabled": bool(spec["Enabled"])}
        T.put(t, ctx.account_id, ctx.region, doc)

    await ctx.app.store.run(txn)
    return {"TimeToLiveSpecification": {"Enabled": bool(spec["Enabled"]), "AttributeName": spec["AttributeName"]}}


@ddb("DescribeTimeToLive")
async def describe_time_to_live(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: T.get(t, ctx.account_id, ctx.region, params["TableName"]))
    ttl = doc.get("Ttl")
    if ttl and ttl.get("Enabled"):
        return {"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": ttl["AttributeName"]}}
    return {"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}


@ddb("TagResource")
async def tag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> None:
        account, region, doc = T.by_arn(t, params["ResourceArn"])
        add = tags.check([(x["Key"], x["Value"]) for x in params["Tags"]], TAG_RULES)
        doc["Tags"] = tags.apply(doc.get("Tags") or {}, add, (), TAG_RULES)
        T.put(t, account, region, doc)

    await ctx.app.store.run(txn)
    return {}


@ddb("UntagResource")
async def untag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> None:
        account, region, doc = T.by_arn(t, params["ResourceArn"])
        tags.refuse_system_removal(doc.get("Tags") or {}, params["TagKeys"], TAG_RULES)
        doc["Tags"] = tags.apply(doc.get("Tags") or {}, {}, params["TagKeys"], TAG_RULES)
        T.put(t, account, region, doc)

    await ctx.app.store.run(txn)
    return {}


@ddb("ListTagsOfResource")
async def list_tags_of_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _, _, doc = await ctx.app.store.read(lambda t: T.by_arn(t, params["ResourceArn"]))
    pairs = sorted((doc.get("Tags") or {}).items())
    return {"Tags": [{"Key": k, "Value": v} for k, v in pairs]}


# -- items ------------------------------------------------------------------------------------

def _cc(params: dict[str, Any], table: str, units: float, write: bool) -> dict[str, Any]:
    shaped = C.shape(params.get("ReturnConsumedCapacity"), table, units, write=write)
    return {"ConsumedCapacity": shaped} if shaped else {}


def _index_units(s: I.Schema, old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for ix in s.indexes:
        touched = (old is not None and I.index_key(s, ix, old) is not None) or (new is not None and I.index_key(s, ix, new) is not None)
        if touched:
            out[ix.name] = C.write_units(max(V.item_size(I.projected(s, ix, old)) if old else 0,
                                             V.item_size(I.projected(s, ix, new)) if new else 0))
    return out


def _wcc(params: dict[str, Any], s: I.Schema, table: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any]:
    mode = params.get("ReturnConsumedCapacity")
    if mode not in ("TOTAL", "INDEXES"):
        return {}
    units = C.write_units(max(V.item_size(old or {}), V.item_size(new or {})))
    shaped = C.shape(mode, table, units, write=True, indexes=_index_units(s, old, new),
                     local=frozenset(ix.name for ix in s.indexes if ix.local))
    return {"ConsumedCapacity": shaped}


@ddb("PutItem")
async def put_item(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> dict[str, Any]:
        s = O.schema_for(t, ctx.account_id, ctx.region, params["TableName"])
        old, new, out = O.put_item(t, s, params)
        return out | _wcc(params, s, T.name_of(params["TableName"]), old, new)

    return await ctx.app.store.run(txn)


@ddb("GetItem")
async def get_item(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> dict[str, Any]:
        s = O.schema_for(t, ctx.account_id, ctx.region, params["TableName"])
        item, size = O.get_item(t, s, params)
        out: dict[str, Any] = {"Item": item} if item is not None else {}
        return out | _cc(params, T.name_of(params["TableName"]), C.read_units(size, bool(params.get("ConsistentRead"))), False)

    return await ctx.app.store.read(txn)


@ddb("UpdateItem")
async def update_item(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> dict[str, Any]:
        s = O.schema_for(t, ctx.account_id, ctx.region, params["TableName"])
        old, new, out = O.update_item(t, s, params)
        return out | _wcc(params, s, T.name_of(params["TableName"]), old, new)

    return await ctx.app.store.run(txn)


@ddb("DeleteItem")
async def delete_item(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> dict[str, Any]:
        s = O.schema_for(t, ctx.account_id, ctx.region, params["TableName"])
        old, out = O.delete_item(t, s, params)
        return out | _wcc(params, s, T.name_of(params["TableName"]), old, None)

    return await ctx.app.store.run(txn)


def _listing(params: dict[str, Any], res: Q.Result) -> dict[str, Any]:
    out: dict[str, Any] = {"Count": res.count, "ScannedCount": res.scanned}
    if params.get("Select") != "COUNT":
        out["Items"] = res.items
    if res.last_key is not None:
        out["LastEvaluatedKey"] = res.last_key
    units = C.read_units(res.read_bytes, bool(params.get("ConsistentRead")))
    return out | _cc(params, T.name_of(params["TableName"]), units, False)


@ddb("Query")
async def query(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> dict[str, Any]:
        s = O.schema_for(t, ctx.account_id, ctx.region, params["TableName"])
        return _listing(params, Q.query(t, s, params))

    return await ctx.app.store.read(txn)


@ddb("Scan")
async def scan(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> dict[str, Any]:
        s = O.schema_for(t, ctx.account_id, ctx.region, params["TableName"])
        return _listing(params, Q.scan(t, s, params))

    return await ctx.app.store.read(txn)


@ddb("BatchGetItem")
async def batch_get_item(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.read(lambda t: B.batch_get(t, ctx.account_id, ctx.region, params))


@ddb("BatchWriteItem")
async def batch_write_item(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.run(lambda t: B.batch_write(t, ctx.account_id, ctx.region, params))


@ddb("TransactGetItems")
async def transact_get_items(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.read(lambda t: B.transact_get(t, ctx.account_id, ctx.region, params))


@ddb("TransactWriteItems")
async def transact_write_items(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.run(lambda t: B.transact_write(t, ctx.account_id, ctx.region, params, time.time()))


# -- PartiQL ----------------------------------------------------------------------------------

@ddb("ExecuteStatement")
async def execute_statement(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.run(lambda t: P.execute(t, ctx.account_id, ctx.region, params))


@ddb("BatchExecuteStatement")
async def batch_execute_statement(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.run(lambda t: P.batch(t, ctx.account_id, ctx.region, params))


@ddb("ExecuteTransaction")
async def execute_transaction(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.run(lambda t: P.transaction(t, ctx.account_id, ctx.region, params, time.time()))


# -- backups ----------------------------------------------------------------------------------

@ddb("CreateBackup")
async def create_backup(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"BackupDetails": await ctx.app.store.run(lambda t: BK.create(t, ctx.account_id, ctx.region, params, time.time()))}


@ddb("DescribeBackup")
async def describe_backup(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"BackupDescription": await ctx.app.store.read(lambda t: BK.describe_backup(t, params["BackupArn"], ctx.account_id))}


@ddb("DeleteBackup")
async def delete_backup(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"BackupDescription": await ctx.app.store.run(lambda t: BK.delete(t, params["BackupArn"], ctx.account_id))}


@ddb("ListBackups")
async def list_backups(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.read(lambda t: BK.list_backups(t, ctx.account_id, ctx.region, params))


@ddb("RestoreTableFromBackup")
async def restore_table_from_backup(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"TableDescription": await ctx.app.store.run(lambda t: BK.restore(t, ctx.account_id, ctx.region, params, time.time()))}


@ddb("RestoreTableToPointInTime")
async def restore_table_to_point_in_time(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"TableDescription": await ctx.app.store.run(
        lambda t: BK.restore_to_point_in_time(t, ctx.account_id, ctx.region, params, time.time()))}


@ddb("DescribeContinuousBackups")
async def describe_continuous_backups(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    out = await ctx.app.store.read(lambda t: BK.describe_continuous(t, ctx.account_id, ctx.region, params["TableName"], time.time()))
    return {"ContinuousBackupsDescription": out}


@ddb("UpdateContinuousBackups")
async def update_continuous_backups(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    out = await ctx.app.store.run(lambda t: BK.update_continuous(t, ctx.account_id, ctx.region, params, time.time()))
    return {"ContinuousBackupsDescription": out}


# -- exports ----------------------------------------------------------------------------------

@ddb("ExportTableToPointInTime")
async def export_table_to_point_in_time(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"ExportDescription": await EX.export(ctx.app, ctx.account_id, ctx.region, params)}


@ddb("DescribeExport")
async def describe_export(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"ExportDescription": await ctx.app.store.read(lambda t: EX.describe_export(t, params["ExportArn"], ctx.account_id))}


@ddb("ListExports")
async def list_exports(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.read(lambda t: EX.list_exports(t, ctx.account_id, ctx.region, params))


# -- Kinesis streaming destinations -----------------------------------------------------------

@ddb("EnableKinesisStreamingDestination")
async def enable_kinesis_streaming_destination(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.run(lambda t: KD.enable(t, ctx.account_id, ctx.region, params))


@ddb("DisableKinesisStreamingDestination")
async def disable_kinesis_streaming_destination(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.run(lambda t: KD.disable(t, ctx.account_id, ctx.region, params))


@ddb("UpdateKinesisStreamingDestination")
async def update_kinesis_streaming_destination(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.run(lambda t: KD.update(t, ctx.account_id, ctx.region, params))


@ddb("DescribeKinesisStreamingDestination")
async def describe_kinesis_streaming_destination(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.read(lambda t: KD.describe(t, ctx.account_id, ctx.region, params["TableName"]))


# -- imports ----------------------------------------------------------------------------------

@ddb("ImportTable")
async def import_table(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"ImportTableDescription": await IM.import_table(ctx.app, ctx.account_id, ctx.region, params)}


@ddb("DescribeImport")
async def describe_import(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"ImportTableDescription": await ctx.app.store.read(lambda t: IM.describe_import(t, params["ImportArn"], ctx.account_id))}


@ddb("ListImports")
async def list_imports(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.read(lambda t: IM.list_imports(t, ctx.account_id, ctx.region, params))


# -- resource policies ------------------------------------------------------------------------

@ddb("PutResourcePolicy")
async def put_resource_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.run(lambda t: RP.put(t, params, time.time()))


@ddb("GetResourcePolicy")
async def get_resource_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.read(lambda t: RP.get(t, params["ResourceArn"]))


@ddb("DeleteResourcePolicy")
async def delete_resource_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.run(lambda t: RP.delete(t, params))
