"""Amazon Resource Names: the one place gureum builds and parses them.

Grammar (AWS's "Identify AWS resources with Amazon Resource Names"):

    arn:partition:service:region:account-id:resource

- partition: "aws" for every ARN gureum builds (PARTITION); parsing accepts any
  `aws[a-z-]*` (aws-cn, aws-us-gov, ...) as the services accepted before this module.
- service: the AWS service namespace (sqs, sns, lambda, iam, sts, ecs, ecr, logs, s3,
  route53, servicediscovery, kms).
- region: empty for the global services — iam, sts (global endpoint), s3 (bucket and object
  ARNs) and route53.
- account-id: 12 digits; empty for s3 and route53; "aws" for AWS managed IAM policies.
- resource: everything after the fifth ':' (it may itself hold ':' and '/'). Its type and id
  split on the first '/' or ':' (`Arn.resource_type` / `Arn.resource_id`), as AWS's
  resource formats do: `role/path/name`, `function:name:qualifier`, `log-group:name`.

Resource forms built here (Service Authorization Reference, "Resource types defined by ..."):

    sqs              arn:aws:sqs:{region}:{account}:{queue}
    sns              arn:aws:sns:{region}:{account}:{topic}[:{subscription-id}]
    lambda           ...:function:{name}[:{qualifier}]   ...:layer:{name}[:{version}]
                     ...:event-source-mapping:{uuid}       arn:aws:lambda:{region}::runtime:{id}
    iam              arn:aws:iam::{account}:root | {user|role|group|policy|...}{path}{name}
                     arn:aws:iam::{account}:oidc-provider/{host/path}
                     arn:aws:iam::aws:policy{path}{name}   (AWS managed policies)
    sts              arn:aws:sts::{account}:assumed-role/{role}/{session} | federated-user/{name}
    ecs              ...:cluster/{c}  task/{c}/{id}  task-definition/{family}:{rev}
                     container-instance/{c}/{id}  service/{c}/{name}  container/{c}/{task}/{id}
    ecr              ...:repository/{name}
    kms              ...:alias/{name}
    kinesis          ...:stream/{name}[/consumer/{name}:{epoch}]
    dynamodb         ...:table/{name}[/index/{name} | /stream/{label}]
    logs             ...:log-group:{name}  destination:{name}
    servicediscovery ...:namespace/{ns-id}  service/{srv-id}
    s3               arn:aws:s3:::{bucket}[/{key}]
    route53          arn:aws:route53:::{hostedzone|healthcheck|cidrcollection|...}/{id}

Builders return the ARN as a string (that is what every API returns and every store key
holds); `parse` returns an `Arn`, and raises `BadArn` (a ValueError) on anything malformed —
never an IndexError. Reading helpers that answer None instead of raising (`try_parse`,
`service_of`) serve the callers that branch on "is this an ARN of service X"; `fields` is the
lenient reader of the authorization gate (any six fields).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PARTITION = "aws"
_PARTITION = re.compile(r"aws[a-z-]*")
_SERVICE = re.compile(r"[a-z0-9-]+")
_REGION = re.compile(r"[a-z0-9-]+")
_ACCOUNT = re.compile(r"\d{12}")


class BadArn(ValueError):
    """A string that is not an ARN (or not the ARN the caller asked for)."""


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"

    def _split(self) -> tuple[str, str]:
        cut = min((i for i in (self.resource.find("/"), self.resource.find(":")) if i >= 0), default=-1)
        if cut < 0:
            return "", self.resource
        return self.resource[:cut], self.resource[cut + 1:]

    @property
    def resource_type(self) -> str:
        """The resource part before its first '/' or ':' ("role", "function", "log-group"),
        or "" when there is none (an SQS queue, an SNS topic, an S3 bucket)."""
        return self._split()[0]

    @property
    def resource_id(self) -> str:
        """The resource part after its first '/' or ':' (the whole resource when it has none)."""
        return self._split()[1]


def parse(text: str) -> Arn:
    """The six fields of `text`; BadArn when it is not `arn:aws*:service:region:account:resource`
    with a non-empty service and resource."""
    if not isinstance(text, str):
        raise BadArn(f"not an ARN: {text!r}")
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise BadArn(f"not an ARN: {text!r}")
    _, partition, service, region, account, resource = parts
    if not _PARTITION.fullmatch(partition):
        raise BadArn(f"unknown partition in ARN: {text!r}")
    if not _SERVICE.fullmatch(service):
        raise BadArn(f"no service in ARN: {text!r}")
    if not resource:
        raise BadArn(f"no resource in ARN: {text!r}")
    return Arn(partition, service, region, account, resource)


def try_parse(text: str) -> Arn | None:
    """parse(text), or None when `text` is not an ARN."""
    try:
        return parse(text)
    except BadArn:
        return None


def fields(text: str) -> Arn | None:
    """The six fields of anything shaped `arn:a:b:c:d:e` — no check of partition, service or
    resource; None when `text` has not six fields or does not start with "arn". For the
    authorization gate, which must see the account field of every ARN any handler could read
    (a stricter reader there could leave an account unseen that a lenient handler uses)."""
    if not isinstance(text, str):
        return None
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


def looks_like_arn(text: str) -> bool:
    """Whether `text` is meant as an ARN rather than a name or id (it starts with "arn:").
    APIs that take "a name or an ARN" branch on this, then parse (and may reject) the ARN."""
    return isinstance(text, str) and text.startswith("arn:")


def service_of(text: str) -> str | None:
    """The service namespace of ARN `text`, or None when it is not an ARN."""
    a = try_parse(text)
    return a.service if a is not None else None


def build(service: str, region: str, account: str, resource: str) -> str:
    """arn:aws:{service}:{region}:{account}:{resource} (region/account '' where the service
    has none)."""
    return f"arn:{PARTITION}:{service}:{region}:{account}:{resource}"


# --- API Gateway (HTTP and WebSocket APIs) ----------------------------------------------

def apigateway_resource(region: str, path: str) -> str:
    """An API Gateway control-plane resource (tags, IAM): arn:aws:apigateway:<region>::<path>,
    e.g. path "/apis/a1b2c3d4e5" or "/apis/a1b2c3d4e5/stages/prod"."""
    return build("apigateway", region, "", path)


def execute_api(region: str, account: str, api_id: str, rest: str) -> str:
    """What a request to an API invokes (Lambda permissions' aws:SourceArn, IAM's
    execute-api:Invoke/ManageConnections): arn:aws:execute-api:<region>:<account>:<api>/<rest>."""
    return build("execute-api", region, account, f"{api_id}/{rest}")


# --- SQS / SNS --------------------------------------------------------------------------

def sqs_queue(region: str, account: str, name: str) -> str:
    return build("sqs", region, account, name)


def sns_topic(region: str, account: str, name: str) -> str:
    return build("sns", region, account, name)


def sns_subscription(region: str, account: str, topic: str, subscription_id: str) -> str:
    return build("sns", region, account, f"{topic}:{subscription_id}")


def sns_platform_application(region: str, account: str, platform: str, name: str) -> str:
    return build("sns", region, account, f"app/{platform}/{name}")


def sns_platform_endpoint(region: str, account: str, platform: str, app: str, endpoint_id: str) -> str:
    return build("sns", region, account, f"endpoint/{platform}/{app}/{endpoint_id}")


# --- DynamoDB ---------------------------------------------------------------------------

def ses_identity(region: str, account: str, identity: str) -> str:
    return build("ses", region, account, f"identity/{identity}")


def ses_configuration_set(region: str, account: str, name: str) -> str:
    return build("ses", region, account, f"configuration-set/{name}")


def ses_template(region: str, account: str, name: str) -> str:
    return build("ses", region, account, f"template/{name}")


def lex_bot(region: str, account: str, bot_id: str) -> str:
    return build("lex", region, account, f"bot/{bot_id}")


def lex_bot_alias(region: str, account: str, bot_id: str, alias_id: str) -> str:
    return build("lex", region, account, f"bot-alias/{bot_id}/{alias_id}")


def ce_cost_category(account: str, category_id: str) -> str:
    """arn:aws:ce::{account}:costcategory/{id} (Cost Explorer has no region in its ARNs)."""
    return build("ce", "", account, f"costcategory/{category_id}")


def budgets_budget(account: str, name: str) -> str:
    """arn:aws:budgets::{account}:budget/{name} (Budgets has no region in its ARNs)."""
    return build("budgets", "", account, f"budget/{name}")


def budgets_action(account: str, budget: str, action_id: str) -> str:
    """arn:aws:budgets::{account}:budget/{budget}/action/{action id}."""
    return build("budgets", "", account, f"budget/{budget}/action/{action_id}")


def dynamodb_table(region: str, account: str, name: str) -> str:
    return build("dynamodb", region, account, f"table/{name}")


def dynamodb_index(table_arn: str, index: str) -> str:
    return f"{table_arn}/index/{index}"


def dynamodb_stream(table_arn: str, label: str) -> str:
    """{table ARN}/stream/{label} (the label is the stream's creation time, ISO 8601)."""
    return f"{table_arn}/stream/{label}"


def kinesis_stream(region: str, account: str, name: str) -> str:
    return build("kinesis", region, account, f"stream/{name}")


def kinesis_consumer(stream_arn: str, name: str, created: int) -> str:
    """{stream ARN}/consumer/{name}:{creation epoch seconds}."""
    return f"{stream_arn}/consumer/{name}:{created}"


# --- Lambda -----------------------------------------------------------------------------

def lambda_function(region: str, account: str, name: str, qualifier: str | None = None) -> str:
    return build("lambda", region, account, f"function:{name}" + (f":{qualifier}" if qualifier else ""))


def lambda_layer(region: str, account: str, name: str, version: int | str | None = None) -> str:
    return build("lambda", region, account, f"layer:{name}" + (f":{version}" if version is not None else ""))


def lambda_event_source_mapping(region: str, account: str, uuid: str) -> str:
    return build("lambda", region, account, f"event-source-mapping:{uuid}")


def lambda_code_signing_config(region: str, account: str, csc_id: str) -> str:
    return build("lambda", region, account, f"code-signing-config:{csc_id}")


def lambda_runtime(region: str, runtime_id: str) -> str:
    """A runtime version ARN (no account: runtimes belong to the service)."""
    return build("lambda", region, "", f"runtime:{runtime_id}")


@dataclass(frozen=True)
class FunctionRef:
    """What a Lambda FunctionName parameter names: a name, a partial ARN
    (`123456789012:function:name`) or a full ARN, each with an optional qualifier."""

    region: str | None
    account: str | None
    name: str
    qualifier: str | None


_FUNCTION_REF = re.compile(
    r"^(?:arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+):)?(?:(?P<account>\d{12}):)?(?:function:)?"
    r"(?P<name>[a-zA-Z0-9_-]+)(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9_-]+))?$"
)


def lambda_function_ref(text: str) -> FunctionRef | None:
    """The parts of a Lambda function name, partial ARN or ARN; None when it is none of them."""
    m = _FUNCTION_REF.match(text)
    if m is None:
        return None
    return FunctionRef(m["region"], m["account"], m["name"], m["qualifier"])


def lambda_function_parts(text: str) -> FunctionRef:
    """The region, account, name and qualifier of a full function ARN; BadArn otherwise."""
    ref = lambda_function_ref(text) if looks_like_arn(text) else None
    if ref is None or ref.region is None or ref.account is None:
        raise BadArn(f"not a function ARN: {text!r}")
    return ref


def lambda_function_base(text: str) -> str:
    """The unqualified ARN of function ARN `text` (qualified or not); BadArn otherwise."""
    ref = lambda_function_parts(text)
    return lambda_function(str(ref.region), str(ref.account), ref.name)


@dataclass(frozen=True)
class LayerVersionRef:
    region: str
    account: str
    name: str
    version: int


_LAYER_VERSION = re.compile(r"[a-zA-Z0-9_-]+")


def lambda_layer_version(text: str) -> LayerVersionRef:
    """The parts of a layer version ARN (`...:layer:{name}:{version}`); BadArn otherwise."""
    a = parse(text)
    kind, _, rest = a.resource.partition(":")
    name, _, version = rest.partition(":")
    if (a.service != "lambda" or kind != "layer" or not re.fullmatch(r"[a-z0-9-]+", a.region)
            or not re.fullmatch(r"\d{12}", a.account) or not _LAYER_VERSION.fullmatch(name)
            or not version.isascii() or not version.isdigit()):
        raise BadArn(f"not a layer version ARN: {text!r}")
    return LayerVersionRef(a.region, a.account, name, int(version))


# --- IAM / STS --------------------------------------------------------------------------

def iam_root(account: str) -> str:
    return build("iam", "", account, "root")


def iam_resource(account: str, kind: str, path: str, name: str) -> str:
    """arn:aws:iam::{account}:{kind}{path}{name}; `path` starts and ends with '/'."""
    return build("iam", "", account, f"{kind}{path}{name}")


def iam_role(account: str, path: str, name: str) -> str:
    return iam_resource(account, "role", path, name)


def iam_user(account: str, path: str, name: str) -> str:
    return iam_resource(account, "user", path, name)


def iam_policy(account: str, path: str, name: str) -> str:
    return iam_resource(account, "policy", path, name)


def iam_managed_policy(path: str, name: str) -> str:
    """An AWS managed policy: its account field is "aws"."""
    return iam_resource("aws", "policy", path, name)


def iam_oidc_provider(account: str, host_path: str) -> str:
    return build("iam", "", account, f"oidc-provider/{host_path}")


def iam_resource_rest(text: str, account: str, kind: str) -> str | None:
    """What follows `{kind}/` in `arn:aws:iam::{account}:{kind}/...` (a role's path and name,
    an OIDC provider's host and path); None when `text` is no such ARN of `account`."""
    a = try_parse(text)
    if a is None or a.partition != PARTITION or a.service != "iam" or a.region or a.account != account \
            or not a.resource.startswith(kind + "/"):
        return None
    return a.resource[len(kind) + 1:]


def iam_principal_parts(text: str) -> tuple[str, str] | None:
    """(account, resource) of an IAM or STS principal ARN as policies name one
    (`arn:aws*:{iam|sts}::{12 digits}:{root|user/...|role/...|assumed-role/...}`); None otherwise."""
    a = try_parse(text)
    if a is None or a.service not in ("iam", "sts") or a.region or not _ACCOUNT.fullmatch(a.account) \
            or "\n" in a.resource:
        return None
    return a.account, a.resource


def sts_assumed_role(account: str, role: str, session: str) -> str:
    return build("sts", "", account, f"assumed-role/{role}/{session}")


def sts_federated_user(account: str, name: str) -> str:
    return build("sts", "", account, f"federated-user/{name}")


_POLICY = re.compile(r"^(\d{12}|aws)$")
_POLICY_RESOURCE = re.compile(r"^policy(/(?:[^/]+/)*)?([^/]+)$")


def iam_policy_parts(text: str) -> tuple[str, str, str]:
    """(account, path, name) of an IAM policy ARN (account "aws" for a managed policy; path
    "/" when none); BadArn otherwise. Only the "aws" partition, as IAM answered before."""
    a = try_parse(text)
    m = _POLICY_RESOURCE.match(a.resource) if a is not None else None
    if a is None or m is None or a.partition != PARTITION or a.service != "iam" or a.region \
            or not _POLICY.match(a.account):
        raise BadArn(f"not a policy ARN: {text!r}")
    return a.account, m.group(1) or "/", m.group(2)


# --- ECS / ECR / KMS / Logs / Cloud Map ---------------------------------------------------

def ecs_cluster(region: str, account: str, name: str) -> str:
    return build("ecs", region, account, f"cluster/{name}")


def eks_cluster(region: str, account: str, name: str) -> str:
    return build("eks", region, account, f"cluster/{name}")


def eks_access_entry(region: str, account: str, cluster: str, kind: str, principal_account: str, name: str,
                     uid: str) -> str:
    """An access entry: its principal's kind ("role"/"user"), account and name, and an id."""
    return build("eks", region, account, f"access-entry/{cluster}/{kind}/{principal_account}/{name}/{uid}")


def eks_access_policy(name: str) -> str:
    """One of AWS's cluster access policies (no Region; account "aws")."""
    return build("eks", "", "aws", f"cluster-access-policy/{name}")


def ecs_task_definition(region: str, account: str, family: str, revision: int | str) -> str:
    return build("ecs", region, account, f"task-definition/{family}:{revision}")


def ecs_task(region: str, account: str, cluster: str, task_id: str) -> str:
    return build("ecs", region, account, f"task/{cluster}/{task_id}")


def ecs_container(region: str, account: str, cluster: str, task_id: str, container_id: str) -> str:
    return build("ecs", region, account, f"container/{cluster}/{task_id}/{container_id}")


def ecs_container_instance(region: str, account: str, cluster: str, instance_id: str) -> str:
    return build("ecs", region, account, f"container-instance/{cluster}/{instance_id}")


def ecs_service(region: str, account: str, cluster: str, name: str) -> str:
    return build("ecs", region, account, f"service/{cluster}/{name}")


def ecs_task_set(region: str, account: str, cluster: str, service: str, task_set_id: str) -> str:
    return build("ecs", region, account, f"task-set/{cluster}/{service}/{task_set_id}")


def ecs_service_deployment(region: str, account: str, cluster: str, service: str, deployment_id: str) -> str:
    return build("ecs", region, account, f"service-deployment/{cluster}/{service}/{deployment_id}")


def ecs_service_revision(region: str, account: str, cluster: str, service: str, revision_id: str) -> str:
    return build("ecs", region, account, f"service-revision/{cluster}/{service}/{revision_id}")


_CONTAINER_INSTANCE = re.compile(r"container-instance/(?:([A-Za-z0-9_-]+)/)?([A-Za-z0-9-]+)")


def ecs_container_instance_parts(text: str) -> tuple[str, str, str | None, str]:
    """(region, account, cluster or None, instance id) of a container instance ARN (the old
    form without the cluster too); BadArn otherwise."""
    a = try_parse(text)
    m = _CONTAINER_INSTANCE.fullmatch(a.resource) if a is not None else None
    if a is None or m is None or a.service != "ecs" or not _REGION.fullmatch(a.region) \
            or not _ACCOUNT.fullmatch(a.account):
        raise BadArn(f"not a container instance ARN: {text!r}")
    return a.region, a.account, m.group(1), m.group(2)


def ecr_repository(region: str, account: str, name: str) -> str:
    return build("ecr", region, account, f"repository/{name}")


def kms_key(region: str, account: str, key_id: str) -> str:
    return build("kms", region, account, f"key/{key_id}")


def kms_alias(region: str, account: str, alias: str) -> str:
    """`alias` without the "alias/" prefix, e.g. "aws/ecr"."""
    return build("kms", region, account, f"alias/{alias}")


def logs_group(region: str, account: str, group: str) -> str:
    return build("logs", region, account, f"log-group:{group}")


def logs_destination(region: str, account: str, name: str) -> str:
    return build("logs", region, account, f"destination:{name}")


def logs_group_parts(text: str) -> tuple[str, str, str]:
    """(region, account, log group name) of a log group ARN (`...:log-group:{name}`, with or
    without the ":*" IAM uses for its streams); BadArn otherwise."""
    a = parse(text)
    if a.service != "logs" or not a.resource.startswith("log-group:"):
        raise BadArn(f"not a log group ARN: {text!r}")
    return a.region, a.account, a.resource_id.removesuffix(":*")


def logs_resource(region: str, account: str, kind: str, name: str) -> str:
    """A CloudWatch Logs resource named `<kind>:<name>` (kinds: "delivery-source",
    "delivery-destination", "delivery", "anomaly-detector", "lookup-table", "scheduled-query")."""
    return build("logs", region, account, f"{kind}:{name}")


def cloudwatch_alarm(region: str, account: str, name: str) -> str:
    return build("cloudwatch", region, account, f"alarm:{name}")


def cloudwatch_dashboard(account: str, name: str) -> str:
    return build("cloudwatch", "", account, f"dashboard/{name}")


def servicediscovery_namespace(region: str, account: str, namespace_id: str) -> str:
    return build("servicediscovery", region, account, f"namespace/{namespace_id}")


def servicediscovery_service(region: str, account: str, service_id: str) -> str:
    return build("servicediscovery", region, account, f"service/{service_id}")


_SD_SERVICE = re.compile(r"service/(srv-[a-z0-9]+)")


def servicediscovery_service_parts(text: str) -> tuple[str, str, str]:
    """(region, account, service id) of a Cloud Map service ARN; BadArn otherwise. Only the
    "aws" partition, as ECS's serviceRegistries check accepted before."""
    a = try_parse(text)
    m = _SD_SERVICE.fullmatch(a.resource) if a is not None else None
    if a is None or m is None or a.partition != PARTITION or a.service != "servicediscovery" \
            or not _REGION.fullmatch(a.region) or not _ACCOUNT.fullmatch(a.account):
        raise BadArn(f"not a Cloud Map service ARN: {text!r}")
    return a.region, a.account, m.group(1)


# --- S3 / Route 53 (global, no region and no account) --------------------------------------

def s3_bucket(bucket: str) -> str:
    return build("s3", "", "", bucket)


def s3_object(bucket: str, key: str) -> str:
    return build("s3", "", "", f"{bucket}/{key}")


def s3_object_parts(text: str) -> tuple[str, str]:
    """(bucket, key) of an S3 object ARN `arn:aws*:s3:::{bucket}/{key}`; BadArn otherwise."""
    a = parse(text)
    bucket, sep, key = a.resource.partition("/")
    if a.service != "s3" or a.region or a.account or not bucket or not sep or not key:
        raise BadArn(f"not an S3 object ARN: {text!r}")
    return bucket, key


def route53(kind: str, resource_id: str) -> str:
    """arn:aws:route53:::{kind}/{id} (hostedzone, healthcheck, cidrcollection, delegationset,
    trafficpolicy, ...)."""
    return build("route53", "", "", f"{kind}/{resource_id}")


def route53_hostedzone(zone_id: str) -> str:
    return route53("hostedzone", zone_id)


def route53_healthcheck(check_id: str) -> str:
    return route53("healthcheck", check_id)


def route53_cidrcollection(collection_id: str) -> str:
    return route53("cidrcollection", collection_id)


# --- Cognito ------------------------------------------------------------------------------

def cognito_user_pool(region: str, account: str, pool_id: str) -> str:
    return build("cognito-idp", region, account, "userpool/" + pool_id)


# --- SSM / Secrets Manager --------------------------------------------------------------

def cloudformation_stack(region: str, account: str, name: str, stack_uuid: str = "*") -> str:
    """A stack's ARN (IAM names a stack by name with any id: `stack/{name}/*`)."""
    return build("cloudformation", region, account, f"stack/{name}/{stack_uuid}")


def cloudformation_changeset(region: str, account: str, name: str, changeset_uuid: str) -> str:
    return build("cloudformation", region, account, f"changeSet/{name}/{changeset_uuid}")


def ssm_parameter(region: str, account: str, name: str) -> str:
    """A parameter's ARN: a hierarchical name's leading slash is not doubled."""
    return build("ssm", region, account, "parameter/" + name.lstrip("/"))


def secretsmanager_secret(region: str, account: str, name: str, suffix: str) -> str:
    """A secret's ARN: its name, a dash and six random characters."""
    return build("secretsmanager", region, account, f"secret:{name}-{suffix}")


# --- Route 53 Resolver ---------------------------------------------------------------------
def route53resolver_rule(region: str, account: str, rule_id: str) -> str:
    return build("route53resolver", region, account, f"resolver-rule/{rule_id}")


def route53resolver_endpoint(region: str, account: str, endpoint_id: str) -> str:
    return build("route53resolver", region, account, f"resolver-endpoint/{endpoint_id}")


def route53resolver_firewall(region: str, account: str, kind: str, resource_id: str) -> str:
    """A DNS Firewall resource: kind firewall-domain-list, firewall-rule-group or
    firewall-rule-group-association."""
    return build("route53resolver", region, account, f"{kind}/{resource_id}")


# --- API Gateway --------------------------------------------------------------------------

def execute_api_method(region: str, account: str, api_id: str, stage: str, method: str, path: str) -> str:
    """What a call to a deployed REST API method is authorized as (Lambda permissions'
    SourceArn, authorizers' methodArn, IAM policies): "<api>/<stage>/<METHOD>/<resource path>"."""
    return execute_api(region, account, api_id, f"{stage}/{method}/{path.lstrip('/')}")


# --- Elastic Load Balancing v2 ----------------------------------------------------------

def elbv2_load_balancer(region: str, account: str, kind: str, name: str, lb_id: str) -> str:
    """A load balancer's ARN: `kind` is "app" or "net"."""
    return build("elasticloadbalancing", region, account, f"loadbalancer/{kind}/{name}/{lb_id}")


def elbv2_target_group(region: str, account: str, name: str, tg_id: str) -> str:
    return build("elasticloadbalancing", region, account, f"targetgroup/{name}/{tg_id}")


def elbv2_listener(region: str, account: str, kind: str, lb_name: str, lb_id: str, listener_id: str) -> str:
    return build("elasticloadbalancing", region, account, f"listener/{kind}/{lb_name}/{lb_id}/{listener_id}")


def elbv2_rule(region: str, account: str, kind: str, lb_name: str, lb_id: str, listener_id: str, rule_id: str) -> str:
    return build("elasticloadbalancing", region, account,
                 f"listener-rule/{kind}/{lb_name}/{lb_id}/{listener_id}/{rule_id}")


# --- ACM --------------------------------------------------------------------------------

def acm_certificate(region: str, account: str, cert_id: str) -> str:
    return build("acm", region, account, f"certificate/{cert_id}")
