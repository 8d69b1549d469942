"""What each operation gureum serves asks of IAM: the action and the resource ARN(s), the
way AWS's service authorization reference names them.

`target(service, operation, params, account, region)` -> `Target(action, resources)` or
None for the few operations AWS serves without any permission (STS GetCallerIdentity,
GetSessionToken, AssumeRoleWithWebIdentity — the last is checked against the role's trust
policy by STS itself).

Shape: the action is `<prefix>:<Operation>` unless `_ACTIONS` names another one (S3's
ListObjectsV2 -> s3:ListBucket, Lambda's Invoke -> lambda:InvokeFunction, batch variants ->
their single action, ...); a few actions depend on the parameters (S3 object versions).
The resources come from one rule per service that reads the parameters naming a resource
(SQS QueueUrl, SNS TopicArn, Lambda FunctionName, S3 Bucket/Key, ECR repositoryName with
registryId, ...); an operation that names none is authorized on `*` or on the service's
account-wide resource, as AWS does for List*/Create* style operations.

The account a resource belongs to is `owner(arn)`: the ARN's account field, or "" for ARNs
that carry none (S3 buckets, Route 53 zones) and AWS-managed IAM policies — those resolve in
the caller's own account and are never cross-account. Resource names are read from the
parameters exactly as the handlers read them (SQS queue URLs through urlparse, Lambda
names with the same pattern as lambda_/model.py), so the gate and the handler always agree
on the account.

Pure functions of their arguments: no store access, cheap enough for every request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlparse

__all__ = ["Target", "owner", "target", "PREFIXES"]


@dataclass(frozen=True)
class Target:
    action: str  # "sqs:SendMessage"
    resources: tuple[str, ...]  # ARNs, or ("*",)
    also: tuple[tuple[str, str], ...] = ()  # further (action, resource) the request needs (copy sources)


# botocore service name -> IAM action prefix
PREFIXES = {
    "sts": "sts", "iam": "iam", "ecr": "ecr", "route53": "route53", "sqs": "sqs", "s3": "s3", "sns": "sns",
    "lambda": "lambda", "logs": "logs", "ecs": "ecs", "servicediscovery": "servicediscovery",
}

# Operations that need no permission at all (AWS's service authorization reference lists no
# action for them, or documents that none is required).
FREE = {
    ("sts", "GetCallerIdentity"),
    ("sts", "GetSessionToken"),
    ("sts", "AssumeRoleWithWebIdentity"),  # unsigned; the role's trust policy decides (STS)
}

# (service, operation) -> IAM action name where it is not the operation's name.
_ACTIONS: dict[tuple[str, str], str] = {
    ("s3", "ListObjects"): "ListBucket",
    ("s3", "ListObjectsV2"): "ListBucket",
    ("s3", "HeadBucket"): "ListBucket",
    ("s3", "ListObjectVersions"): "ListBucketVersions",
    ("s3", "ListBuckets"): "ListAllMyBuckets",
    ("s3", "HeadObject"): "GetObject",
    ("s3", "DeleteObjects"): "DeleteObject",
    ("s3", "CopyObject"): "PutObject",
    ("s3", "CreateMultipartUpload"): "PutObject",
    ("s3", "UploadPart"): "PutObject",
    ("s3", "UploadPartCopy"): "PutObject",
    ("s3", "CompleteMultipartUpload"): "PutObject",
    ("s3", "ListParts"): "ListMultipartUploadParts",
    ("s3", "ListMultipartUploads"): "ListBucketMultipartUploads",
    ("s3", "GetBucketCors"): "GetBucketCORS",
    ("s3", "PutBucketCors"): "PutBucketCORS",
    ("s3", "DeleteBucketCors"): "PutBucketCORS",
    ("s3", "DeleteBucketTagging"): "PutBucketTagging",
    ("s3", "GetBucketNotificationConfiguration"): "GetBucketNotification",
    ("s3", "PutBucketNotificationConfiguration"): "PutBucketNotification",
    ("sqs", "SendMessageBatch"): "SendMessage",
    ("sqs", "DeleteMessageBatch"): "DeleteMessage",
    ("sqs", "ChangeMessageVisibilityBatch"): "ChangeMessageVisibility",
    ("sns", "PublishBatch"): "Publish",
    ("lambda", "Invoke"): "InvokeFunction",
    ("lambda", "GetLayerVersionByArn"): "GetLayerVersion",
}

# S3 operations whose action names the object version when a VersionId is given.
_S3_VERSIONED = {
    "GetObject": "GetObjectVersion",
    "HeadObject": "GetObjectVersion",
    "DeleteObject": "DeleteObjectVersion",
    "GetObjectTagging": "GetObjectVersionTagging",
    "PutObjectTagging": "PutObjectVersionTagging",
    "DeleteObjectTagging": "DeleteObjectVersionTagging",
    "GetObjectAcl": "GetObjectVersionAcl",
    "PutObjectAcl": "PutObjectVersionAcl",
}

def owner(arn: str) -> str:
    """The account an ARN names, or "" (no account field, `aws`, or not an ARN). Any other
    value counts as an account, even one not of 12 digits: handlers look resources up by
    whatever the field holds, so the gate must treat it as a (possibly foreign) account."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return ""
    acct = parts[4]
    return "" if acct in ("", "aws") else acct


Resolver = Callable[[str, Mapping[str, Any], str, str], list[str]]


# --- per-service resource rules ---------------------------------------------------------

def _sqs(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    url = p.get("QueueUrl")
    if isinstance(url, str) and url:
        # Read exactly as the SQS handlers read it (sqs/api.py _queue): the gate and the
        # handler must agree on the account, so no URL trick can name one to each.
        parts = [s for s in urlparse(url).path.split("/") if s] if "/" in url else [url]
        if parts:
            acct = parts[-2] if len(parts) >= 2 and parts[-2].isdigit() else account
            return [f"arn:aws:sqs:{region}:{acct}:{parts[-1]}"]
    if op in ("CreateQueue", "GetQueueUrl") and p.get("QueueName"):
        acct = p.get("QueueOwnerAWSAccountId") or account
        return [f"arn:aws:sqs:{region}:{acct}:{p['QueueName']}"]
    if p.get("SourceArn"):
        return [str(p["SourceArn"])]
    return ["*"]


def _sns(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    for name in ("TopicArn", "TargetArn", "ResourceArn"):
        if p.get(name):
            return [str(p[name])]
    if p.get("SubscriptionArn"):  # arn:aws:sns:<region>:<account>:<topic>:<id> (its owner reads it: sns reader)
        return [str(p["SubscriptionArn"])]
    if op == "CreateTopic" and p.get("Name"):
        return [f"arn:aws:sns:{region}:{account}:{p['Name']}"]
    return ["*"]


_LAMBDA_NAME = re.compile(
    r"^(?:arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+):)?(?:(?P<account>\d{12}):)?(?:function:)?"
    r"(?P<name>[a-zA-Z0-9_-]+)(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9_-]+))?$"
)


def function_arn(value: str, account: str, region: str, qualifier: str | None = None) -> str:
    """The function ARN a FunctionName (name, partial or full ARN) and Qualifier name."""
    m = _LAMBDA_NAME.match(value)
    if m is None:
        return f"arn:aws:lambda:{region}:{account}:function:{value}"
    q = m["qualifier"] or qualifier
    arn = f"arn:aws:lambda:{m['region'] or region}:{m['account'] or account}:function:{m['name']}"
    return f"{arn}:{q}" if q else arn


def _lambda(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    if p.get("FunctionName"):
        qualifier = p.get("Qualifier") if op != "CreateAlias" else None
        return [function_arn(str(p["FunctionName"]), account, region, qualifier)]
    if p.get("Resource"):
        return [str(p["Resource"])]
    if p.get("Arn"):
        return [str(p["Arn"])]
    if p.get("LayerName"):
        name = str(p["LayerName"])
        base = name if name.startswith("arn:") else f"arn:aws:lambda:{region}:{account}:layer:{name}"
        if p.get("VersionNumber") is not None and op != "ListLayerVersions":
            return [f"{base}:{p['VersionNumber']}"]
        return [base]
    if p.get("UUID"):
        return [f"arn:aws:lambda:{region}:{account}:event-source-mapping:{p['UUID']}"]
    return ["*"]


def _s3(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    bucket = p.get("Bucket")
    if not bucket:
        return ["*"]
    if op in ("DeleteObjects",):
        keys = [o.get("Key", "") for o in (p.get("Delete") or {}).get("Objects") or []]
        return [f"arn:aws:s3:::{bucket}/{k}" for k in keys] or [f"arn:aws:s3:::{bucket}/*"]
    if p.get("Key") is not None and op not in ("ListObjects", "ListObjectsV2"):
        return [f"arn:aws:s3:::{bucket}/{p['Key']}"]
    return [f"arn:aws:s3:::{bucket}"]


_ECR_REGISTRY_WIDE = {
    "GetAuthorizationToken", "DescribeRegistry", "GetRegistryScanningConfiguration",
    "PutRegistryScanningConfiguration", "PutReplicationConfiguration",
}


def _ecr(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    if op in _ECR_REGISTRY_WIDE:
        return ["*"]
    if p.get("resourceArn"):
        return [str(p["resourceArn"])]
    acct = p.get("registryId") or account
    base = f"arn:aws:ecr:{region}:{acct}:repository/"
    if p.get("repositoryName"):
        return [base + str(p["repositoryName"])]
    names = p.get("repositoryNames")
    if names:
        return [base + str(n) for n in names]
    return [base + "*"]


def _logs(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    for name in ("resourceArn", "logGroupIdentifier"):
        value = p.get(name)
        if isinstance(value, str) and value.startswith("arn:"):
            return [value.removesuffix(":*")]
    group = p.get("logGroupName") or p.get("logGroupIdentifier")
    if group:
        base = f"arn:aws:logs:{region}:{account}:log-group:{group}"
        if p.get("logStreamName") and op in ("CreateLogStream", "DeleteLogStream", "PutLogEvents", "GetLogEvents"):
            return [f"{base}:log-stream:{p['logStreamName']}"]
        return [base]
    return ["*"]


def _ecs_arn(value: str, kind: str, account: str, region: str, cluster: str | None = None) -> str:
    if value.startswith("arn:"):
        return value
    if cluster is not None and kind in ("service", "task", "container-instance"):
        return f"arn:aws:ecs:{region}:{account}:{kind}/{cluster.rsplit('/', 1)[-1]}/{value}"
    return f"arn:aws:ecs:{region}:{account}:{kind}/{value}"


def _ecs(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    if p.get("resourceArn"):
        return [str(p["resourceArn"])]
    cluster = str(p.get("cluster") or "default")
    cluster_arn = _ecs_arn(cluster, "cluster", account, region)
    for name, kind in (("service", "service"), ("task", "task"), ("containerInstance", "container-instance"),
                       ("taskDefinition", "task-definition")):
        value = p.get(name)
        if isinstance(value, str) and value and op not in ("CreateService", "RunTask", "StartTask"):
            return [_ecs_arn(value, kind, account, region, cluster)]
    for name, kind in (("services", "service"), ("tasks", "task"), ("containerInstances", "container-instance"),
                       ("taskDefinitions", "task-definition")):
        values = p.get(name)
        if values and op not in ("StartTask",):
            return [_ecs_arn(str(v), kind, account, region, cluster) for v in values]
    if op == "DescribeClusters":
        clusters = p.get("clusters") or ["default"]
        return [_ecs_arn(str(c), "cluster", account, region) for c in clusters]
    if op in ("CreateService", "RunTask", "StartTask"):
        td = p.get("taskDefinition")
        if isinstance(td, str) and td:
            return [_ecs_arn(td, "task-definition", account, region)]
    if op == "CreateCluster":
        return [_ecs_arn(str(p.get("clusterName") or "default"), "cluster", account, region)]
    if p.get("cluster") or op in ("ListServices", "ListTasks", "ListContainerInstances", "RegisterContainerInstance",
                                   "DeleteCluster", "UpdateCluster", "UpdateClusterSettings",
                                   "PutClusterCapacityProviders"):
        return [cluster_arn]
    return ["*"]


def _servicediscovery(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    base = f"arn:aws:servicediscovery:{region}:{account}:"
    if p.get("ServiceId"):
        return [base + f"service/{p['ServiceId']}"]
    if p.get("Id"):
        kind = "namespace" if op in ("GetNamespace", "DeleteNamespace") else "service"
        return [base + f"{kind}/{p['Id']}"]
    if p.get("NamespaceId"):
        return [base + f"namespace/{p['NamespaceId']}"]
    return ["*"]


def _route53(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    def bare(v: Any) -> str:
        return str(v).rsplit("/", 1)[-1]

    if p.get("HostedZoneId"):
        return [f"arn:aws:route53:::hostedzone/{bare(p['HostedZoneId'])}"]
    if p.get("HealthCheckId"):
        return [f"arn:aws:route53:::healthcheck/{bare(p['HealthCheckId'])}"]
    if p.get("ResourceType") and p.get("ResourceId"):
        return [f"arn:aws:route53:::{p['ResourceType']}/{bare(p['ResourceId'])}"]
    if p.get("Id"):
        kind = {
            "GetHostedZone": "hostedzone", "DeleteHostedZone": "hostedzone", "UpdateHostedZoneComment": "hostedzone",
            "GetChange": "change", "GetQueryLoggingConfig": "queryloggingconfig",
            "DeleteQueryLoggingConfig": "queryloggingconfig", "GetReusableDelegationSet": "delegationset",
            "DeleteReusableDelegationSet": "delegationset", "ChangeCidrCollection": "cidrcollection",
            "DeleteCidrCollection": "cidrcollection", "GetTrafficPolicyInstance": "trafficpolicyinstance",
            "DeleteTrafficPolicyInstance": "trafficpolicyinstance",
            "UpdateTrafficPolicyInstance": "trafficpolicyinstance",
        }.get(op, "trafficpolicy")
        return [f"arn:aws:route53:::{kind}/{bare(p['Id'])}"]
    if p.get("CollectionId"):
        return [f"arn:aws:route53:::cidrcollection/{p['CollectionId']}"]
    if p.get("DelegationSetId"):
        return [f"arn:aws:route53:::delegationset/{bare(p['DelegationSetId'])}"]
    if p.get("TrafficPolicyId"):
        return [f"arn:aws:route53:::trafficpolicy/{p['TrafficPolicyId']}"]
    return ["*"]


_IAM_ENTITIES = (
    ("UserName", "user"), ("RoleName", "role"), ("GroupName", "group"),
    ("InstanceProfileName", "instance-profile"),
)


def _iam(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    base = f"arn:aws:iam::{account}:"
    for name, kind in _IAM_ENTITIES:
        if p.get(name):
            return [base + f"{kind}/{p[name]}"]
    for name in ("PolicyArn", "OpenIDConnectProviderArn"):
        if p.get(name):
            return [str(p[name])]
    if op == "CreatePolicy" and p.get("PolicyName"):
        return [base + f"policy{p.get('Path') or '/'}{p['PolicyName']}"]
    if op == "CreateServiceLinkedRole" and p.get("AWSServiceName"):
        return [base + f"role/aws-service-role/{p['AWSServiceName']}/*"]
    if op in _IAM_SELF:
        return [base + "user/*"]  # the caller's own user: `target` puts the caller's ARN here
    return ["*"]


# IAM operations that act on the calling user when UserName is absent.
_IAM_SELF = {"CreateAccessKey", "ListAccessKeys", "GetUser", "DeleteAccessKey", "UpdateAccessKey",
             "GetAccessKeyLastUsed", "ListUserTags", "ListGroupsForUser"}


def _sts(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    if p.get("RoleArn"):
        return [str(p["RoleArn"])]
    if op == "GetFederationToken" and p.get("Name"):
        return [f"arn:aws:sts::{account}:federated-user/{p['Name']}"]
    return ["*"]


_RESOURCES: dict[str, Resolver] = {
    "sqs": _sqs, "sns": _sns, "lambda": _lambda, "s3": _s3, "ecr": _ecr, "logs": _logs, "ecs": _ecs,
    "servicediscovery": _servicediscovery, "route53": _route53, "iam": _iam, "sts": _sts,
}


def action(service: str, operation: str, params: Mapping[str, Any]) -> str:
    prefix = PREFIXES.get(service, service)
    if service == "s3" and params.get("VersionId") and operation in _S3_VERSIONED:
        return f"s3:{_S3_VERSIONED[operation]}"
    return f"{prefix}:{_ACTIONS.get((service, operation), operation)}"


def _copy_source(source: Any) -> tuple[str, str] | None:
    """(action, object ARN) a CopySource reads, parsed as s3/objects.py parse_copy_source does."""
    if not isinstance(source, str):
        return None
    path, _, query = source.partition("?")
    bucket, _, key = unquote(path).lstrip("/").partition("/")
    if not bucket or not key:
        return None
    versioned = bool(query and dict(parse_qsl(query)).get("versionId"))
    return ("s3:GetObjectVersion" if versioned else "s3:GetObject"), f"arn:aws:s3:::{bucket}/{key}"


def target(service: str, operation: str, params: Mapping[str, Any], account: str, region: str,
           caller: str = "") -> Target | None:
    """What `operation` of `service` asks IAM for, or None when it needs no permission.
    `caller` (the principal's ARN) names the resource of IAM operations on oneself."""
    if (service, operation) in FREE:
        return None
    rule = _RESOURCES.get(service)
    resources = rule(operation, params, account, region) if rule is not None else ["*"]
    if service == "iam" and operation in _IAM_SELF and not params.get("UserName") and ":user/" in caller:
        resources = [caller]
    also: tuple[tuple[str, str], ...] = ()
    if service == "s3" and operation in ("CopyObject", "UploadPartCopy"):
        source = _copy_source(params.get("CopySource"))
        also = (source,) if source is not None else ()
    elif service == "lambda" and operation in ("CreateEventSourceMapping",) and params.get("EventSourceArn"):
        # The mapping reads the source with the function's role (approximated by the caller):
        # a queue of another account only through its policy.
        also = (("sqs:ReceiveMessage", str(params["EventSourceArn"])),)
    elif service == "sqs" and operation == "StartMessageMoveTask" and params.get("DestinationArn"):
        also = (("sqs:SendMessage", str(params["DestinationArn"])),)
    if (service, operation) in _PASSES_ROLE:
        also += tuple(("iam:PassRole", str(params[p])) for p in _PASSES_ROLE[(service, operation)]
                      if isinstance(params.get(p), str) and params[p])
    if service == "lambda":
        also += tuple((_DELIVERY_ACTIONS[d.split(":", 3)[2]], d) for d in _lambda_destinations(params)
                      if d.startswith("arn:") and d.split(":", 3)[2] in _DELIVERY_ACTIONS)
        layers = params.get("Layers") if operation in ("CreateFunction", "UpdateFunctionConfiguration") else None
        also += tuple(("lambda:GetLayerVersion", str(arn)) for arn in layers or () if isinstance(arn, str))
    return Target(action(service, operation, params), tuple(resources), also)


# Where Lambda sends records (dead-letter queue, async destinations): the sender needs the
# destination's permission (checked against the caller; AWS checks the execution role).
_DELIVERY_ACTIONS = {"sqs": "sqs:SendMessage", "sns": "sns:Publish", "lambda": "lambda:InvokeFunction"}


def _lambda_destinations(params: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    dlq = params.get("DeadLetterConfig")
    if isinstance(dlq, Mapping) and isinstance(dlq.get("TargetArn"), str):
        out.append(dlq["TargetArn"])
    dest = params.get("DestinationConfig")
    if isinstance(dest, Mapping):
        for when in ("OnSuccess", "OnFailure"):
            d = dest.get(when)
            if isinstance(d, Mapping) and isinstance(d.get("Destination"), str):
                out.append(d["Destination"])
    return out


# Operations that hand a role to a service (which then acts with its credentials): the
# caller needs iam:PassRole on it too, with iam:PassedToService = PASSED_TO[service].
_PASSES_ROLE: dict[tuple[str, str], tuple[str, ...]] = {
    ("lambda", "CreateFunction"): ("Role",),
    ("lambda", "UpdateFunctionConfiguration"): ("Role",),
    ("ecs", "RegisterTaskDefinition"): ("taskRoleArn", "executionRoleArn"),
}
PASSED_TO = {"lambda": "lambda.amazonaws.com", "ecs": "ecs-tasks.amazonaws.com"}
