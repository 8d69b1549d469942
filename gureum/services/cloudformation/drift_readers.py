"""Reading a stack resource's actual properties back for drift detection, in CloudFormation's
property shape, through the owning service's own Describe/Get/List operations
(gureum/aws/internal_call.py, with the permissions of the caller that asked for detection).

`READERS` maps a resource type to a `Reader`: `read(ctx, physical_id, attrs)` answers the
properties it can read (None: the resource is gone, its service answered a not-found error)
and `compared` names the properties it reads (only those are compared; the rest of a
template's properties are not checked). Types without a reader are NOT_CHECKED.

Read back: AWS::SQS::Queue (queue attributes, QueueName, Tags), AWS::SNS::Topic (topic
attributes, TopicName, Subscription, Tags), AWS::S3::Bucket (BucketName,
VersioningConfiguration, Tags), AWS::Lambda::Function (its configuration: Runtime, Handler,
Role, MemorySize, Timeout, Description, Environment, Architectures, Layers, TracingConfig,
EphemeralStorage, FunctionName, Tags), AWS::IAM::Role (RoleName, Path, Description,
MaxSessionDuration, AssumeRolePolicyDocument, ManagedPolicyArns, Policies,
PermissionsBoundary, Tags), AWS::SSM::Parameter (Name, Type, Value, Description,
AllowedPattern, Tier, DataType, Tags), AWS::Logs::LogGroup (LogGroupName, RetentionInDays,
KmsKeyId, LogGroupClass, Tags), AWS::DynamoDB::Table (TableName, KeySchema,
AttributeDefinitions, BillingMode, ProvisionedThroughput, StreamSpecification,
GlobalSecondaryIndexes, LocalSecondaryIndexes, TimeToLiveSpecification,
DeletionProtectionEnabled, TableClass, Tags).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from gureum.aws.errors import AwsError
from gureum.services.cloudformation.providers.base import ResourceContext

Doc = dict[str, Any]
Read = Callable[[ResourceContext, str, Doc], Awaitable[Doc | None]]

# a service's answer that the resource does not exist (any other refusal fails the check)
GONE_CODES = frozenset({"QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "NotFound", "NotFoundException",
                        "NoSuchBucket", "ResourceNotFoundException", "NoSuchEntity", "ParameterNotFound",
                        "ResourceNotFound"})


@dataclass(frozen=True)
class Reader:
    read: Read
    compared: tuple[str, ...]


READERS: dict[str, Reader] = {}


def reader(type_name: str, compared: tuple[str, ...]) -> Callable[[Read], Read]:
    def register(fn: Read) -> Read:
        READERS[type_name] = Reader(fn, compared)
        return fn
    return register


def _tag_list(pairs: dict[str, str]) -> list[Doc]:
    return [{"Key": k, "Value": v} for k, v in pairs.items()]


async def gone_is_none(coro: Awaitable[Doc | None]) -> Doc | None:
    try:
        return await coro
    except AwsError as e:
        if e.code in GONE_CODES:
            return None
        raise


_QUEUE = ("ContentBasedDeduplication", "DeduplicationScope", "DelaySeconds", "FifoQueue", "FifoThroughputLimit",
          "KmsDataKeyReusePeriodSeconds", "KmsMasterKeyId", "MaximumMessageSize", "MessageRetentionPeriod",
          "ReceiveMessageWaitTimeSeconds", "RedriveAllowPolicy", "RedrivePolicy", "SqsManagedSseEnabled",
          "VisibilityTimeout")


@reader("AWS::SQS::Queue", (*_QUEUE, "QueueName", "Tags"))
async def read_queue(ctx: ResourceContext, physical: str, attrs: Doc) -> Doc | None:
    got = (await ctx.call("sqs", "GetQueueAttributes", {"QueueUrl": physical, "AttributeNames": ["All"]})).get("Attributes") or {}
    out: Doc = {k: got[k] for k in _QUEUE if k in got}
    out["QueueName"] = physical.rstrip("/").rsplit("/", 1)[-1]
    out["Tags"] = _tag_list((await ctx.call("sqs", "ListQueueTags", {"QueueUrl": physical})).get("Tags") or {})
    return out


_TOPIC = ("DisplayName", "KmsMasterKeyId", "FifoTopic", "ContentBasedDeduplication", "SignatureVersion", "TracingConfig",
          "ArchivePolicy")


@reader("AWS::SNS::Topic", (*_TOPIC, "TopicName", "Subscription", "Tags"))
async def read_topic(ctx: ResourceContext, physical: str, attrs: Doc) -> Doc | None:
    got = (await ctx.call("sns", "GetTopicAttributes", {"TopicArn": physical})).get("Attributes") or {}
    out: Doc = {k: got[k] for k in _TOPIC if k in got}
    out["TopicName"] = physical.rsplit(":", 1)[-1]
    subs: list[Doc] = []
    token: str | None = None
    while True:
        page = await ctx.call("sns", "ListSubscriptionsByTopic", {"TopicArn": physical, **({"NextToken": token} if token else {})})
        subs.extend({"Endpoint": s.get("Endpoint"), "Protocol": s.get("Protocol")} for s in page.get("Subscriptions") or ())
        token = page.get("NextToken")
        if not token:
            break
    out["Subscription"] = subs
    out["Tags"] = (await ctx.call("sns", "ListTagsForResource", {"ResourceArn": physical})).get("Tags") or []
    return out


@reader("AWS::S3::Bucket", ("BucketName", "VersioningConfiguration", "Tags"))
async def read_bucket(ctx: ResourceContext, physical: str, attrs: Doc) -> Doc | None:
    versioning = await ctx.call("s3", "GetBucketVersioning", {"Bucket": physical})
    out: Doc = {"BucketName": physical}
    if versioning.get("Status"):
        out["VersioningConfiguration"] = {"Status": versioning["Status"]}
    try:
        out["Tags"] = (await ctx.call("s3", "GetBucketTagging", {"Bucket": physical})).get("TagSet") or []
    except AwsError as e:
        if e.code != "NoSuchTagSet":
            raise
        out["Tags"] = []
    return out


@reader("AWS::Lambda::Function", ("FunctionName", "Runtime", "Handler", "Role", "MemorySize", "Timeout", "Description",
                                  "Environment", "Architectures", "Layers", "TracingConfig", "EphemeralStorage", "Tags"))
async def read_function(ctx: ResourceContext, physical: str, attrs: Doc) -> Doc | None:
    got = await ctx.call("lambda", "GetFunction", {"FunctionName": physical})
    c = got.get("Configuration") or {}
    out: Doc = {k: c[k] for k in ("FunctionName", "Runtime", "Handler", "Role", "MemorySize", "Timeout", "Description",
                                  "Architectures", "TracingConfig", "EphemeralStorage") if c.get(k) is not None}
    env = (c.get("Environment") or {}).get("Variables")
    if env is not None:
        out["Environment"] = {"Variables": env}
    out["Layers"] = [layer["Arn"] for layer in c.get("Layers") or ()]
    out["Tags"] = _tag_list(got.get("Tags") or {})
    return out


def _policy(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(unquote(text))
    except ValueError:
        return text


@reader("AWS::IAM::Role", ("RoleName", "Path", "Description", "MaxSessionDuration", "AssumeRolePolicyDocument",
                           "ManagedPolicyArns", "Policies", "PermissionsBoundary", "Tags"))
async def read_role(ctx: ResourceContext, physical: str, attrs: Doc) -> Doc | None:
    role = (await ctx.call("iam", "GetRole", {"RoleName": physical})).get("Role") or {}
    out: Doc = {k: role[k] for k in ("RoleName", "Path", "Description", "MaxSessionDuration") if role.get(k) is not None}
    out["AssumeRolePolicyDocument"] = _policy(role.get("AssumeRolePolicyDocument"))
    if role.get("PermissionsBoundary"):
        out["PermissionsBoundary"] = role["PermissionsBoundary"].get("PermissionsBoundaryArn")
    attached = await ctx.call("iam", "ListAttachedRolePolicies", {"RoleName": physical, "MaxItems": 1000})
    out["ManagedPolicyArns"] = [p["PolicyArn"] for p in attached.get("AttachedPolicies") or ()]
    policies: list[Doc] = []
    names = await ctx.call("iam", "ListRolePolicies", {"RoleName": physical, "MaxItems": 1000})
    for name in names.get("PolicyNames") or ():
        doc = await ctx.call("iam", "GetRolePolicy", {"RoleName": physical, "PolicyName": name})
        policies.append({"PolicyName": name, "PolicyDocument": _policy(doc.get("PolicyDocument"))})
    out["Policies"] = policies
    out["Tags"] = role.get("Tags") or []
    return out


@reader("AWS::SSM::Parameter", ("Name", "Type", "Value", "Description", "AllowedPattern", "Tier", "DataType", "Tags"))
async def read_parameter(ctx: ResourceContext, physical: str, attrs: Doc) -> Doc | None:
    p = (await ctx.call("ssm", "GetParameter", {"Name": physical})).get("Parameter") or {}
    out: Doc = {k: p[k] for k in ("Name", "Type", "Value", "DataType") if p.get(k) is not None}
    described = await ctx.call("ssm", "DescribeParameters", {"ParameterFilters": [
        {"Key": "Name", "Option": "Equals", "Values": [physical]}]})
    for d in described.get("Parameters") or ():
        out.update({k: d[k] for k in ("Description", "AllowedPattern", "Tier") if d.get(k) is not None})
    tags = await ctx.call("ssm", "ListTagsForResource", {"ResourceType": "Parameter", "ResourceId": physical})
    out["Tags"] = {t["Key"]: t["Value"] for t in tags.get("TagList") or ()}
    return out


@reader("AWS::Logs::LogGroup", ("LogGroupName", "RetentionInDays", "KmsKeyId", "LogGroupClass", "Tags"))
async def read_log_group(ctx: ResourceContext, physical: str, attrs: Doc) -> Doc | None:
    token: str | None = None
    while True:
        page = await ctx.call("logs", "DescribeLogGroups", {"logGroupNamePrefix": physical, **({"nextToken": token} if token else {})})
        for g in page.get("logGroups") or ():
            if g.get("logGroupName") == physical:
                out: Doc = {"LogGroupName": physical}
                for src, dst in (("retentionInDays", "RetentionInDays"), ("kmsKeyId", "KmsKeyId"), ("logGroupClass", "LogGroupClass")):
                    if g.get(src) is not None:
                        out[dst] = g[src]
                tags = await ctx.call("logs", "ListTagsLogGroup", {"logGroupName": physical})
                out["Tags"] = _tag_list(tags.get("tags") or {})
                return out
        token = page.get("nextToken")
        if not token:
            return None


def _throughput(t: Any) -> Doc | None:
    if not isinstance(t, dict) or not t.get("ReadCapacityUnits"):
        return None
    return {"ReadCapacityUnits": t["ReadCapacityUnits"], "WriteCapacityUnits": t.get("WriteCapacityUnits")}


def _index(i: Doc) -> Doc:
    out: Doc = {"IndexName": i.get("IndexName"), "KeySchema": i.get("KeySchema") or []}
    if i.get("Projection") is not None:
        out["Projection"] = i["Projection"]
    throughput = _throughput(i.get("ProvisionedThroughput"))
    if throughput is not None:
        out["ProvisionedThroughput"] = throughput
    return out


@reader("AWS::DynamoDB::Table", ("TableName", "KeySchema", "AttributeDefinitions", "BillingMode", "ProvisionedThroughput",
                                 "StreamSpecification", "GlobalSecondaryIndexes", "LocalSecondaryIndexes",
                                 "TimeToLiveSpecification", "DeletionProtectionEnabled", "TableClass", "Tags"))
async def read_table(ctx: ResourceContext, physical: str, attrs: Doc) -> Doc | None:
    t = (await ctx.call("dynamodb", "DescribeTable", {"TableName": physical})).get("Table") or {}
    out: Doc = {k: t[k] for k in ("TableName", "KeySchema", "AttributeDefinitions", "DeletionProtectionEnabled")
                if t.get(k) is not None}
    out["BillingMode"] = (t.get("BillingModeSummary") or {}).get("BillingMode") or "PROVISIONED"
    throughput = _throughput(t.get("ProvisionedThroughput"))
    if throughput is not None:
        out["ProvisionedThroughput"] = throughput
    stream = t.get("StreamSpecification") or {}
    if stream.get("StreamEnabled"):
        out["StreamSpecification"] = {"StreamViewType": stream.get("StreamViewType")}
    if (t.get("TableClassSummary") or {}).get("TableClass"):
        out["TableClass"] = t["TableClassSummary"]["TableClass"]
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if t.get(key):
            out[key] = [_index(i) for i in t[key]]
    ttl = (await ctx.call("dynamodb", "DescribeTimeToLive", {"TableName": physical})).get("TimeToLiveDescription") or {}
    if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
        out["TimeToLiveSpecification"] = {"AttributeName": ttl.get("AttributeName"), "Enabled": True}
    elif ttl:
        out["TimeToLiveSpecification"] = {"Enabled": False}
    if t.get("TableArn"):
        tags = await ctx.call("dynamodb", "ListTagsOfResource", {"ResourceArn": t["TableArn"]})
        out["Tags"] = tags.get("Tags") or []
    return out
