"""Event source mappings (SQS, Kinesis, DynamoDB Streams): the API operations and the stored
mapping documents (a stream mapping's own fields: esm_streams.py).

Table `lambda.esm`, key "<account>/<region>/<uuid>": the mapping as AWS shows it plus the
function name/qualifier it invokes. Every change publishes "lambda.esm" so the pollers on
every node (esm_poller.py) notice it at once. A write through the API leaves the mapping in
a transitional State (Creating, Enabling, Disabling, Updating, Deleting) as AWS answers; the
poller moves it on (Enabled, Disabled, or gone) once it has started or stopped polling.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.ports import QUEUES, QueueFacts, port
from gureum.services.lambda_ import esm_streams, event_filters, model

ESM = "lambda.esm"
LEASES = "lambda.esm_leases"
# Stream mappings (esm_stream_poller.py): "<mapping key>/<shard id>" -> a node's lease, a checkpoint.
SHARD_LEASES = "lambda.esm_shard_leases"
CHECKPOINTS = "lambda.esm_checkpoints"
TOPIC = "lambda.esm"
TRANSITIONAL = ("Creating", "Enabling", "Disabling", "Updating", "Deleting")
DEFAULT_BATCH = 10
MAX_BATCH_STANDARD = 10_000
MAX_BATCH_FIFO = 10
# Parameters other event sources take that an SQS mapping refuses.
_NOT_FOR_SQS = ("StartingPosition", "StartingPositionTimestamp", "ParallelizationFactor", "DestinationConfig",
                "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError", "MaximumRetryAttempts",
                "TumblingWindowInSeconds", "Topics", "Queues", "SelfManagedEventSource",
                "AmazonManagedKafkaEventSourceConfig", "SelfManagedKafkaEventSourceConfig",
                "DocumentDBEventSourceConfig")


def esm_key(account: str, region: str, mapping_id: str) -> str:
    return f"{account}/{region}/{mapping_id}"


def view(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored mapping as the API shows it."""
    out: dict[str, Any] = {
        "UUID": doc["UUID"],
        "BatchSize": doc["BatchSize"],
        "MaximumBatchingWindowInSeconds": doc["MaximumBatchingWindowInSeconds"],
        "EventSourceArn": doc["EventSourceArn"],
        "FunctionArn": doc["FunctionArn"],
        "LastModified": datetime.fromtimestamp(doc["LastModified"], UTC),
        "State": doc["State"],
        "StateTransitionReason": doc["StateTransitionReason"],
        "FunctionResponseTypes": list(doc.get("FunctionResponseTypes") or []),
        "EventSourceMappingArn": arns.lambda_event_source_mapping(doc["region"], doc["account"], doc["UUID"]),
    }
    if doc.get("FilterCriteria"):
        out["FilterCriteria"] = doc["FilterCriteria"]
    if doc.get("ScalingConfig"):
        out["ScalingConfig"] = doc["ScalingConfig"]
    if doc.get("StartingPosition"):
        out.update(esm_streams.view_fields(doc))
    return out


# --- checks ------------------------------------------------------------------------------
def _source_kind(arn: str) -> str:
    service = arns.service_of(arn) or ""
    if service == "sqs":
        return "sqs"
    stream = esm_streams.kind_of(arn)
    if stream is not None:
        return stream
    if service in ("kinesis", "dynamodb", "kafka", "mq", "rds", "docdb"):
        raise AwsError.modeled("lambda", "InvalidParameterValueException", f"Event source mappings for {service} are not supported by gureum yet: {arn}", Type="User")
    raise AwsError.modeled("lambda", "InvalidParameterValueException", "Unrecognized event source.", Type="User")


async def _queue(ctx: RequestContext, arn: str) -> QueueFacts:
    q = await port(ctx.app, QUEUES).describe(arn)
    if q is None:
        raise AwsError.modeled("lambda", "InvalidParameterValueException", "Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. "
            "SQS Error Message: The specified queue does not exist.", Type="User")
    return q


async def _function(ctx: RequestContext, function_name: str) -> tuple[str, str | None, str, dict[str, Any]]:
    """(name, qualifier, function ARN as the mapping shows it, configuration)."""
    name, qualifier = model.parse_name(function_name, ctx.account_id, ctx.region)
    key = model.fn_key(ctx.account_id, ctx.region, name)

    def read(txn: model.Txn) -> dict[str, Any] | None:
        doc = txn.get(model.FUNCTIONS, key)
        if doc is None:
            return None
        if qualifier in (None, "$LATEST"):
            return doc["config"]
        if qualifier.isdigit():
            v = txn.get(model.VERSIONS, model.version_key(key, qualifier))
            return v["config"] if v else None
        alias = txn.get(model.ALIASES, f"{key}/{qualifier}")
        if alias is None:
            return None
        version = alias["FunctionVersion"]
        if version == "$LATEST":
            return doc["config"]
        v = txn.get(model.VERSIONS, model.version_key(key, version))
        return v["config"] if v else doc["config"]

    config = await ctx.app.store.read(read)
    if config is None:
        raise AwsError.modeled("lambda", "InvalidParameterValueException", "Function does not exist", Type="User")
    return name, qualifier, model.function_arn(ctx.account_id, ctx.region, name, qualifier), config


def _parse_filters(criteria: dict[str, Any] | None) -> dict[str, Any] | None:
    filters = (criteria or {}).get("Filters") or []
    if not filters:
        return None
    for f in filters:
        try:
            event_filters.parse(f.get("Pattern") or "")
        except event_filters.InvalidPattern:
            raise AwsError.modeled("lambda", "InvalidParameterValueException", "Invalid filter pattern definition.", Type="User") from None
    return {"Filters": [{"Pattern": f["Pattern"]} for f in filters]}


def _check_sqs(doc: dict[str, Any], fifo: bool, visibility: int, function_timeout: int) -> None:
    batch, window = doc["BatchSize"], doc["MaximumBatchingWindowInSeconds"]
    if fifo:
        if batch > MAX_BATCH_FIFO:
            raise AwsError.modeled("lambda", "InvalidParameterValueException", f"Batch size {batch} is greater than the maximum batch size of {MAX_BATCH_FIFO} for FIFO queues.", Type="User")
        if window:
            raise AwsError.modeled(
                "lambda",
                "InvalidParameterValueException",
                "Batching window is not supported for FIFO queues",
                Type="User",
            )
    elif batch > DEFAULT_BATCH and not window:
        raise AwsError.modeled(
            "lambda",
            "InvalidParameterValueException",
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10",
            Type="User",
        )
    if visibility < function_timeout:
        raise AwsError.modeled(
            "lambda",
            "InvalidParameterValueException",
            f"Queue visibility timeout: {visibility} seconds is less than Function timeout: {function_timeout} seconds",
            Type="User",
        )


def _refuse_other_sources_params(params: dict[str, Any]) -> None:
    for name in _NOT_FOR_SQS:
        if params.get(name) is not None:
            if name in ("StartingPosition", "StartingPositionTimestamp"):
                raise AwsError.modeled(
                    "lambda", "InvalidParameterValueException", "StartingPosition is not valid for SQS event sources.", Type="User"
                )
            raise AwsError.modeled(
                "lambda",
                "InvalidParameterValueException",
                f"Unsupported {name} parameter for given event source mapping type.",
                Type="User",
            )


async def _stream_exists(ctx: RequestContext, arn: str) -> None:
    stream_port = esm_streams.port_of(arn)
    if not await ctx.app.store.read(lambda t: bool(stream_port.exists(t, arn))):
        what = "Stream" if esm_streams.kind_of(arn) == "kinesis" else "Stream (DynamoDB)"
        raise AwsError.modeled("lambda", "InvalidParameterValueException", f"{what} not found: {arn}", Type="User")


_LABELS = {"sqs": "SQS", "kinesis": "Kinesis", "dynamodb": "DynamoDB"}


def _touch(txn: model.Txn, key: str) -> None:
    txn.publish(TOPIC, {"key": key})


# --- operations --------------------------------------------------------------------------
@operation("lambda", "CreateEventSourceMapping")
async def create_event_source_mapping(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    source = params.get("EventSourceArn")
    if not source:
        raise AwsError.modeled("lambda", "InvalidParameterValueException", "Unrecognized event source.", Type="User")
    kind = _source_kind(source)
    stream_fields: dict[str, Any] = {}
    if kind == "sqs":
        _refuse_other_sources_params(params)
    else:
        stream_fields = esm_streams.checked(params, kind)
    name, qualifier, fn_arn, config = await _function(ctx, params["FunctionName"])
    if kind == "sqs":
        q = await _queue(ctx, source)
    else:
        await _stream_exists(ctx, source)
    window = params.get("MaximumBatchingWindowInSeconds")
    mapping_id = str(uuid.uuid4())
    enabled = params.get("Enabled")
    doc: dict[str, Any] = {
        "UUID": mapping_id,
        "account": ctx.account_id,
        "region": ctx.region,
        "function": name,
        "qualifier": qualifier,
        "FunctionArn": fn_arn,
        "EventSourceArn": source,
        "BatchSize": params.get("BatchSize") or (DEFAULT_BATCH if kind == "sqs" else esm_streams.DEFAULT_BATCH),
        "MaximumBatchingWindowInSeconds": window or 0,
        "FunctionResponseTypes": list(params.get("FunctionResponseTypes") or []),
        "FilterCriteria": _parse_filters(params.get("FilterCriteria")),
        "ScalingConfig": dict(params.get("ScalingConfig") or {}) or None,
        "Enabled": True if enabled is None else bool(enabled),
        "State": "Creating",
        "StateTransitionReason": "USER_INITIATED",
        "LastModified": time.time(),
        "Tags": dict(params.get("Tags") or {}),
        "rev": 1,
        "created": time.time(),
        **stream_fields,
    }
    if kind == "sqs":
        _check_sqs(doc, q.fifo, q.visibility_timeout, int(config.get("Timeout", 3)))
    else:
        doc["started"] = int(time.time() * 1000)
    key = esm_key(ctx.account_id, ctx.region, mapping_id)

    def create(txn: model.Txn) -> None:
        for _, other in txn.scan(ESM, f"{ctx.account_id}/{ctx.region}/"):
            if other["EventSourceArn"] == source and other["FunctionArn"] == fn_arn:
                raise AwsError.modeled(
                    "lambda",
                    "ResourceConflictException",
                    f'An event source mapping with {_LABELS[kind]} arn (" {source} ") and function (" {name} ") already exists. '
                    f"Please update or delete the existing mapping with UUID {other['UUID']}",
                    Type="User",
                )
        txn.put(ESM, key, doc)
        _touch(txn, key)

    await ctx.app.store.run(create)
    return view(doc)


async def _get(ctx: RequestContext, mapping_id: str) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: t.get(ESM, esm_key(ctx.account_id, ctx.region, mapping_id)))
    if doc is None:
        raise AwsError.modeled(
            "lambda", "ResourceNotFoundException", "The resource you requested does not exist.", Type="User"
        )
    return doc


@operation("lambda", "GetEventSourceMapping")
async def get_event_source_mapping(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return view(await _get(ctx, params["UUID"]))


@operation("lambda", "ListEventSourceMappings")
async def list_event_source_mappings(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    fn_arn = None
    if params.get("FunctionName"):
        name, qualifier = model.parse_name(params["FunctionName"], ctx.account_id, ctx.region)
        fn_arn = model.function_arn(ctx.account_id, ctx.region, name, qualifier)
    source = params.get("EventSourceArn")
    docs = await ctx.app.store.read(lambda t: [d for _, d in t.scan(ESM, f"{ctx.account_id}/{ctx.region}/")])
    docs = [d for d in docs if (fn_arn is None or d["FunctionArn"] == fn_arn) and (source is None or d["EventSourceArn"] == source)]
    docs.sort(key=lambda d: (d.get("created", d["LastModified"]), d["UUID"]))
    items, nxt = model.page(docs, lambda d: (d.get("created", d["LastModified"]), d["UUID"]), f"lambda.esm/{ctx.account_id}/{ctx.region}/",
                            params, 100, filters={"FunctionName": fn_arn, "EventSourceArn": source})
    out: dict[str, Any] = {"EventSourceMappings": [view(d) for d in items]}
    if nxt is not None:
        out["NextMarker"] = nxt
    return out


@operation("lambda", "UpdateEventSourceMapping")
async def update_event_source_mapping(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key = esm_key(ctx.account_id, ctx.region, params["UUID"])
    current = await _get(ctx, params["UUID"])
    kind = _source_kind(current["EventSourceArn"])
    stream_changes: dict[str, Any] = {}
    if kind == "sqs":
        _refuse_other_sources_params(params)
    else:
        stream_changes = esm_streams.checked(params, kind, current)
    changes: dict[str, Any] = {}
    if params.get("FunctionName"):
        name, qualifier, fn_arn, config = await _function(ctx, params["FunctionName"])
        changes.update(function=name, qualifier=qualifier, FunctionArn=fn_arn)
    else:
        try:
            config = (await _function(ctx, current["FunctionArn"]))[3]
        except AwsError:  # the function is gone: the mapping can still be changed
            config = {"Timeout": 0}
    for field in ("BatchSize", "MaximumBatchingWindowInSeconds"):
        if params.get(field) is not None:
            changes[field] = params[field]
    if params.get("FunctionResponseTypes") is not None:
        changes["FunctionResponseTypes"] = list(params["FunctionResponseTypes"])
    if params.get("FilterCriteria") is not None:
        changes["FilterCriteria"] = _parse_filters(params["FilterCriteria"])
    if params.get("ScalingConfig") is not None:
        changes["ScalingConfig"] = dict(params["ScalingConfig"]) or None
    changes.update(stream_changes)
    if kind == "sqs":
        q = await _queue(ctx, current["EventSourceArn"])
        merged = dict(current, **changes)
        _check_sqs(merged, q.fifo, q.visibility_timeout, int(config.get("Timeout", 3)))
    enabled = params.get("Enabled")

    def update(txn: model.Txn) -> dict[str, Any]:
        doc = txn.get(ESM, key)
        if doc is None:
            raise AwsError.modeled(
                "lambda", "ResourceNotFoundException", "The resource you requested does not exist.", Type="User"
            )
        if doc["State"] in TRANSITIONAL:
            raise AwsError.modeled(
                "lambda",
                "ResourceInUseException",
                "Cannot update the event source mapping because it is in use.",
                Type="User",
            )
        if "FunctionArn" in changes and changes["FunctionArn"] != doc["FunctionArn"]:
            for _, other in txn.scan(ESM, f"{ctx.account_id}/{ctx.region}/"):
                if other["EventSourceArn"] == doc["EventSourceArn"] and other["FunctionArn"] == changes["FunctionArn"]:
                    raise AwsError.modeled(
                        "lambda",
                        "ResourceConflictException",
                        f'An event source mapping with SQS arn (" {doc["EventSourceArn"]} ") and function '
                        f'(" {changes["function"]} ") already exists. Please update or delete the existing mapping '
                        f"with UUID {other['UUID']}",
                        Type="User",
                    )
        doc.update(changes)
        if enabled is not None and bool(enabled) != doc["Enabled"]:
            doc["Enabled"] = bool(enabled)
            doc["State"] = "Enabling" if enabled else "Disabling"
        else:
            doc["State"] = "Updating"
        doc["StateTransitionReason"] = "USER_INITIATED"
        doc["LastModified"] = time.time()
        doc["rev"] = doc.get("rev", 0) + 1
        txn.put(ESM, key, doc)
        _touch(txn, key)
        return doc

    return view(await ctx.app.store.run(update))


@operation("lambda", "DeleteEventSourceMapping")
async def delete_event_source_mapping(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key = esm_key(ctx.account_id, ctx.region, params["UUID"])

    def delete(txn: model.Txn) -> dict[str, Any]:
        doc = txn.get(ESM, key)
        if doc is None:
            raise AwsError.modeled(
                "lambda", "ResourceNotFoundException", "The resource you requested does not exist.", Type="User"
            )
        if doc["State"] in ("Creating", "Enabling", "Updating", "Disabling"):
            raise AwsError.modeled(
                "lambda",
                "ResourceInUseException",
                "Cannot delete the event source mapping because it is in use.",
                Type="User",
            )
        if doc["State"] != "Deleting":
            doc["State"] = "Deleting"
            doc["StateTransitionReason"] = "USER_INITIATED"
            doc["LastModified"] = time.time()
            doc["rev"] = doc.get("rev", 0) + 1
            txn.put(ESM, key, doc)
            _touch(txn, key)
        return doc

    return view(await ctx.app.store.run(delete))
