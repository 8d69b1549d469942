"""S3 Metadata configurations (V1 `...MetadataTable...` and V2 `...Metadata...` operations).
AWS keeps an object's metadata in Apache Iceberg tables of S3 Tables; gureum serves no S3
Tables, so a configuration is kept as AWS keeps it while each of its tables reports what AWS
reports for a table it could not create: TableStatus FAILED with an ErrorDetails (AWS's
documented answer when the Create request succeeds but a table cannot be made).

Layout: the bucket document (model.py's `s3_buckets`) holds `"metadata": {"v": 1|2, "created",
"journal": {...}, "inventory"?: {...}, "annotation"?: {...}, "destination"?: {...}}` (V1 keeps
its S3TablesDestination under "destination"). A V1 configuration is readable through V2's Get;
V1's Get of a V2 configuration is MethodNotAllowed (405), as AWS documents.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.s3 import model

if TYPE_CHECKING:
    from gureum.store.base import Txn

UNAVAILABLE = {"ErrorCode": "ServerInternalError",
               "ErrorMessage": "S3 Tables is not served by this endpoint: the metadata table could not be created."}
MANAGED_NAMESPACE = "aws_s3_metadata"


def _not_found(name: str) -> AwsError:
    return AwsError.modeled("s3", "MetadataConfigurationNotFound", "The metadata table configuration does not exist.",
                            BucketName=name)


def _general(t: Txn, name: str, account: str) -> dict[str, Any]:
    b = model.bucket(t, name, account)
    if b.get("directory"):
        raise AwsError.modeled("s3", "InvalidRequest", "S3 Metadata is not supported for directory buckets")
    return b


def _create(t: Txn, name: str, account: str, meta: dict[str, Any]) -> None:
    b = _general(t, name, account)
    if b.get("metadata"):
        raise AwsError.modeled("s3", "InvalidRequest", "A metadata configuration already exists for this bucket")
    model.update_bucket(t, name, account, metadata={**meta, "created": time.time()})


def _current(t: Txn, name: str, account: str, version: int | None = None) -> dict[str, Any]:
    b = _general(t, name, account)
    meta: dict[str, Any] | None = b.get("metadata")
    if not meta:
        raise _not_found(name)
    if version is not None and meta["v"] != version:
        raise AwsError.modeled("s3", "MethodNotAllowed", "The specified method is not allowed against this resource.",
                               Method="GET", ResourceType="MetadataConfiguration")
    return meta


def _update(t: Txn, name: str, account: str, part: str, value: dict[str, Any]) -> None:
    meta = _current(t, name, account, 2)
    model.update_bucket(t, name, account, metadata={**meta, part: value})


def _table(meta_part: dict[str, Any] | None, table: str, region: str, account: str, bucket: str) -> dict[str, Any]:
    out: dict[str, Any] = {"TableStatus": "FAILED", "Error": dict(UNAVAILABLE), "TableName": table,
                           "TableArn": arns.build("s3tables", region, account, f"bucket/aws-s3/table/{bucket}-{table}")}
    if meta_part is not None and "ConfigurationState" in meta_part:
        out["ConfigurationState"] = meta_part["ConfigurationState"]
        if meta_part["ConfigurationState"] == "DISABLED":
            out = {"ConfigurationState": "DISABLED"}
    return out


@operation("s3", "CreateBucketMetadataConfiguration")
async def create_bucket_metadata_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    config = params.get("MetadataConfiguration") or {}
    journal = config.get("JournalTableConfiguration")
    if not journal or not journal.get("RecordExpiration"):
        raise AwsError.modeled("s3", "MalformedXML", "The XML you provided was not well-formed or did not validate "
                               "against our published schema")
    meta = {"v": 2, "journal": journal, "inventory": config.get("InventoryTableConfiguration")
            or {"ConfigurationState": "DISABLED"}, "annotation": config.get("AnnotationTableConfiguration")
            or {"ConfigurationState": "DISABLED"}}
    await ctx.app.store.run(lambda t: _create(t, params["Bucket"], ctx.account_id, meta))
    return {}


@operation("s3", "CreateBucketMetadataTableConfiguration")
async def create_bucket_metadata_table_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    dest = (params.get("MetadataTableConfiguration") or {}).get("S3TablesDestination") or {}
    if not dest.get("TableBucketArn") or not dest.get("TableName"):
        raise AwsError.modeled("s3", "MalformedXML", "The XML you provided was not well-formed or did not validate "
                               "against our published schema")
    if arns.try_parse(dest["TableBucketArn"]) is None:
        raise AwsError.modeled("s3", "InvalidArgument", "The table bucket ARN is not valid",
                               ArgumentName="TableBucketArn", ArgumentValue=dest["TableBucketArn"])
    meta = {"v": 1, "destination": dest, "journal": {}}
    await ctx.app.store.run(lambda t: _create(t, params["Bucket"], ctx.account_id, meta))
    return {}


@operation("s3", "GetBucketMetadataConfiguration")
async def get_bucket_metadata_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["Bucket"]
    b = await ctx.app.store.read(lambda t: model.bucket(t, name, ctx.account_id))
    meta = await ctx.app.store.read(lambda t: _current(t, name, ctx.account_id))
    region, account = b["region"], b["account"]
    if meta["v"] == 1:
        dest = meta["destination"]
        parsed = arns.try_parse(dest["TableBucketArn"])
        destination = {"TableBucketType": "customer", "TableBucketArn": dest["TableBucketArn"],
                       "TableNamespace": MANAGED_NAMESPACE}
        journal = {**_table(None, dest["TableName"], parsed.region if parsed else region, account, name)}
    else:
        destination = {"TableBucketType": "aws", "TableBucketArn": arns.build("s3tables", region, account, "bucket/aws-s3"),
                       "TableNamespace": f"b_{name}"}
        journal = {**_table(None, "journal", region, account, name), "RecordExpiration": meta["journal"]["RecordExpiration"]}
    result: dict[str, Any] = {"DestinationResult": destination, "JournalTableConfigurationResult": journal}
    if meta["v"] == 2:
        result["InventoryTableConfigurationResult"] = _table(meta.get("inventory"), "inventory", region, account, name)
        annotation = _table(meta.get("annotation"), "annotation", region, account, name)
        if (meta.get("annotation") or {}).get("Role"):
            annotation["Role"] = meta["annotation"]["Role"]
        result["AnnotationTableConfigurationResult"] = annotation
    return {"GetBucketMetadataConfigurationResult": {"MetadataConfigurationResult": result}}


@operation("s3", "GetBucketMetadataTableConfiguration")
async def get_bucket_metadata_table_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["Bucket"]
    meta = await ctx.app.store.read(lambda t: _current(t, name, ctx.account_id, 1))
    dest = meta["destination"]
    parsed = arns.try_parse(dest["TableBucketArn"])
    table_arn = (arns.build("s3tables", parsed.region, parsed.account, f"{parsed.resource}/table/{dest['TableName']}")
                 if parsed else None)
    dest_result = {"TableBucketArn": dest["TableBucketArn"], "TableName": dest["TableName"],
                   "TableNamespace": MANAGED_NAMESPACE, **({"TableArn": table_arn} if table_arn else {})}
    return {"GetBucketMetadataTableConfigurationResult": {
        "MetadataTableConfigurationResult": {"S3TablesDestinationResult": dest_result},
        "Status": "FAILED", "Error": dict(UNAVAILABLE)}}


async def _delete(ctx: RequestContext, name: str, version: int | None) -> None:
    def run(t: Txn) -> None:
        _current(t, name, ctx.account_id, version)
        model.update_bucket(t, name, ctx.account_id, metadata=None)
    await ctx.app.store.run(run)


@operation("s3", "DeleteBucketMetadataConfiguration")
async def delete_bucket_metadata_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await _delete(ctx, params["Bucket"], None)
    return {}


@operation("s3", "DeleteBucketMetadataTableConfiguration")
async def delete_bucket_metadata_table_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await _delete(ctx, params["Bucket"], None)
    return {}


@operation("s3", "UpdateBucketMetadataInventoryTableConfiguration")
async def update_bucket_metadata_inventory_table_configuration(ctx: RequestContext,
                                                               params: dict[str, Any]) -> dict[str, Any]:
    value = params.get("InventoryTableConfiguration") or {}
    await ctx.app.store.run(lambda t: _update(t, params["Bucket"], ctx.account_id, "inventory", value))
    return {}


@operation("s3", "UpdateBucketMetadataJournalTableConfiguration")
async def update_bucket_metadata_journal_table_configuration(ctx: RequestContext,
                                                             params: dict[str, Any]) -> dict[str, Any]:
    value = params.get("JournalTableConfiguration") or {}
    if not value.get("RecordExpiration"):
        raise AwsError.modeled("s3", "MalformedXML", "The XML you provided was not well-formed or did not validate "
                               "against our published schema")

    def run(t: Txn) -> None:
        meta = _current(t, params["Bucket"], ctx.account_id, 2)
        model.update_bucket(t, params["Bucket"], ctx.account_id,
                            metadata={**meta, "journal": {**meta["journal"], **value}})
    await ctx.app.store.run(run)
    return {}


@operation("s3", "UpdateBucketMetadataAnnotationTableConfiguration")
async def update_bucket_metadata_annotation_table_configuration(ctx: RequestContext,
                                                                params: dict[str, Any]) -> dict[str, Any]:
    value = params.get("AnnotationTableConfiguration") or {}
    await ctx.app.store.run(lambda t: _update(t, params["Bucket"], ctx.account_id, "annotation", value))
    return {}
