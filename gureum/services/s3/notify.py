"""S3 event notifications: match an event against the bucket's notification configuration
(event patterns, prefix/suffix filters), build AWS's event record, deliver it to SQS queues,
SNS topics and Lambda functions through gureum/delivery.py's `deliver`; a configuration's
destinations are checked through the queue and topic ports and Lambda's resource policy.
Deliveries run in the background: the S3 request that caused them does not wait."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.delivery import Source, deliver
from gureum.policy import resource_policies
from gureum.ports import QUEUES, TOPICS, port

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.s3.notify")
S3_EVENTS = Source(sender="AIDAGUREUMEVENTS", subject="Amazon S3 Notification", group="destination")

EVENT_TYPES = (
    "s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectCreated:Post", "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload", "s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete",
    "s3:ObjectRemoved:DeleteMarkerCreated", "s3:ObjectRestore:*", "s3:ObjectRestore:Post",
    "s3:ObjectRestore:Completed", "s3:ObjectRestore:Delete", "s3:ReducedRedundancyLostObject",
    "s3:Replication:*", "s3:Replication:OperationFailedReplication",
    "s3:Replication:OperationMissedThreshold", "s3:Replication:OperationReplicatedAfterThreshold",
    "s3:Replication:OperationNotTracked", "s3:LifecycleExpiration:*", "s3:LifecycleExpiration:Delete",
    "s3:LifecycleExpiration:DeleteMarkerCreated", "s3:LifecycleTransition", "s3:IntelligentTiering",
    "s3:ObjectTagging:*", "s3:ObjectTagging:Put", "s3:ObjectTagging:Delete", "s3:ObjectAcl:Put",
)
_KINDS = (("QueueConfigurations", "QueueArn", "sqs"), ("TopicConfigurations", "TopicArn", "sns"),
          ("LambdaFunctionConfigurations", "LambdaFunctionArn", "lambda"))


def _now_iso() -> str:
    t = dt.datetime.now(dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _matches(pattern: str, event: str) -> bool:
    if pattern.endswith("*"):
        return event.startswith(pattern[:-1])
    return pattern == event


def _filter_ok(conf: dict[str, Any], key: str) -> bool:
    rules = ((conf.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []
    for r in rules:
        name, value = r.get("Name", "").lower(), r.get("Value", "")
        if name == "prefix" and not key.startswith(value):
            return False
        if name == "suffix" and not key.endswith(value):
            return False
    return True


async def validate(app: App, bucket: dict[str, Any], config: dict[str, Any], skip: bool) -> dict[str, Any]:
    """Check a NotificationConfiguration (events, filters, destinations); give ids to
    configurations without one; returns the normalized configuration."""
    out: dict[str, Any] = {}
    failing: list[str] = []
    for kind, arn_member, service in _KINDS:
        confs = config.get(kind) or []
        if not confs:
            continue
        normalized = []
        for c in confs:
            c = dict(c)
            for e in c.get("Events") or []:
                if e not in EVENT_TYPES:
                    raise AwsError.modeled(
                        "s3",
                        "InvalidArgument",
                        "The event is not supported for notifications",
                        ArgumentName=e,
                        ArgumentValue=e,
                    )
            names = [r.get("Name", "").lower() for r in ((c.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []]
            if len(names) != len(set(names)) or any(n not in ("prefix", "suffix") for n in names):
                raise AwsError.modeled(
                    "s3",
                    "InvalidArgument",
                    "Cannot specify more than one prefix rule in a filter.",
                    ArgumentName="FilterRule Name",
                    ArgumentValue=",".join(names),
                )
            c.setdefault("Id", str(uuid.uuid4()))
            if not skip and not await _destination_exists(app, service, c[arn_member]):
                failing.append(c[arn_member])
            elif not await _foreign_destination_allows(app, bucket, service, c[arn_member]):
                failing.append(c[arn_member])  # even with SkipDestinationValidation: never deliverable
            normalized.append(c)
        out[kind] = normalized
    if config.get("EventBridgeConfiguration") is not None:
        out["EventBridgeConfiguration"] = {}
    if failing:
        raise AwsError.modeled(
            "s3",
            "InvalidArgument",
            "Unable to validate the following destination configurations",
            ArgumentName=failing[0],
            ArgumentValue="The destination queue does not exist"
            if ":sqs:" in failing[0]
            else "The destination does not exist",
        )
    return out


async def _foreign_destination_allows(app: App, bucket: dict[str, Any], service: str, arn: str) -> bool:
    """A destination in another account must let s3.amazonaws.com deliver for this bucket
    (its queue/topic/function policy, aws:SourceArn and aws:SourceAccount evaluated)."""
    from gureum.policy.delivery import may_deliver

    action = {"sqs": "sqs:SendMessage", "sns": "sns:Publish", "lambda": "lambda:InvokeFunction"}.get(service)
    if action is None:
        return True
    return await may_deliver(app, "s3.amazonaws.com", action, arn, source_arn=arns.s3_bucket(bucket["name"]),
                             source_account=bucket["account"])


async def _destination_exists(app: App, service: str, arn: str) -> bool:
    if service == "sqs":
        return await port(app, QUEUES).exists(arn)
    if service == "sns":
        return await port(app, TOPICS).exists(arn)
    if service == "lambda":
        return await _lambda_allows_s3(app, arn)
    return True


async def _lambda_allows_s3(app: App, arn: str) -> bool:
    """The function exists and its resource policy (as GetPolicy returns it) lets
    s3.amazonaws.com invoke it."""
    text = await resource_policies.read(app, "lambda", "lambda:InvokeFunction", arn)
    if text is None:  # no such function, or no policy on it
        return False
    try:
        statements = json.loads(text).get("Statement") or []
    except (ValueError, AttributeError):
        return False
    for st in statements if isinstance(statements, list) else [statements]:
        principal = st.get("Principal")
        service = principal.get("Service") if isinstance(principal, dict) else principal
        actions = st.get("Action")
        actions = actions if isinstance(actions, list) else [actions]
        if st.get("Effect", "Allow") == "Allow" and service in ("s3.amazonaws.com", "*") and any(
                a in ("lambda:InvokeFunction", "lambda:*", "*") for a in actions):
            return True
    return False


def test_event(bucket: str, request_id: str) -> dict[str, Any]:
    return {"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": _now_iso(), "Bucket": bucket,
            "RequestId": request_id, "HostId": request_id}


def send_test_events(app: App, bucket: dict[str, Any], config: dict[str, Any], request_id: str) -> None:
    body = test_event(bucket["name"], request_id)
    for kind, arn_member, service in _KINDS:
        if service == "lambda":
            continue  # AWS sends the test event to queues and topics only
        for c in config.get(kind) or []:
            _spawn(app, _deliver(app, c[arn_member], body), "s3 test event")


def emit(app: App, bucket: dict[str, Any], event: str, key: str, *, request_id: str, principal: str,
         source_ip: str, obj: dict[str, Any] | None = None, version_id: str | None = None) -> None:
    """Deliver `event` (e.g. "ObjectCreated:Put") for `key` to every matching destination."""
    config = bucket.get("notification") or {}
    if not config:
        return
    full = "s3:" + event
    for kind, arn_member, _service in _KINDS:
        for c in config.get(kind) or []:
            if not any(_matches(p, full) for p in c.get("Events") or []) or not _filter_ok(c, key):
                continue
            record = _record(bucket, event, key, c["Id"], request_id, principal, source_ip, obj, version_id)
            _spawn(app, _deliver(app, c[arn_member], {"Records": [record]}), "s3 notification")


def _record(bucket: dict[str, Any], event: str, key: str, config_id: str, request_id: str, principal: str,
            source_ip: str, obj: dict[str, Any] | None, version_id: str | None) -> dict[str, Any]:
    o: dict[str, Any] = {"key": quote_plus(key, safe="/")}
    if event.startswith(("ObjectCreated", "ObjectTagging")) and obj is not None:
        o["size"] = obj.get("size", 0)
        o["eTag"] = (obj.get("etag") or "").strip('"')
    if version_id and version_id != "null":
        o["versionId"] = version_id
    seq = (obj or {}).get("seq", 0)
    o["sequencer"] = f"{int(((obj or {}).get('mtime') or 0) * 1000):012X}{seq:06X}"
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": bucket["region"],
        "eventTime": _now_iso(),
        "eventName": event,
        "userIdentity": {"principalId": principal},
        "requestParameters": {"sourceIPAddress": source_ip},
        "responseElements": {"x-amz-request-id": request_id, "x-amz-id-2": request_id},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": config_id,
            "bucket": {"name": bucket["name"], "ownerIdentity": {"principalId": bucket["account"]},
                       "arn": arns.s3_bucket(bucket["name"])},
            "object": o,
        },
    }


def _spawn(app: App, coro: Any, name: str) -> None:
    try:
        app.spawn(coro, name)
    except AssertionError:  # not running under `gureum up` (unit tests): deliver inline later
        coro.close()


async def _deliver(app: App, arn: str, body: dict[str, Any]) -> None:
    try:
        await deliver(app, arn, body, source=S3_EVENTS)
    except AwsError as exc:
        log.warning("S3 notification for %s dropped: %s", arn, exc.message)
