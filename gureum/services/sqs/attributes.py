"""Queue attribute rules: names, defaults, ranges, the JSON policies, FIFO-only settings.

Defaults and ranges are AWS's current ones (SQS Developer Guide, "Amazon SQS quotas"): a
message (and a batch in total) up to 1 MiB, MaximumMessageSize 1 KiB-1 MiB defaulting to
1 MiB (AWS raised both from 256 KiB in 2025; queues created before keep the value stored at
their creation), retention 60 s-14 days (4 days), delay 0-900 s (0), receive wait 0-20 s
(0), visibility 0-12 h (30 s)."""

from __future__ import annotations

import json
import re
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.policy import resource_policies

MAX_MESSAGE_SIZE_LIMIT = 1_048_576
DEFAULTS: dict[str, str] = {
    "DelaySeconds": "0",
    "MaximumMessageSize": str(MAX_MESSAGE_SIZE_LIMIT),  # 1 MiB since AWS raised it in 2025
    "MessageRetentionPeriod": "345600",
    "ReceiveMessageWaitTimeSeconds": "0",
    "VisibilityTimeout": "30",
    "SqsManagedSseEnabled": "true",
}
_RANGES = {
    "DelaySeconds": (0, 900),
    "MaximumMessageSize": (1024, MAX_MESSAGE_SIZE_LIMIT),
    "MessageRetentionPeriod": (60, 1_209_600),
    "ReceiveMessageWaitTimeSeconds": (0, 20),
    "VisibilityTimeout": (0, 43_200),
    "KmsDataKeyReusePeriodSeconds": (60, 86_400),
}
SETTABLE = set(_RANGES) | {
    "Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId", "SqsManagedSseEnabled",
    "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit",
}
CREATE_ONLY = {"FifoQueue"}
FIFO_ONLY = {"ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"}
READ_ONLY = {
    "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp", "QueueArn",
}
ALL = SETTABLE | CREATE_ONLY | READ_ONLY
_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")


def check_queue_name(name: str, fifo: bool) -> None:
    base = name.removesuffix(".fifo")
    if not _NAME.fullmatch(base) or len(name) > 80:
        raise AwsError.modeled(
            "sqs",
            "InvalidParameterValue",
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
        )
    if fifo != name.endswith(".fifo"):
        raise AwsError.modeled(
            "sqs",
            "InvalidParameterValue",
            "The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
            "underscores, must end with .fifo suffix and be 1 to 80 in length."
            if fifo
            else "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
        )


def _bool(name: str, value: str) -> str:
    low = value.lower()
    if low not in ("true", "false"):
        raise AwsError.modeled("sqs", "InvalidAttributeValue", f"Invalid value for the parameter {name}.")
    return low


def normalize(attrs: dict[str, str], *, fifo: bool, creating: bool) -> dict[str, str]:
    """Check settable attributes; returns them normalized (as AWS echoes them back)."""
    out: dict[str, str] = {}
    for name, value in attrs.items():
        if name not in SETTABLE and not (creating and name in CREATE_ONLY):
            if name in CREATE_ONLY:
                raise AwsError.modeled("sqs", "InvalidAttributeName", f"Unknown Attribute {name}.")
            raise AwsError.modeled("sqs", "InvalidAttributeName", f"Unknown Attribute {name}.")
        if name in FIFO_ONLY and not fifo:
            raise AwsError.modeled("sqs", "InvalidAttributeName", f"Unknown Attribute {name}.")
        if name in _RANGES:
            lo, hi = _RANGES[name]
            try:
                n = int(value)
            except ValueError:
                n = None
            if n is None or not lo <= n <= hi:
                raise AwsError.modeled("sqs", "InvalidAttributeValue", f"Invalid value for the parameter {name}.")
            out[name] = str(n)
        elif name in ("FifoQueue", "ContentBasedDeduplication", "SqsManagedSseEnabled"):
            out[name] = _bool(name, value)
        elif name == "DeduplicationScope":
            if value not in ("messageGroup", "queue"):
                raise AwsError.modeled("sqs", "InvalidAttributeValue", f"Invalid value for the parameter {name}.")
            out[name] = value
        elif name == "FifoThroughputLimit":
            if value not in ("perQueue", "perMessageGroupId"):
                raise AwsError.modeled("sqs", "InvalidAttributeValue", f"Invalid value for the parameter {name}.")
            out[name] = value
        elif name == "RedrivePolicy":
            out[name] = _redrive_policy(value) if value else ""
        elif name == "RedriveAllowPolicy":
            out[name] = _redrive_allow_policy(value) if value else ""
        elif name == "Policy":
            if value and resource_policies.unreadable(value) is not None:  # a policy the gate could not read
                raise AwsError.modeled("sqs", "InvalidAttributeValue", "Invalid value for the parameter Policy.")
            out[name] = value
        else:
            out[name] = value
    return out


def _redrive_policy(value: str) -> str:
    def bad(reason: str) -> AwsError:
        return AwsError.modeled(
            "sqs", "InvalidParameterValue",
            f"Value {value} for parameter RedrivePolicy is invalid. Reason: {reason}",
        )

    try:
        doc = json.loads(value)
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise AwsError.modeled(
            "sqs",
            "InvalidAttributeValue",
            "Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.",
        )
    if "deadLetterTargetArn" not in doc or "maxReceiveCount" not in doc:
        raise bad("Redrive policy does not contain mandatory attribute: deadLetterTargetArn, maxReceiveCount.")
    target = doc["deadLetterTargetArn"]
    if not isinstance(target, str) or arns.service_of(target) != "sqs":  # refused before any lookup
        raise bad("Invalid value for deadLetterTargetArn.")
    try:
        count = int(doc["maxReceiveCount"])
    except (TypeError, ValueError):
        count = 0
    if not 1 <= count <= 1000:
        raise bad(f"Invalid value for maxReceiveCount: {doc['maxReceiveCount']}, valid values are from 1 to 1000 "
                  "both inclusive.")
    return json.dumps({"deadLetterTargetArn": target, "maxReceiveCount": count}, separators=(",", ":"))


def _redrive_allow_policy(value: str) -> str:
    try:
        doc = json.loads(value)
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or doc.get("redrivePermission") not in ("allowAll", "denyAll", "byQueue"):
        raise AwsError.modeled("sqs", "InvalidAttributeValue", "Invalid value for the parameter RedriveAllowPolicy.")
    if doc["redrivePermission"] == "byQueue" and not doc.get("sourceQueueArns"):
        raise AwsError.modeled("sqs", "InvalidAttributeValue", "Invalid value for the parameter RedriveAllowPolicy.")
    return json.dumps(doc, separators=(",", ":"))


def redrive(attrs: dict[str, str]) -> tuple[str, int] | None:
    value = attrs.get("RedrivePolicy")
    if not value:
        return None
    doc: dict[str, Any] = json.loads(value)
    return doc["deadLetterTargetArn"], int(doc["maxReceiveCount"])


def int_attr(attrs: dict[str, str], name: str) -> int:
    return int(attrs.get(name) or DEFAULTS.get(name, "0"))
