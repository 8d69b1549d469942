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
names through aws/arn.py's lambda_function_ref, as lambda_/model.py reads them), so the gate
and the handler always agree on the account. ARNs are built by aws/arn.py and read here with
its lenient `fields`, which sees the account of any ARN a stricter handler could accept.

Pure functions of their arguments: no store access, cheap enough for every request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlparse

from gureum.aws import arn as arns

__all__ = ["Target", "owner", "target", "PREFIXES", "KEYED_BY"]


@dataclass(frozen=True)
class Target:
    action: str  # "sqs:SendMessage"
    resources: tuple[str, ...]  # ARNs, or ("*",)
    also: tuple[tuple[str, str], ...] = ()  # further (action, resource) the request needs (copy sources)


# botocore service name -> IAM action prefix
PREFIXES = {
    "sts": "sts", "iam": "iam", "ecr": "ecr", "route53": "route53", "sqs": "sqs", "s3": "s3", "sns": "sns",
    "lambda": "lambda", "logs": "logs", "ecs": "ecs", "servicediscovery": "servicediscovery",
    "ssm": "ssm", "secretsmanager": "secretsmanager", "cloudwatch": "cloudwatch",
    "dynamodb": "dynamodb", "ce": "ce", "budgets": "budgets", "kinesis": "kinesis", "dynamodbstreams": "dynamodb",
    "route53domains": "route53domains", "route53resolver": "route53resolver", "cognito-idp": "cognito-idp",
    "ses": "ses", "sesv2": "ses",  # SES v1 and v2 share the ses: actions
    "lexv2-models": "lex", "lexv2-runtime": "lex",
    "apigateway": "apigateway",
    "apigatewayv2": "apigateway", "apigatewaymanagementapi": "execute-api",
    "elbv2": "elasticloadbalancing", "acm": "acm",
    "cloudformation": "cloudformation",
    "eks": "eks",
}

# Operations that need no permission at all (AWS's service authorization reference lists no
# action for them, or documents that none is required).
FREE = {
    ("sts", "GetCallerIdentity"),
    ("sts", "GetSessionToken"),
    ("sts", "AssumeRoleWithWebIdentity"),  # unsigned; the role's trust policy decides (STS)
    # Cognito's public calls: unsigned, authorized by a client id or the user's access token
    *(("cognito-idp", op) for op in (
        "SignUp", "ConfirmSignUp", "ResendConfirmationCode", "InitiateAuth", "RespondToAuthChallenge", "ForgotPassword",
        "ConfirmForgotPassword", "ChangePassword", "GetUser", "UpdateUserAttributes", "DeleteUserAttributes",
        "GetUserAttributeVerificationCode", "VerifyUserAttribute", "DeleteUser", "GlobalSignOut", "RevokeToken",
        "AssociateSoftwareToken", "VerifySoftwareToken", "SetUserMFAPreference", "GetTokensFromRefreshToken")),
}

# (service, operation) -> IAM action name where it is not the operation's name.
_ACTIONS: dict[tuple[str, str], str] = {
    # Budgets authorizes with two actions (AWS's service authorization reference)
    **{("budgets", op): "ViewBudget" for op in (
        "DescribeBudget", "DescribeBudgets", "DescribeNotificationsForBudget", "DescribeSubscribersForNotification",
        "DescribeBudgetPerformanceHistory", "DescribeBudgetNotificationsForAccount")},
    **{("budgets", op): "ModifyBudget" for op in (
        "CreateBudget", "UpdateBudget", "DeleteBudget", "CreateNotification", "UpdateNotification", "DeleteNotification",
        "CreateSubscriber", "UpdateSubscriber", "DeleteSubscriber")},
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
    ("s3", "GetObjectLockConfiguration"): "GetBucketObjectLockConfiguration",
    ("s3", "PutObjectLockConfiguration"): "PutBucketObjectLockConfiguration",
    ("s3", "SelectObjectContent"): "GetObject",
    ("sqs", "SendMessageBatch"): "SendMessage",
    ("sqs", "DeleteMessageBatch"): "DeleteMessage",
    ("sqs", "ChangeMessageVisibilityBatch"): "ChangeMessageVisibility",
    ("sns", "PublishBatch"): "Publish",
    ("lambda", "Invoke"): "InvokeFunction",
    ("lambda", "InvokeWithResponseStream"): "InvokeFunction",  # AWS: it needs lambda:InvokeFunction
    ("lambda", "GetLayerVersionByArn"): "GetLayerVersion",
    **{("apigatewaymanagementapi", op): "ManageConnections"
       for op in ("PostToConnection", "GetConnection", "DeleteConnection")},
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

# S3 operations that honour x-amz-bypass-governance-retention.
_S3_BYPASS = {"DeleteObject", "DeleteObjects", "PutObjectRetention"}


def owner(arn: str) -> str:
    """The account an ARN names, or "" (no account field, `aws`, or not an ARN). Any other
    value counts as an account, even one not of 12 digits: handlers look resources up by
    whatever the field holds, so the gate must treat it as a (possibly foreign) account."""
    f = arns.fields(arn)
    if f is None:
        return ""
    return "" if f.account in ("", "aws") else f.account


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
            return [arns.sqs_queue(region, acct, parts[-1])]
    if op in ("CreateQueue", "GetQueueUrl") and p.get("QueueName"):
        acct = p.get("QueueOwnerAWSAccountId") or account
        return [arns.sqs_queue(region, acct, p["QueueName"])]
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
        return [arns.sns_topic(region, account, p["Name"])]
    return ["*"]


def function_arn(value: str, account: str, region: str, qualifier: str | None = None) -> str:
    """The function ARN a FunctionName (name, partial or full ARN) and Qualifier name."""
    m = arns.lambda_function_ref(value)
    if m is None:
        return arns.lambda_function(region, account, value)
    return arns.lambda_function(m.region or region, m.account or account, m.name, m.qualifier or qualifier)


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
        base = name if arns.looks_like_arn(name) else arns.lambda_layer(region, account, name)
        if p.get("VersionNumber") is not None and op != "ListLayerVersions":
            return [f"{base}:{p['VersionNumber']}"]
        return [base]
    if p.get("UUID"):
        return [arns.lambda_event_source_mapping(region, account, p["UUID"])]
    return ["*"]


def _s3(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    bucket = p.get("Bucket")
    if not bucket:
        return ["*"]
    if op in ("DeleteObjects",):
        keys = [o.get("Key", "") for o in (p.get("Delete") or {}).get("Objects") or []]
        return [arns.s3_object(bucket, k) for k in keys] or [arns.s3_object(bucket, "*")]
    if p.get("Key") is not None and op not in ("ListObjects", "ListObjectsV2"):
        return [arns.s3_object(bucket, p["Key"])]
    return [arns.s3_bucket(bucket)]


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
    if p.get("repositoryName"):
        return [arns.ecr_repository(region, acct, str(p["repositoryName"]))]
    names = p.get("repositoryNames")
    if names:
        return [arns.ecr_repository(region, acct, str(n)) for n in names]
    return [arns.ecr_repository(region, acct, "*")]


def _logs(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    for name in ("resourceArn", "logGroupIdentifier"):
        value = p.get(name)
        if isinstance(value, str) and arns.looks_like_arn(value):
            return [value.removesuffix(":*")]
    group = p.get("logGroupName") or p.get("logGroupIdentifier")
    if group:
        base = arns.logs_group(region, account, group)
        if p.get("logStreamName") and op in ("CreateLogStream", "DeleteLogStream", "PutLogEvents", "GetLogEvents"):
            return [f"{base}:log-stream:{p['logStreamName']}"]
        return [base]
    return ["*"]


def _ecs_arn(value: str, kind: str, account: str, region: str, cluster: str | None = None) -> str:
    if arns.looks_like_arn(value):
        return value
    if cluster is not None and kind in ("service", "task", "container-instance"):
        return arns.build("ecs", region, account, f"{kind}/{cluster.rsplit('/', 1)[-1]}/{value}")
    return arns.build("ecs", region, account, f"{kind}/{value}")


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
    if p.get("ServiceId"):
        return [arns.servicediscovery_service(region, account, p["ServiceId"])]
    if p.get("Id"):
        kind = "namespace" if op in ("GetNamespace", "DeleteNamespace") else "service"
        return [arns.build("servicediscovery", region, account, f"{kind}/{p['Id']}")]
    if p.get("NamespaceId"):
        return [arns.servicediscovery_namespace(region, account, p["NamespaceId"])]
    return ["*"]


def _route53(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    def bare(v: Any) -> str:
        return str(v).rsplit("/", 1)[-1]

    if p.get("HostedZoneId"):
        return [arns.route53_hostedzone(bare(p["HostedZoneId"]))]
    if p.get("HealthCheckId"):
        return [arns.route53_healthcheck(bare(p["HealthCheckId"]))]
    if p.get("ResourceType") and p.get("ResourceId"):
        return [arns.route53(str(p["ResourceType"]), bare(p["ResourceId"]))]
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
        return [arns.route53(kind, bare(p["Id"]))]
    if p.get("CollectionId"):
        return [arns.route53_cidrcollection(p["CollectionId"])]
    if p.get("DelegationSetId"):
        return [arns.route53("delegationset", bare(p["DelegationSetId"]))]
    if p.get("TrafficPolicyId"):
        return [arns.route53("trafficpolicy", p["TrafficPolicyId"])]
    return ["*"]


_IAM_ENTITIES = (
    ("UserName", "user"), ("RoleName", "role"), ("GroupName", "group"),
    ("InstanceProfileName", "instance-profile"),
)


def _iam(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    for name, kind in _IAM_ENTITIES:
        if p.get(name):
            return [arns.iam_resource(account, kind, "/", p[name])]
    for name in ("PolicyArn", "OpenIDConnectProviderArn"):
        if p.get(name):
            return [str(p[name])]
    if op == "CreatePolicy" and p.get("PolicyName"):
        return [arns.iam_policy(account, p.get("Path") or "/", p["PolicyName"])]
    if op == "CreateServiceLinkedRole" and p.get("AWSServiceName"):
        return [arns.iam_role(account, f"/aws-service-role/{p['AWSServiceName']}/", "*")]
    if op in _IAM_SELF:
        return [arns.iam_user(account, "/", "*")]  # the caller's own user: `target` puts the caller's ARN here
    return ["*"]


# IAM operations that act on the calling user when UserName is absent.
_IAM_SELF = {"CreateAccessKey", "ListAccessKeys", "GetUser", "DeleteAccessKey", "UpdateAccessKey",
             "GetAccessKeyLastUsed", "ListUserTags", "ListGroupsForUser"}


def _sts(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    if p.get("RoleArn"):
        return [str(p["RoleArn"])]
    if op == "GetFederationToken" and p.get("Name"):
        return [arns.sts_federated_user(account, p["Name"])]
    return ["*"]


def _ssm(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    refs = [p["Name"]] if isinstance(p.get("Name"), str) else list(p.get("Names") or [])
    if op in ("AddTagsToResource", "RemoveTagsFromResource", "ListTagsForResource") and p.get("ResourceType") == "Parameter":
        refs = [p.get("ResourceId")]
    out = [str(r) if arns.looks_like_arn(str(r)) else arns.ssm_parameter(region, account, str(r)) for r in refs if isinstance(r, str)]
    return out or ["*"]


def _secret(ref: str, account: str, region: str) -> str:
    return ref if arns.looks_like_arn(ref) else arns.secretsmanager_secret(region, account, ref, "??????")


def _secretsmanager(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    if isinstance(p.get("SecretId"), str):
        return [_secret(p["SecretId"], account, region)]
    return ["*"]


def _cloudwatch(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    if p.get("ResourceARN"):
        return [str(p["ResourceARN"])]
    if op in ("PutDashboard", "GetDashboard") and p.get("DashboardName"):
        return [arns.cloudwatch_dashboard(account, p["DashboardName"])]
    if op == "DeleteDashboards" and p.get("DashboardNames"):
        return [arns.cloudwatch_dashboard(account, n) for n in p["DashboardNames"]]
    if op in ("DeleteAlarms", "EnableAlarmActions", "DisableAlarmActions") and p.get("AlarmNames"):
        return [arns.cloudwatch_alarm(region, account, n) for n in p["AlarmNames"]]
    if op in ("PutMetricAlarm", "PutCompositeAlarm", "SetAlarmState", "DescribeAlarmHistory") and p.get("AlarmName"):
        return [arns.cloudwatch_alarm(region, account, p["AlarmName"])]
    return ["*"]


def _dynamodb(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    if p.get("ResourceArn"):
        return [str(p["ResourceArn"])]
    names: list[str] = []
    if isinstance(p.get("TableName"), str):
        names = [p["TableName"]]
    elif isinstance(p.get("TableArn"), str):  # ExportTableToPointInTime
        names = [p["TableArn"]]
    elif isinstance(p.get("SourceTableArn"), str):  # RestoreTableToPointInTime
        names = [p["SourceTableArn"]]
    elif isinstance(p.get("RequestItems"), Mapping):  # BatchGetItem / BatchWriteItem
        names = [str(n) for n in p["RequestItems"]]
    elif isinstance(p.get("TransactItems"), list):  # TransactGetItems / TransactWriteItems
        for item in p["TransactItems"]:
            for action in (item.values() if isinstance(item, Mapping) else ()):
                if isinstance(action, Mapping) and isinstance(action.get("TableName"), str):
                    names.append(action["TableName"])
    out = [n if arns.looks_like_arn(n) else arns.dynamodb_table(region, account, n) for n in dict.fromkeys(names)]
    if out and isinstance(p.get("IndexName"), str) and op in ("Query", "Scan"):
        out = [arns.dynamodb_index(out[0], p["IndexName"])]
    return out or ["*"]


def _kinesis(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    for member in ("ConsumerARN", "StreamARN", "ResourceARN"):
        if isinstance(p.get(member), str):
            return [p[member]]
    if isinstance(p.get("StreamName"), str):
        return [arns.kinesis_stream(region, account, p["StreamName"])]
    return ["*"]


def _dynamodbstreams(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    if isinstance(p.get("StreamArn"), str):
        return [p["StreamArn"]]
    if isinstance(p.get("TableName"), str):
        return [arns.dynamodb_table(region, account, p["TableName"]) + "/stream/*"]
    return ["*"]


def _budgets(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    if isinstance(p.get("ResourceARN"), str) and p["ResourceARN"]:
        return [p["ResourceARN"]]
    if op in ("DescribeBudgetActionsForAccount", "DescribeBudgetNotificationsForAccount"):
        return ["*"]
    if isinstance(p.get("ActionId"), str) and isinstance(p.get("BudgetName"), str):
        return [arns.budgets_action(str(p.get("AccountId") or account), p["BudgetName"], p["ActionId"])]
    budget = p.get("Budget")
    name = p.get("BudgetName") or (budget.get("BudgetName") if isinstance(budget, Mapping) else None)
    owner = str(p.get("AccountId") or account)
    return [arns.budgets_budget(owner, str(name))] if isinstance(name, str) else ["*"]


def _route53domains(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    return ["*"]  # Route 53 Domains supports no resource-level permissions


def _route53resolver(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    for key, kind in (("ResolverRuleId", "rule"), ("ResolverEndpointId", "endpoint")):
        rid = p.get(key)
        if isinstance(rid, str):
            return [arns.route53resolver_rule(region, account, rid) if kind == "rule"
                    else arns.route53resolver_endpoint(region, account, rid)]
    for key in ("ResourceArn", "Arn"):
        if isinstance(p.get(key), str):
            return [str(p[key])]
    return ["*"]


def _cognito_idp(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    if isinstance(p.get("ResourceArn"), str) and p["ResourceArn"]:
        return [p["ResourceArn"]]
    pool = p.get("UserPoolId")
    if isinstance(pool, str) and pool:
        return [arns.cognito_user_pool(pool.split("_", 1)[0] if "_" in pool else region, account, pool)]
    return ["*"]


def _elbv2(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    refs: list[Any] = [p.get(k) for k in ("RuleArn", "ListenerArn", "TargetGroupArn", "LoadBalancerArn")]
    refs += list(p.get("ResourceArns") or []) + list(p.get("LoadBalancerArns") or []) + list(p.get("TargetGroupArns") or [])
    refs += [r.get("RuleArn") for r in p.get("RulePriorities") or [] if isinstance(r, Mapping)]
    out = [r for r in refs if isinstance(r, str) and arns.service_of(r) == "elasticloadbalancing"]
    return list(dict.fromkeys(out)) or ["*"]


def _acm(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    arn = p.get("CertificateArn")
    return [arn] if isinstance(arn, str) and arns.service_of(arn) == "acm" else ["*"]


def _eks(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    if isinstance(p.get("resourceArn"), str) and p["resourceArn"]:
        return [p["resourceArn"]]
    name = p.get("name") or p.get("clusterName")
    if isinstance(name, str) and name:
        return [arns.eks_cluster(region, account, name)]
    return ["*"]


def _lex(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    """Lex V2: the bot alias for the runtime and alias operations, the bot for the rest that name
    one (its locales, intents, slots, versions), the ARN a tag or policy operation names."""
    for name in ("resourceArn", "resourceARN"):
        if isinstance(p.get(name), str) and p[name]:
            return [p[name]]
    bot, alias = p.get("botId"), p.get("botAliasId")
    if isinstance(bot, str) and bot:
        if isinstance(alias, str) and alias:
            return [arns.lex_bot_alias(region, account, bot, alias)]
        return [arns.lex_bot(region, account, bot)]
    return ["*"]


def _ce(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    return ["*"]  # Cost Explorer's actions take no resource but cost categories and anomaly monitors


# API Gateway (REST APIs) authorizes by HTTP verb (apigateway:GET, POST, PUT, PATCH, DELETE)
# on the resource path the request names: arn:aws:apigateway:<region>::/restapis/<id>/...
_APIGATEWAY_VERBS = (("Get", "GET"), ("Create", "POST"), ("Generate", "POST"), ("Import", "POST"),
                     ("TestInvoke", "POST"), ("Put", "PUT"), ("Tag", "PUT"), ("Update", "PATCH"), ("Delete", "DELETE"),
                     ("Flush", "DELETE"), ("Untag", "DELETE"), ("Reject", "POST"))
_APIGATEWAY_CHILDREN = (("stageName", "stages"), ("deploymentId", "deployments"), ("modelName", "models"),
                        ("requestValidatorId", "requestvalidators"), ("authorizerId", "authorizers"))


def _apigateway_verb(op: str) -> str:
    return next((verb for prefix, verb in _APIGATEWAY_VERBS if op.startswith(prefix)), "GET")


def _apigateway(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    if p.get("resourceArn"):
        return [arns.apigateway_resource(region, f"/tags/{p['resourceArn']}")]
    api = p.get("restApiId")
    if not api:
        return [arns.apigateway_resource(region, "/restapis")] if "RestApi" in op else ["*"]
    path = f"/restapis/{api}"
    if p.get("resourceId"):
        path += f"/resources/{p['resourceId']}"
        if p.get("httpMethod"):
            path += f"/methods/{p['httpMethod']}"
    else:
        path += next((f"/{kind}/{p[name]}" for name, kind in _APIGATEWAY_CHILDREN if p.get(name)), "")
    return [arns.apigateway_resource(region, path)]


def _apigateway_method(op: str) -> str:
    """API Gateway's IAM actions are the HTTP methods of its control-plane requests."""
    if op in ("ImportApi", "ReimportApi"):
        return "PUT"
    if op in ("TagResource",):
        return "POST"
    if op in ("UntagResource", "ResetAuthorizersCache"):
        return "DELETE"
    for prefix, method in (("Create", "POST"), ("Update", "PATCH"), ("Delete", "DELETE"), ("Put", "PUT")):
        if op.startswith(prefix):
            return method
    return "GET"


# apigatewayv2 parameter naming a child -> its collection in the resource path
_APIGW_CHILDREN = (("RouteId", "routes"), ("IntegrationId", "integrations"), ("AuthorizerId", "authorizers"),
                   ("DeploymentId", "deployments"), ("StageName", "stages"))


def _apigatewayv2(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    """arn:aws:apigateway:<region>::/apis[/<id>[/<collection>/<child>]], or the tagged ARN."""
    if isinstance(p.get("ResourceArn"), str):
        return [p["ResourceArn"]]
    api = p.get("ApiId")
    if not isinstance(api, str) or not api:
        return [arns.apigateway_resource(region, "/apis")]
    path = f"/apis/{api}"
    for param, collection in _APIGW_CHILDREN:
        if isinstance(p.get(param), str) and p[param]:
            return [arns.apigateway_resource(region, f"{path}/{collection}/{p[param]}")]
    return [arns.apigateway_resource(region, path)]


def _apigatewaymanagementapi(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    """<api>/<stage>/<METHOD>/@connections/<id> (the API and stage are the request's host and
    path, not parameters: any of the account's)."""
    method = {"PostToConnection": "POST", "GetConnection": "GET", "DeleteConnection": "DELETE"}.get(op, "*")
    return [arns.execute_api(region, account, "*", f"*/{method}/@connections/{p.get('ConnectionId') or '*'}")]


def _cloudformation(op: str, p: Mapping[str, Any], account: str, region: str) -> list[str]:
    name = p.get("StackName")
    if isinstance(name, str) and name:
        return [name if arns.looks_like_arn(name) else arns.cloudformation_stack(region, account, name)]
    return ["*"]


_RESOURCES: dict[str, Resolver] = {
    "sqs": _sqs, "sns": _sns, "lambda": _lambda, "s3": _s3, "ecr": _ecr, "logs": _logs, "ecs": _ecs,
    "servicediscovery": _servicediscovery, "route53": _route53, "iam": _iam, "sts": _sts,
    "ssm": _ssm, "secretsmanager": _secretsmanager, "cloudwatch": _cloudwatch,
    "dynamodb": _dynamodb, "budgets": _budgets, "ce": _ce, "kinesis": _kinesis, "dynamodbstreams": _dynamodbstreams,
    "route53domains": _route53domains, "route53resolver": _route53resolver, "cognito-idp": _cognito_idp,
    "apigateway": _apigateway,
    "apigatewayv2": _apigatewayv2, "apigatewaymanagementapi": _apigatewaymanagementapi,
    "elbv2": _elbv2, "acm": _acm,
    "cloudformation": _cloudformation,
    "eks": _eks,
    "lexv2-models": _lex, "lexv2-runtime": _lex,
}


def action(service: str, operation: str, params: Mapping[str, Any]) -> str:
    prefix = PREFIXES.get(service, service)
    if service == "apigatewayv2":
        return f"apigateway:{_apigateway_method(operation)}"
    if service == "s3" and params.get("VersionId") and operation in _S3_VERSIONED:
        return f"s3:{_S3_VERSIONED[operation]}"
    if service == "apigateway":
        return f"apigateway:{_apigateway_verb(operation)}"
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
    return ("s3:GetObjectVersion" if versioned else "s3:GetObject"), arns.s3_object(bucket, key)


# Operations whose target is a function of the account, the region and only these parameters
# (no other parameter, no caller): the gate may remember their targets by them (hot paths).
KEYED_BY: dict[tuple[str, str], tuple[str, ...]] = {
    ("lambda", "Invoke"): ("FunctionName", "Qualifier"),
}


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
    elif service == "s3" and params.get("BypassGovernanceRetention") and operation in _S3_BYPASS:
        # Object Lock: bypassing GOVERNANCE retention is a permission of its own
        also = tuple(("s3:BypassGovernanceRetention", r) for r in resources)
    elif service == "lambda" and operation in ("CreateEventSourceMapping",) and params.get("EventSourceArn"):
        # The mapping reads the source with the function's role (approximated by the caller):
        # a queue of another account only through its policy.
        also = (("sqs:ReceiveMessage", str(params["EventSourceArn"])),)
    elif service == "sqs" and operation == "StartMessageMoveTask" and params.get("DestinationArn"):
        also = (("sqs:SendMessage", str(params["DestinationArn"])),)
    elif service == "secretsmanager" and operation == "BatchGetSecretValue":
        also = tuple(("secretsmanager:GetSecretValue", _secret(str(r), account, region))
                     for r in params.get("SecretIdList") or () if isinstance(r, str))
    if (service, operation) in _PASSES_ROLE:
        also += tuple(("iam:PassRole", str(params[p])) for p in _PASSES_ROLE[(service, operation)]
                      if isinstance(params.get(p), str) and params[p])
    if service == "lambda":
        also += tuple((_DELIVERY_ACTIONS[service_of], d) for d in _lambda_destinations(params)
                      if (service_of := _delivery_service(d)) in _DELIVERY_ACTIONS)
        layers = params.get("Layers") if operation in ("CreateFunction", "UpdateFunctionConfiguration") else None
        also += tuple(("lambda:GetLayerVersion", str(arn)) for arn in layers or () if isinstance(arn, str))
    return Target(action(service, operation, params), tuple(resources), also)


# Where Lambda sends records (dead-letter queue, async destinations): the sender needs the
# destination's permission (checked against the caller; AWS checks the execution role).
_DELIVERY_ACTIONS = {"sqs": "sqs:SendMessage", "sns": "sns:Publish", "lambda": "lambda:InvokeFunction"}


def _delivery_service(arn: str) -> str:
    """The service of a destination ARN; "" when it is not ARN-shaped (Lambda refuses such a
    destination and nothing delivers to it)."""
    f = arns.fields(arn)
    return f.service if f is not None else ""


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
    ("cloudformation", "CreateStack"): ("RoleARN",),
    ("cloudformation", "UpdateStack"): ("RoleARN",),
    ("cloudformation", "DeleteStack"): ("RoleARN",),
    ("cloudformation", "CreateChangeSet"): ("RoleARN",),
    ("budgets", "CreateBudgetAction"): ("ExecutionRoleArn",),
    ("budgets", "UpdateBudgetAction"): ("ExecutionRoleArn",),
}
PASSED_TO = {"lambda": "lambda.amazonaws.com", "ecs": "ecs-tasks.amazonaws.com", "cloudformation": "cloudformation.amazonaws.com",
             "budgets": "budgets.amazonaws.com"}
