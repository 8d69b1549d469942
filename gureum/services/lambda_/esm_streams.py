"""Event source mappings of streams (Kinesis, DynamoDB Streams): their parameters checked as
AWS checks them, the fields their mapping documents keep and show, and the stream ports
(gureum.services.kinesis.port, gureum.services.dynamodbstreams.port) by source ARN.

A stream mapping document holds, besides the fields every mapping has (esm.py):
"StartingPosition", "StartingPositionTimestamp" (epoch s), "ParallelizationFactor",
"MaximumRetryAttempts", "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError",
"TumblingWindowInSeconds", "DestinationConfig", "LastProcessingResult" and "started" (ms:
shards opened after it are read from their start, whatever StartingPosition says).
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import ModuleType
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.dynamodbstreams import port as ddb_streams
from gureum.services.kinesis import port as kinesis

DEFAULT_BATCH = 100
MAX_BATCH = 10_000
STREAM_FIELDS = ("StartingPosition", "StartingPositionTimestamp", "ParallelizationFactor", "MaximumRetryAttempts",
                 "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError", "TumblingWindowInSeconds", "DestinationConfig")
_NOT_FOR_STREAMS = ("Topics", "Queues", "SelfManagedEventSource", "AmazonManagedKafkaEventSourceConfig",
                    "SelfManagedKafkaEventSourceConfig", "DocumentDBEventSourceConfig", "ScalingConfig")


def _bad(message: str) -> AwsError:
    return AwsError.modeled("lambda", "InvalidParameterValueException", message, Type="User")


def kind_of(arn: str) -> str | None:
    """"kinesis" or "dynamodb" for a stream ARN, else None."""
    parsed = arns.try_parse(arn)
    if parsed is None:
        return None
    if parsed.service == "kinesis" and parsed.resource.startswith("stream/"):
        return "kinesis"
    if parsed.service == "dynamodb" and "/stream/" in parsed.resource:
        return "dynamodb"
    return None


def port_of(arn: str) -> ModuleType:
    return kinesis if kind_of(arn) == "kinesis" else ddb_streams


def checked(params: dict[str, Any], kind: str, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """The stream fields of a create (`current` None) or an update, checked; defaults on create."""
    for name in _NOT_FOR_STREAMS:
        if params.get(name) is not None:
            raise _bad(f"Unsupported {name} parameter for given event source mapping type.")
    out: dict[str, Any] = {}
    if current is None:
        start = params.get("StartingPosition")
        if start is None:
            raise _bad("1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: "
                       "Member must not be null")
        if start == "AT_TIMESTAMP" and kind == "dynamodb":
            raise _bad("Unsupported starting position for DynamoDB stream event sources: AT_TIMESTAMP")
        ts = params.get("StartingPositionTimestamp")
        if start == "AT_TIMESTAMP" and ts is None:
            raise _bad("StartingPositionTimestamp must be specified when StartingPosition is AT_TIMESTAMP")
        if start != "AT_TIMESTAMP" and ts is not None:
            raise _bad("StartingPositionTimestamp can only be specified when StartingPosition is AT_TIMESTAMP")
        out.update(StartingPosition=start, StartingPositionTimestamp=ts.timestamp() if ts is not None else None,
                   ParallelizationFactor=1, MaximumRetryAttempts=-1, MaximumRecordAgeInSeconds=-1,
                   BisectBatchOnFunctionError=False, TumblingWindowInSeconds=0, DestinationConfig=None,
                   LastProcessingResult="No records processed")
    elif params.get("StartingPosition") is not None or params.get("StartingPositionTimestamp") is not None:
        raise _bad("StartingPosition cannot be updated.")
    for name in ("ParallelizationFactor", "MaximumRetryAttempts", "MaximumRecordAgeInSeconds", "TumblingWindowInSeconds"):
        if params.get(name) is not None:
            out[name] = int(params[name])
    age = out.get("MaximumRecordAgeInSeconds")
    if age is not None and age != -1 and age < 60:
        raise _bad("MaximumRecordAgeInSeconds must be -1 or between 60 and 604800.")
    if params.get("BisectBatchOnFunctionError") is not None:
        out["BisectBatchOnFunctionError"] = bool(params["BisectBatchOnFunctionError"])
    if params.get("DestinationConfig") is not None:
        dest = params["DestinationConfig"]
        if (dest.get("OnSuccess") or {}).get("Destination"):
            raise _bad("Unsupported DestinationConfig parameter for given event source mapping type.")
        target = (dest.get("OnFailure") or {}).get("Destination")
        if target:
            if arns.service_of(target) not in ("sqs", "sns", "s3"):
                raise _bad(f"The provided destination config DestinationConfig(onSuccess=null, onFailure=OnFailure("
                           f"destination={target})) is invalid.")
            out["DestinationConfig"] = {"OnFailure": {"Destination": target}}
        else:
            out["DestinationConfig"] = None
    batch = params.get("BatchSize")
    if batch is not None and not 1 <= int(batch) <= MAX_BATCH:
        raise _bad(f"BatchSize must be between 1 and {MAX_BATCH}.")
    return out


def view_fields(doc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"StartingPosition": doc["StartingPosition"],
                           "ParallelizationFactor": doc["ParallelizationFactor"],
                           "MaximumRetryAttempts": doc["MaximumRetryAttempts"],
                           "MaximumRecordAgeInSeconds": doc["MaximumRecordAgeInSeconds"],
                           "BisectBatchOnFunctionError": doc["BisectBatchOnFunctionError"],
                           "TumblingWindowInSeconds": doc["TumblingWindowInSeconds"],
                           "LastProcessingResult": doc.get("LastProcessingResult") or "No records processed",
                           "DestinationConfig": doc.get("DestinationConfig") or {"OnFailure": {}}}
    if doc.get("StartingPositionTimestamp") is not None:
        out["StartingPositionTimestamp"] = datetime.fromtimestamp(doc["StartingPositionTimestamp"], UTC)
    return out
